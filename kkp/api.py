"""The JSON API under /api/v1: token auth, errors as JSON, input checks, the OpenAPI document.

Domains add their routes with `register_api(bp)` and their schema parts to
:data:`OPENAPI_PATHS` / :data:`OPENAPI_SCHEMAS`. Routes read their input with
:func:`read_body` and :func:`read_query`, call one operation and commit; any error
rolls the request's transaction back, so nothing is stored half-way.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask_smorest
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser

from kkp.extensions import csrf, db, limiter
from kkp.params import MAX_ID  # noqa: F401  (the domains' API modules import it from here)
from kkp.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, text_problem

PREFIX = "/api/v1"


class ApiParser(FlaskParser):
    """Reads a route's input as the API always has: a body must be a JSON object (an
    empty body counts as `{}` where the body is optional, location "optional_json"); a
    query parameter may come once, `lang` always; unknown fields are refused."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}
    __location_map__ = {**FlaskParser.__location_map__, "optional_json": "load_optional_json"}

    def load_json(self, req, schema):
        return json_body()

    def load_optional_json(self, req, schema):
        return json_body() if req.get_data() else {}

    def load_querystring(self, req, schema):
        args = req.args
        repeated = sorted(name for name in args if len(args.getlist(name)) > 1)
        if repeated:
            message = _("Give this parameter once.")
            raise ApiError(
                422, _("Please check the fields named."), dict.fromkeys(repeated, message)
            )
        return {name: value for name, value in args.items() if name != "lang"}

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        fields = {}
        for messages in error.messages.values():  # by location
            for name, problem in messages.items():
                fields[name] = _first_message(problem)
        raise ApiError(422, _("Please check the fields named."), fields)


def _first_message(problem) -> str:
    while not isinstance(problem, str):
        problem = next(iter(problem.values())) if isinstance(problem, dict) else problem[0]
        if not isinstance(problem, (str, dict, list)):  # a lazy translation
            problem = str(problem)
    return problem


class ApiBlueprint(flask_smorest.Blueprint):
    """A domain's part of the API, nested in :data:`bp` (token, errors, rate limit)."""

    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "optional_json": "application/json",
    }

    def body(self, schema, *, optional: bool = False):
        """The JSON body, checked against `schema`, as the view's first argument."""
        if optional:
            return self.arguments(schema, location="optional_json", required=False)
        return self.arguments(schema)

    def query(self, schema):
        """The query string, checked against `schema`, as the view's first argument."""
        return self.arguments(schema, location="query")

    def __init__(self, name: str, import_name: str, *, tag: str | None = None, **kwargs):
        super().__init__(name, import_name, **kwargs)
        #: the operations' tag in the document: the blueprint's name unless told
        self.tag = tag or name

    def route(self, rule, *, parameters=None, tags=None, **options):
        """A route, tagged with :attr:`tag` in the document."""
        tags = [self.tag] if tags is None else tags
        return super().route(rule, parameters=parameters, tags=tags, **options)

    def arguments(self, schema, **kwargs):
        # flask-smorest documents a 422 response of its own; :meth:`errors` names ours
        add_arguments = super().arguments(schema, **kwargs)

        def decorator(view):
            view = add_arguments(view)
            view._apidoc["arguments"]["responses"] = {}
            return view

        return decorator

    def errors(self, *statuses: int):
        """Document the shared error responses `statuses` (and 401, 429) of a route."""
        return self.doc(responses=error_responses(*statuses))


bp = ApiBlueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)

OPENAPI_PATHS: dict = {}
OPENAPI_SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["status", "message"],
                "properties": {
                    "status": {"type": "integer", "description": "The HTTP status code."},
                    "message": {
                        "type": "string",
                        "description": "German, or English with `Accept-Language: en`.",
                    },
                    "fields": {
                        "type": "object",
                        "additionalProperties": {"type": "string"},
                        "description": "What is wrong with each input field, by name.",
                    },
                },
            }
        },
    },
}


def _error_response(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


OPENAPI_RESPONSES: dict = {
    "BadRequest": _error_response("The body is not a JSON object."),
    "Unauthorized": _error_response("No valid API token."),
    "NotFound": _error_response("No object with this id."),
    "Conflict": _error_response("The change conflicts with stored data."),
    "Unprocessable": _error_response(
        "Unknown fields, wrong types or invalid values; `fields` says which."
    ),
    "TooManyRequests": _error_response("Rate limit reached (`KKP_API_LIMIT`)."),
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


@bp.errorhandler(ApiError)
def api_error_response(exc: ApiError):
    """The JSON error; the request's changes are rolled back."""
    db.session.rollback()
    body = {"status": exc.status, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    response = jsonify(error=body)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="kkp"'
    return response, exc.status


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    from kkp.auth.operations import editor_for_token

    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    editor = editor_for_token(secret.strip()) if scheme.lower() == "bearer" and secret else None
    if editor is None:
        raise ApiError(401, _("A valid API token is required (Authorization: Bearer …)."))
    g.kkp_editor = editor
    g.kkp_channel = "api"
    return None


@bp.after_request
def _commit_token_use(response):
    # Reading routes do not commit; this keeps the token's last use for them too.
    if response.status_code < 400:
        db.session.commit()
    return response


limiter.limit(lambda: current_app.config["KKP_API_LIMIT"])(bp)


# -- input ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    """One input field: `kind` is "string", "boolean", "integer" or "ids" (a list of ids).

    Strings are single-line: control characters (CR, LF, NUL, …) are refused.
    `max_length` counts characters; integers lie within `minimum` … `maximum`.
    """

    kind: str
    required: bool = False
    max_length: int = 200
    minimum: int = 1
    maximum: int = MAX_ID
    nullable: bool = False
    #: the allowed values of a string, if limited
    choices: tuple[str, ...] = ()


class _Invalid(ValueError):
    pass


def _check_string(value: str, field: Field) -> str:
    problem = text_problem(value)
    if problem:
        raise _Invalid(problem)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates, which JSON allows
        raise _Invalid(_("This text contains invalid characters.")) from exc
    if len(value) > field.max_length:
        raise _Invalid(_("At most %(n)d characters, please.", n=field.max_length))
    if field.choices and value not in field.choices:
        raise _Invalid(_("Must be one of: %(choices)s.", choices=", ".join(field.choices)))
    return value


def _check_integer(value: int, field: Field) -> int:
    if not field.minimum <= value <= field.maximum:
        raise _Invalid(
            _(
                "Must be a whole number from %(min)d to %(max)d.",
                min=field.minimum,
                max=field.maximum,
            )
        )
    return value


def _whole_number(value) -> int | None:
    """An int, or a float without fraction (JSON Schema counts 1.0 as an integer)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _parse_json_value(value, field: Field):
    if value is None and field.nullable:
        return None
    if field.kind == "string":
        if not isinstance(value, str):
            raise _Invalid(_("Must be a string."))
        return _check_string(value, field)
    if field.kind == "boolean":
        if not isinstance(value, bool):
            raise _Invalid(_("Must be true or false."))
        return value
    if field.kind == "integer":
        number = _whole_number(value)
        if number is None:
            raise _Invalid(_("Must be a whole number."))
        return _check_integer(number, field)
    if field.kind == "ids":
        numbers = [_whole_number(i) for i in value] if isinstance(value, list) else [None]
        if None in numbers:
            raise _Invalid(_("Must be a list of ids."))
        if len(numbers) > 100:
            raise _Invalid(_("At most %(n)d ids, please.", n=100))
        return [_check_integer(i, field) for i in numbers]
    raise AssertionError(f"unknown field kind {field.kind!r}")


def _parse_query_value(value: str, field: Field):
    if field.kind == "integer":
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise _Invalid(_("Must be a whole number."))
        return _check_integer(int(value), field)
    return _check_string(value, field)


def _read(data: dict, spec: dict[str, Field], parse) -> dict:
    errors = {name: _("Unknown field.") for name in data if name not in spec}
    values = {}
    for name, field in spec.items():
        if name not in data:
            if field.required:
                errors[name] = _("This field is required.")
            continue
        try:
            values[name] = parse(data[name], field)
        except _Invalid as exc:
            errors[name] = str(exc)
    if errors:
        raise ApiError(422, _("Please check the fields named."), errors)
    return values


def invalid(field: str, message: str) -> ApiError:
    """A 422 for one field."""
    return ApiError(422, _("Please check the fields named."), {field: message})


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, _("The request body must be a JSON object."))
    return data


def read_body(spec: dict[str, Field], *, optional: bool = False) -> dict:
    """The JSON object in the body, checked against `spec`; raises :class:`ApiError`.

    With `optional`, an empty body counts as `{}`.
    """
    if optional and not request.get_data():
        return _read({}, spec, _parse_json_value)
    return _read(json_body(), spec, _parse_json_value)


def read_query(spec: dict[str, Field]) -> dict:
    """The query parameters, checked against `spec` (`lang` is always allowed)."""
    args = request.args
    repeated = {name for name in args if len(args.getlist(name)) > 1}
    if repeated:
        raise ApiError(
            422,
            _("Please check the fields named."),
            {name: _("Give this parameter once.") for name in sorted(repeated)},
        )
    data = {name: value for name, value in args.items() if name != "lang"}
    return _read(data, spec, _parse_query_value)


def get_or_404(model, object_id: int, message: str):
    found = db.session.get(model, object_id) if 1 <= object_id <= MAX_ID else None
    if found is None:
        raise ApiError(404, message)
    return found


# -- the description -----------------------------------------------------------------------

#: a single-line string: what :func:`_check_string` lets through (see :mod:`kkp.text`)
SINGLE_LINE = SINGLE_LINE_PATTERN
#: a text over several lines (Markdown): what `text_field` parsers let through
MULTI_LINE = MULTI_LINE_PATTERN
#: a date or date and time, starting with a year from kkp.i18n.EARLIEST_YEAR (1900) to
#: LATEST_YEAR (2200), as the API's date checks take them
DATE_IN_RANGE = "^(19[0-9]{2}|2[01][0-9]{2}|2200)-"
_ERROR_RESPONSES = {
    400: "BadRequest",
    401: "Unauthorized",
    404: "NotFound",
    409: "Conflict",
    422: "Unprocessable",
    429: "TooManyRequests",
}


@dataclass(frozen=True)
class Setting:
    """A value in the OpenAPI document that is a setting of the app (e.g. a length
    limit): the document as served gives the configured value."""

    name: str


def _configured(value, config):
    if isinstance(value, Setting):
        return config[value.name]
    if isinstance(value, dict):
        return {key: _configured(item, config) for key, item in value.items()}
    if isinstance(value, list):
        return [_configured(item, config) for item in value]
    return value


def schema_ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_response(description: str, schema: dict, **extra) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
        **extra,
    }


def json_request(schema: dict, *, required: bool = True) -> dict:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def error_responses(*statuses: int) -> dict:
    """The shared error responses; 401 and 429 are always there."""
    codes = sorted({401, 429, *statuses})
    return {
        str(code): {"$ref": f"#/components/responses/{_ERROR_RESPONSES[code]}"} for code in codes
    }


def id_parameter(name: str, description: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def links_to(parameter: str, operations: tuple[str, ...]) -> dict:
    """OpenAPI links from a created object's `id` to the operations on it."""
    return {
        operation[0].upper() + operation[1:]: {
            "operationId": operation,
            "parameters": {parameter: "$response.body#/id"},
        }
        for operation in operations
    }


def text_schema(max_length: int = 200, **extra) -> dict:
    return {"type": "string", "maxLength": max_length, "pattern": SINGLE_LINE, **extra}


@bp.route("/openapi.json", endpoint="openapi", tags=[])
@bp.doc(
    operationId="openapi",
    summary="This document.",
    security=[],
    responses={
        "200": {
            "description": "The OpenAPI 3.1 document.",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
def openapi():
    document = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"].document()
    document["servers"] = [{"url": current_app.config["KKP_BASE_URL"] + PREFIX}]
    document["components"]["schemas"].update(OPENAPI_SCHEMAS)
    document["paths"].update(OPENAPI_PATHS)
    return jsonify(_configured(document, current_app.config))


def nest(domain_bp: Blueprint) -> None:
    """Put a domain's :class:`ApiBlueprint` below /api/v1; once per process, as apps
    made in one process share the blueprints."""
    if domain_bp.name not in {child.name for child, _options in bp._blueprints}:
        csrf.exempt(domain_bp)
        bp.register_blueprint(domain_bp)


#: (blueprint, routes) already added: apps made in one process share the blueprint
_added: set[tuple[Blueprint, tuple]] = set()


def add_routes(
    bp: Blueprint,
    routes: tuple[tuple, ...],
    *,
    error: type[Exception],
    handler,
    schemas: dict,
    paths: dict,
) -> None:
    """Add a domain's routes ((rule, endpoint, view, method), ...), the handler of its
    input errors and its parts of the OpenAPI document; once per blueprint."""
    if (bp, routes) in _added:
        return
    _added.add((bp, routes))
    for rule, endpoint, view, method in routes:
        bp.add_url_rule(rule, endpoint, view, methods=[method])
    bp.register_error_handler(error, handler)
    OPENAPI_SCHEMAS.update(schemas)
    OPENAPI_PATHS.update(paths)


def keyset_page(query, limit: int, to_json) -> Response:
    """A page of `query` (already ordered by id, `after` applied, limited to
    `limit + 1`): its items and `next_after`, None on the last page."""
    from kkp.extensions import db

    found = db.session.scalars(query).all()
    page = found[:limit]
    return jsonify(
        items=[to_json(item) for item in page],
        next_after=page[-1].id if len(found) > limit else None,
    )
