"""The JSON API under /api/v1: token auth, errors as JSON, input checks, the OpenAPI
document.

Each domain declares its part as an :class:`ApiBlueprint` whose routes name their input
and output schemas (:mod:`kkp.api_fields`); :func:`nest` puts it below /api/v1, where
this module's blueprint checks the token, counts the rate limit and answers errors.
flask-smorest validates the input with the schemas (through :class:`ApiParser`, which
keeps the API's error JSON) and builds the document from them (:mod:`kkp.api_docs`).
A view gets a function that reads its input, and calls it once it has found its
objects: a 404 or 409 comes before a 422. Any error rolls the request's transaction
back, so nothing is stored half-way.
"""

from __future__ import annotations

import functools

import flask_smorest
from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_babel import gettext as _
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict

from kkp.api_docs import PREFIX, error_responses
from kkp.auth.models import AuditChannel
from kkp.auth.operations import editor_for_token
from kkp.extensions import csrf, db, limiter
from kkp.params import MAX_ID


class ApiParser(FlaskParser):
    """Reads a route's input as the API always has: a body must be a JSON object (an
    empty body counts as `{}` where the body is optional, location "optional_json"); a
    query parameter may come once, `lang` always; unknown fields are refused. An upload
    is one multipart/form-data body (location "multipart"): its text fields and files
    together."""

    DEFAULT_UNKNOWN_BY_LOCATION: dict = {}
    __location_map__ = {
        **FlaskParser.__location_map__,
        "optional_json": "load_optional_json",
        "multipart": "load_multipart",
    }

    def load_json(self, req, schema):
        return json_body()

    def load_optional_json(self, req, schema):
        return json_body() if req.get_data() else {}

    def load_multipart(self, req, schema):
        return self._makeproxy(CombinedMultiDict([req.form, req.files]), schema)

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
    """The first of marshmallow's messages for one field (a list of them, or a dict by
    list index or key); a lazy translation becomes its text."""
    while isinstance(problem, (list, dict)):
        problem = problem[0] if isinstance(problem, list) else next(iter(problem.values()))
    return str(problem)


class ApiBlueprint(flask_smorest.Blueprint):
    """A domain's part of the API, nested in :data:`bp` (token, errors, rate limit)."""

    ARGUMENTS_PARSER = ApiParser()
    DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
        **flask_smorest.Blueprint.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
        "optional_json": "application/json",
        "multipart": "multipart/form-data",
    }

    def __init__(self, name: str, import_name: str, *, tag: str | None = None, **kwargs):
        super().__init__(name, import_name, **kwargs)
        #: the operations' tag in the document: the blueprint's name unless told
        self.tag = tag or name

    def route(self, rule, *, parameters=None, tags=None, **options):
        """A route, tagged with :attr:`tag` in the document."""
        tags = [self.tag] if tags is None else tags
        return super().route(rule, parameters=parameters, tags=tags, **options)

    def body(self, schema, *, optional: bool = False):
        """The JSON body, checked against `schema`: the view gets a function that reads
        it as its first argument (it finds its objects first: 404 and 409 come before
        422, as they always have)."""
        if optional:
            return self.arguments(schema, location="optional_json", required=False)
        return self.arguments(schema)

    def upload(self, schema):
        """A multipart/form-data body (text fields and files), checked against `schema`;
        read like :meth:`body`."""
        return self.arguments(schema, location="multipart")

    def query(self, schema):
        """The query string, checked against `schema`; read like :meth:`body`."""
        return self.arguments(schema, location="query")

    def arguments(self, schema, *, location: str = "json", **kwargs):
        document = super().arguments(schema, location=location, **kwargs)
        parser = self.ARGUMENTS_PARSER

        def decorator(view):
            @functools.wraps(view)
            def read_later(*args, **kwargs):
                return view(lambda: parser.parse(schema, location=location), *args, **kwargs)

            read_later._apidoc = document(view)._apidoc
            # flask-smorest documents a 422 response of its own; :meth:`errors` names ours
            read_later._apidoc["arguments"]["responses"] = {}
            return read_later

        return decorator

    def errors(self, *statuses: int):
        """Document the shared error responses `statuses` (and 401, 429) of a route."""
        return self.doc(responses=error_responses(*statuses))


bp = ApiBlueprint("api", __name__, url_prefix=PREFIX)
csrf.exempt(bp)


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
    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    editor = editor_for_token(secret.strip()) if scheme.lower() == "bearer" and secret else None
    if editor is None:
        raise ApiError(401, _("A valid API token is required (Authorization: Bearer …)."))
    g.kkp_editor = editor
    g.kkp_channel = AuditChannel.API
    return None


@bp.after_request
def _commit_token_use(response):
    # Reading routes do not commit; this keeps the token's last use for them too.
    if response.status_code < 400:
        db.session.commit()
    return response


limiter.limit(lambda: current_app.config["KKP_API_LIMIT"])(bp)


def invalid(field: str, message: str) -> ApiError:
    """A 422 for one field."""
    return ApiError(422, _("Please check the fields named."), {field: message})


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, _("The request body must be a JSON object."))
    return data


def get_or_404(model, object_id: int, message: str):
    found = db.session.get(model, object_id) if 1 <= object_id <= MAX_ID else None
    if found is None:
        raise ApiError(404, message)
    return found


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
    docs = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    return jsonify(docs.document(current_app.config))


def nest(domain_bp: Blueprint) -> None:
    """Put a domain's :class:`ApiBlueprint` below /api/v1; once per process, as apps
    made in one process share the blueprints."""
    if domain_bp.name not in {child.name for child, _options in bp._blueprints}:
        csrf.exempt(domain_bp)
        bp.register_blueprint(domain_bp)


def keyset_page(query, limit: int, to_json) -> Response:
    """A page of `query` (already ordered by id, `after` applied, limited to
    `limit + 1`): its items and `next_after`, None on the last page."""
    found = db.session.scalars(query).all()
    page = found[:limit]
    return jsonify(
        items=[to_json(item) for item in page],
        next_after=page[-1].id if len(found) > limit else None,
    )
