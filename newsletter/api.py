"""JSON API for lists and subscribers: thin routes over :mod:`newsletter.operations`."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa
from flask import Blueprint, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from kkp.api import (
    MAX_ID,
    OPENAPI_PATHS,
    OPENAPI_SCHEMAS,
    ApiError,
    Field,
    api_error_response,
    error_responses,
    get_or_404,
    id_parameter,
    invalid,
    json_request,
    json_response,
    read_body,
    read_query,
    schema_ref,
    text_schema,
)
from kkp.auth.operations import audit
from kkp.extensions import db
from newsletter import operations as ops
from newsletter import search
from newsletter.models import (
    SUBSCRIBER_STATUSES,
    MailingList,
    Subscriber,
    Subscription,
)

#: subscribers per page: the default and the most a client may ask for
PAGE_SIZE, MAX_PAGE_SIZE = 100, 500
LANGUAGES = ("de", "en")

LIST_FIELDS = {
    "name": Field("string", required=True, max_length=200),
    "slug": Field("string", required=True, max_length=80),
    "description": Field("string", max_length=2000),
    "is_public": Field("boolean"),
    "position": Field("integer", minimum=0, maximum=10_000),
}
LIST_CHANGES = {name: replace(field, required=False) for name, field in LIST_FIELDS.items()}
SUBSCRIBER_FIELDS = {
    "email": Field("string", required=True, max_length=254),
    "name": Field("string", max_length=ops.MAX_NAME),
    "organisation": Field("string", max_length=ops.MAX_NAME),
    "lists": Field("ids", required=True),
    "consent_evidence": Field("string", max_length=1000, nullable=True),
    "language": Field("string", max_length=2, choices=LANGUAGES),
}
SUBSCRIBER_CHANGES = {
    "name": Field("string", max_length=ops.MAX_NAME),
    "organisation": Field("string", max_length=ops.MAX_NAME),
    "lists": Field("ids"),
}
SUBSCRIBER_QUERY = {
    "status": Field("string", max_length=20, choices=SUBSCRIBER_STATUSES),
    "list": Field("integer"),
    "q": Field("string", max_length=200),
    "after": Field("integer", minimum=0),
    "limit": Field("integer", maximum=MAX_PAGE_SIZE),
}
UNSUBSCRIBE_FIELDS = {"list": Field("integer")}


# -- representations -----------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value else None


def list_json(mailing_list: MailingList) -> dict:
    return {
        "id": mailing_list.id,
        "slug": mailing_list.slug,
        "name": mailing_list.name,
        "description": mailing_list.description,
        "is_public": mailing_list.is_public,
        "position": mailing_list.position,
        "created_at": _iso(mailing_list.created_at),
    }


def subscriber_json(subscriber: Subscriber, *, detail: bool = False) -> dict:
    data = {
        "id": subscriber.id,
        "email": subscriber.email,
        "name": subscriber.name,
        "organisation": subscriber.organisation,
        "status": subscriber.status,
        "source": subscriber.source,
        "language": subscriber.locale,
        "created_at": _iso(subscriber.created_at),
        "updated_at": _iso(subscriber.updated_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "subscriptions": [
            {
                "list_id": s.list_id,
                "list_slug": s.mailing_list.slug,
                "list_name": s.mailing_list.name,
                "status": s.status,
                "requested_at": _iso(s.requested_at),
                "confirmed_at": _iso(s.confirmed_at),
            }
            for s in sorted(subscriber.subscriptions, key=lambda s: s.list_id)
        ],
    }
    if detail:
        data["consent_history"] = [
            {
                "at": _iso(e.at),
                "action": e.action,
                "lists": e.lists,
                "source": e.source,
                "consent_text_version": e.consent_version,
                "ip": e.ip,
                "details": e.details,
            }
            for e in subscriber.consent_events
        ]
    return data


def _subscriber_response(subscriber: Subscriber, status: int = 200):
    response = jsonify(subscriber_json(subscriber, detail=True))
    response.status_code = status
    response.headers["Location"] = url_for("api.subscriber", subscriber_id=subscriber.id)
    return response


# -- lists ---------------------------------------------------------------------------------


def get_lists():
    return jsonify(items=[list_json(m) for m in ops.all_lists()])


def post_list():
    values = read_body(LIST_FIELDS)
    mailing_list = ops.create_list(**values)
    db.session.commit()
    response = jsonify(list_json(mailing_list))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list", list_id=mailing_list.id)
    return response


def _list(list_id: int) -> MailingList:
    return get_or_404(MailingList, list_id, _("There is no such list."))


def get_list(list_id: int):
    return jsonify(list_json(_list(list_id)))


def patch_list(list_id: int):
    mailing_list = _list(list_id)
    values = read_body(LIST_CHANGES)
    ops.update_list(mailing_list, **values)
    db.session.commit()
    return jsonify(list_json(mailing_list))


# -- subscribers ---------------------------------------------------------------------------


def _subscriber(subscriber_id: int) -> Subscriber:
    return get_or_404(Subscriber, subscriber_id, _("There is no such subscriber."))


def _require_lists(list_ids: list[int]) -> None:
    if not list_ids:
        raise invalid("lists", _("Please choose at least one list."))


def get_subscribers():
    args = read_query(SUBSCRIBER_QUERY)
    limit = args.get("limit", PAGE_SIZE)
    # The same filter as the editors' list and the CSV export; pages go oldest first.
    flt = search.SubscriberFilter(
        q=args.get("q", "").strip(), list_id=args.get("list"), status=args.get("status")
    )
    query = (
        flt.apply(sa.select(Subscriber))
        .options(selectinload(Subscriber.subscriptions).selectinload(Subscription.mailing_list))
        .where(flt.key > args.get("after", 0))
        .order_by(flt.key)
        .limit(limit + 1)
    )
    found = db.session.scalars(query).all()
    page = found[:limit]
    return jsonify(
        items=[subscriber_json(s) for s in page],
        next_after=page[-1].id if len(found) > limit else None,
    )


def post_subscriber():
    values = read_body(SUBSCRIBER_FIELDS)
    email = ops.normalise_email(values["email"])
    if ops.is_suppressed(email):
        raise ApiError(
            409,
            _(
                "This address has unsubscribed or was deleted. Only the person can sign up "
                "again, through the sign-up form."
            ),
            {"email": _("This address is suppressed.")},
        )
    _require_lists(values["lists"])
    subscriber, created = ops.add_subscriber(
        email=email,
        name=values.get("name", ""),
        organisation=values.get("organisation", ""),
        list_ids=values["lists"],
        consent_evidence=values.get("consent_evidence"),
        source="api",
        locale=values.get("language", "de"),
    )
    db.session.commit()
    return _subscriber_response(subscriber, 201 if created else 200)


def get_subscriber(subscriber_id: int):
    return jsonify(subscriber_json(_subscriber(subscriber_id), detail=True))


def patch_subscriber(subscriber_id: int):
    subscriber = _subscriber(subscriber_id)
    values = read_body(SUBSCRIBER_CHANGES)
    list_ids = values.get("lists", [s.list_id for s in subscriber.subscriptions])
    _require_lists(list_ids)
    ops.edit_subscriber(
        subscriber,
        name=values.get("name", subscriber.name),
        organisation=values.get("organisation", subscriber.organisation),
        list_ids=list_ids,
        source="api",
    )
    db.session.commit()
    return _subscriber_response(subscriber)


def post_unsubscribe(subscriber_id: int):
    subscriber = _subscriber(subscriber_id)
    values = read_body(UNSUBSCRIBE_FIELDS, optional=True)
    list_id = values.get("list")
    if list_id is not None and db.session.get(MailingList, list_id) is None:
        raise invalid("list", _("There is no such list."))
    was_on_list = any(s.list_id == list_id for s in subscriber.subscriptions)
    deleted = ops.unsubscribe(subscriber, list_id=list_id, source="api")
    if not deleted and was_on_list:  # leaving everything is audited as the deletion
        audit("subscriber.unsubscribe", subscriber, list_id=list_id)
    db.session.commit()
    if deleted:
        return jsonify(deleted=True, subscriber=None)
    return jsonify(deleted=False, subscriber=subscriber_json(subscriber, detail=True))


def delete_subscriber(subscriber_id: int):
    ops.delete_subscriber(_subscriber(subscriber_id), reason="deleted")
    db.session.commit()
    return "", 204


def _subscription_error(exc: ops.SubscriptionError):
    status = 409 if isinstance(exc, ops.ConflictError) else 422
    return api_error_response(
        ApiError(status, str(exc), {exc.field: str(exc)} if exc.field else None)
    )


# -- registration --------------------------------------------------------------------------

_ROUTES = (
    ("/lists", "lists", get_lists, "GET"),
    ("/lists", "create_list", post_list, "POST"),
    ("/lists/<int:list_id>", "list", get_list, "GET"),
    ("/lists/<int:list_id>", "update_list", patch_list, "PATCH"),
    ("/subscribers", "subscribers", get_subscribers, "GET"),
    ("/subscribers", "create_subscriber", post_subscriber, "POST"),
    ("/subscribers/<int:subscriber_id>", "subscriber", get_subscriber, "GET"),
    ("/subscribers/<int:subscriber_id>", "update_subscriber", patch_subscriber, "PATCH"),
    ("/subscribers/<int:subscriber_id>", "delete_subscriber", delete_subscriber, "DELETE"),
    ("/subscribers/<int:subscriber_id>/unsubscribe", "unsubscribe", post_unsubscribe, "POST"),
)
_registered: set[Blueprint] = set()


def register_api(bp: Blueprint) -> None:
    """Add the newsletter's routes to the API blueprint (once; apps share the blueprint)."""
    if bp in _registered:
        return
    _registered.add(bp)
    for rule, endpoint, view, method in _ROUTES:
        bp.add_url_rule(rule, endpoint, view, methods=[method])
    bp.register_error_handler(ops.SubscriptionError, _subscription_error)
    OPENAPI_SCHEMAS.update(_SCHEMAS)
    OPENAPI_PATHS.update(_PATHS)


# -- the OpenAPI description ---------------------------------------------------------------

_DATETIME = {"type": "string", "format": "date-time"}
_DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_LIST_PROPERTIES = {
    "name": text_schema(200, minLength=1, description="Shown to subscribers."),
    "slug": {
        "type": "string",
        "maxLength": 80,
        "pattern": "^[a-z0-9]+(-[a-z0-9]+)*$",
        "description": "Unique; lower-case letters, digits, single hyphens.",
    },
    "description": text_schema(2000),
    "is_public": {
        "type": "boolean",
        "default": True,
        "description": "Offered on the sign-up form and in the preference centre.",
    },
    "position": {
        "type": "integer",
        "minimum": 0,
        "maximum": 10_000,
        "default": 0,
        "description": "Sort order, ascending.",
    },
}
_IDS = {
    "type": "array",
    "maxItems": 100,
    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}

_SCHEMAS = {
    "List": {
        "type": "object",
        "required": ["id", "slug", "name", "description", "is_public", "position", "created_at"],
        "properties": {"id": {"type": "integer"}, **_LIST_PROPERTIES, "created_at": _DATETIME},
    },
    "ListPage": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": schema_ref("List")}},
    },
    "ListCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "slug"],
        "properties": _LIST_PROPERTIES,
        "examples": [{"name": "Fortbildungen", "slug": "fortbildungen", "is_public": True}],
    },
    "ListUpdate": {"type": "object", "additionalProperties": False, "properties": _LIST_PROPERTIES},
    "Subscription": {
        "type": "object",
        "required": ["list_id", "list_slug", "list_name", "status", "requested_at", "confirmed_at"],
        "properties": {
            "list_id": {"type": "integer"},
            "list_slug": {"type": "string"},
            "list_name": {"type": "string"},
            "status": {
                "type": "string",
                "enum": ["pending", "confirmed"],
                "description": "pending until the person confirmed this list",
            },
            "requested_at": _DATETIME,
            "confirmed_at": _DATETIME_OR_NULL,
        },
    },
    "Subscriber": {
        "type": "object",
        "required": [
            "id",
            "email",
            "name",
            "organisation",
            "status",
            "source",
            "language",
            "created_at",
            "updated_at",
            "confirmed_at",
            "subscriptions",
        ],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "description": "Normalised, lower-case."},
            "name": {"type": "string"},
            "organisation": {"type": "string"},
            "status": {
                "type": "string",
                "enum": list(SUBSCRIBER_STATUSES),
                "description": "confirmed once any list was confirmed",
            },
            "source": {"type": "string", "enum": ["form", "editor", "api", "import"]},
            "language": {"type": "string", "description": "Language of the mail."},
            "created_at": _DATETIME,
            "updated_at": _DATETIME,
            "confirmed_at": _DATETIME_OR_NULL,
            "subscriptions": {"type": "array", "items": schema_ref("Subscription")},
        },
    },
    "ConsentEvent": {
        "type": "object",
        "required": ["at", "action", "lists", "source", "consent_text_version", "ip", "details"],
        "properties": {
            "at": _DATETIME,
            "action": {
                "type": "string",
                "description": (
                    "requested, confirmation_sent, confirmed, added, imported, list_removed, "
                    "details_changed"
                ),
            },
            "lists": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Names of the lists concerned, at the time.",
            },
            "source": {"type": "string"},
            "consent_text_version": {"type": ["integer", "null"]},
            "ip": {"type": ["string", "null"]},
            "details": {
                "type": "object",
                "description": "e.g. `evidence`, the confirmation mail's `delivery_id`",
            },
        },
    },
    "SubscriberDetail": {
        "allOf": [
            schema_ref("Subscriber"),
            {
                "type": "object",
                "required": ["consent_history"],
                "properties": {
                    "consent_history": {"type": "array", "items": schema_ref("ConsentEvent")}
                },
            },
        ],
    },
    "SubscriberPage": {
        "type": "object",
        "required": ["items", "next_after"],
        "properties": {
            "items": {"type": "array", "items": schema_ref("Subscriber")},
            "next_after": {
                "type": ["integer", "null"],
                "description": ("Pass as `after` for the next page; null on the last page."),
            },
        },
    },
    "SubscriberCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["email", "lists"],
        "examples": [
            {
                "email": "anna.beispiel@example.org",
                "name": "Anna Beispiel",
                "organisation": "Stadt Musterstadt",
                "lists": [1],
            },
            {
                "email": "bernd@example.org",
                "lists": [1, 2],
                "consent_evidence": "Teilnehmerliste Netzwerktreffen 12.03.2026",
            },
        ],
        "properties": {
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "name": text_schema(ops.MAX_NAME),
            "organisation": text_schema(ops.MAX_NAME),
            "lists": {**_IDS, "minItems": 1, "description": "Ids of the lists to join."},
            "consent_evidence": {
                **text_schema(1000),
                "type": ["string", "null"],
                "description": (
                    "Where and when the person consented. With it the lists are "
                    "confirmed at once; without it the person gets the "
                    "confirmation mail (double opt-in)."
                ),
            },
            "language": {
                "type": "string",
                "enum": list(LANGUAGES),
                "default": "de",
                "description": "Language of the mail the person gets.",
            },
        },
    },
    "SubscriberUpdate": {
        "type": "object",
        "additionalProperties": False,
        "examples": [{"organisation": "Landkreis Musterkreis", "lists": [1, 3]}],
        "properties": {
            "name": text_schema(ops.MAX_NAME),
            "organisation": text_schema(ops.MAX_NAME),
            "lists": {
                **_IDS,
                "minItems": 1,
                "description": (
                    "The lists afterwards. Lists left are removed; new ones stay pending and "
                    "the person gets a confirmation mail."
                ),
            },
        },
    },
    "Unsubscribe": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "list": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ID,
                "description": "Leave only this list. Without it: all.",
            }
        },
    },
    "UnsubscribeResult": {
        "type": "object",
        "required": ["deleted", "subscriber"],
        "properties": {
            "deleted": {
                "type": "boolean",
                "description": (
                    "true when the person left their last list: the data is deleted and the "
                    "address suppressed"
                ),
            },
            "subscriber": {"oneOf": [schema_ref("SubscriberDetail"), {"type": "null"}]},
        },
    },
}

_LIST_ID = id_parameter("list_id", "The list's id.")
_SUBSCRIBER_ID = id_parameter("subscriber_id", "The subscriber's id.")
_LOCATION = {"Location": {"description": "The subscriber's URL.", "schema": {"type": "string"}}}


def _query(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def _links(parameter: str, operations: tuple[str, ...]) -> dict:
    """OpenAPI links from a created object's `id` to the operations on it."""
    return {
        operation[0].upper() + operation[1:]: {
            "operationId": operation,
            "parameters": {parameter: "$response.body#/id"},
        }
        for operation in operations
    }


_SUBSCRIBER_LINKS = _links(
    "subscriber_id", ("getSubscriber", "updateSubscriber", "unsubscribe", "deleteSubscriber")
)

_PATHS = {
    "/lists": {
        "get": {
            "operationId": "listLists",
            "summary": "All lists, in their order.",
            "tags": ["lists"],
            "responses": {
                "200": json_response("The lists.", schema_ref("ListPage")),
                **error_responses(),
            },
        },
        "post": {
            "operationId": "createList",
            "summary": "Create a list.",
            "tags": ["lists"],
            "requestBody": json_request(schema_ref("ListCreate")),
            "responses": {
                "201": json_response(
                    "The new list.",
                    schema_ref("List"),
                    headers={
                        "Location": {"description": "The list's URL.", "schema": {"type": "string"}}
                    },
                    links=_links("list_id", ("getList", "updateList")),
                ),
                **error_responses(400, 409, 422),
            },
        },
    },
    "/lists/{list_id}": {
        "parameters": [_LIST_ID],
        "get": {
            "operationId": "getList",
            "summary": "One list.",
            "tags": ["lists"],
            "responses": {
                "200": json_response("The list.", schema_ref("List")),
                **error_responses(404),
            },
        },
        "patch": {
            "operationId": "updateList",
            "summary": "Change some of a list's fields.",
            "tags": ["lists"],
            "requestBody": json_request(schema_ref("ListUpdate")),
            "responses": {
                "200": json_response("The list afterwards.", schema_ref("List")),
                **error_responses(400, 404, 409, 422),
            },
        },
    },
    "/subscribers": {
        "get": {
            "operationId": "listSubscribers",
            "tags": ["subscribers"],
            "summary": "Subscribers by id, a page at a time (keyset paging).",
            "parameters": [
                _query(
                    "status",
                    {"type": "string", "enum": list(SUBSCRIBER_STATUSES)},
                    "Only subscribers with this status; with `list`, the status on that list.",
                ),
                _query(
                    "list",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Only subscribers on this list (pending or confirmed, unless `status`).",
                ),
                _query("q", text_schema(200), "Part of the address, name or organisation."),
                _query(
                    "after",
                    {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                    "Start after this id: `next_after` of the page before.",
                ),
                _query(
                    "limit",
                    {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_PAGE_SIZE,
                        "default": PAGE_SIZE,
                    },
                    "Subscribers per page.",
                ),
            ],
            "responses": {
                "200": json_response("One page.", schema_ref("SubscriberPage")),
                **error_responses(422),
            },
        },
        "post": {
            "operationId": "createSubscriber",
            "tags": ["subscribers"],
            "summary": "Add a subscriber, or add lists to an existing one.",
            "description": (
                "Without `consent_evidence` the lists stay pending and the person gets the "
                "confirmation mail. An address that unsubscribed or was deleted is refused "
                "(409): only the person can sign up again, through the form."
            ),
            "requestBody": json_request(schema_ref("SubscriberCreate")),
            "responses": {
                "201": json_response(
                    "Created.",
                    schema_ref("SubscriberDetail"),
                    headers=_LOCATION,
                    links=_SUBSCRIBER_LINKS,
                ),
                "200": json_response(
                    "The address existed; the subscriber afterwards.",
                    schema_ref("SubscriberDetail"),
                    headers=_LOCATION,
                    links=_SUBSCRIBER_LINKS,
                ),
                **error_responses(400, 409, 422),
            },
        },
    },
    "/subscribers/{subscriber_id}": {
        "parameters": [_SUBSCRIBER_ID],
        "get": {
            "operationId": "getSubscriber",
            "tags": ["subscribers"],
            "summary": "One subscriber with subscriptions and consent history.",
            "responses": {
                "200": json_response("The subscriber.", schema_ref("SubscriberDetail")),
                **error_responses(404),
            },
        },
        "patch": {
            "operationId": "updateSubscriber",
            "tags": ["subscribers"],
            "summary": "Change name, organisation or lists.",
            "requestBody": json_request(schema_ref("SubscriberUpdate")),
            "responses": {
                "200": json_response(
                    "The subscriber afterwards.", schema_ref("SubscriberDetail"), headers=_LOCATION
                ),
                **error_responses(400, 404, 422),
            },
        },
        "delete": {
            "operationId": "deleteSubscriber",
            "tags": ["subscribers"],
            "summary": "Delete every personal detail; the address is suppressed.",
            "responses": {"204": {"description": "Deleted."}, **error_responses(404)},
        },
    },
    "/subscribers/{subscriber_id}/unsubscribe": {
        "parameters": [_SUBSCRIBER_ID],
        "post": {
            "operationId": "unsubscribe",
            "tags": ["subscribers"],
            "summary": "Leave one list, or all. Leaving the last list deletes the subscriber.",
            "requestBody": json_request(schema_ref("Unsubscribe"), required=False),
            "responses": {
                "200": json_response("What happened.", schema_ref("UnsubscribeResult")),
                **error_responses(400, 404, 422),
            },
        },
    },
}
