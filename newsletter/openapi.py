"""The OpenAPI description of the newsletter's part of /api/v1 (lists, subscribers)."""

from __future__ import annotations

from kkp.api import (
    MAX_ID,
    error_responses,
    id_parameter,
    json_request,
    json_response,
    links_to,
    schema_ref,
    text_schema,
)
from newsletter import operations as ops
from newsletter.models import SUBSCRIBER_STATUSES

#: subscribers per page in GET /subscribers: the default and the most a client may ask for
PAGE_SIZE, MAX_PAGE_SIZE = 100, 500
#: languages a subscriber's mail can be in
LANGUAGES = ("de", "en")

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

SCHEMAS = {
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
                    "details_changed, import_skipped (an import did not add the person again "
                    "to lists they left themselves)"
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
                "description": (
                    "e.g. `evidence`, the confirmation mail's `delivery_id`, the `list_ids` "
                    "of list_removed, the `import_job` of import_skipped"
                ),
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

_SUBSCRIBER_ID = id_parameter("subscriber_id", "The subscriber's id.")
_LOCATION = {"Location": {"description": "The subscriber's URL.", "schema": {"type": "string"}}}


def query_parameter(name: str, schema: dict, description: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def paging_parameters(items: str) -> list[dict]:
    """`after` and `limit` of keyset paging; `items` names what a page holds."""
    return [
        query_parameter(
            "after",
            {"type": "integer", "minimum": 0, "maximum": MAX_ID},
            "Start after this id: `next_after` of the page before.",
        ),
        query_parameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
            f"{items} per page.",
        ),
    ]


_SUBSCRIBER_LINKS = links_to(
    "subscriber_id", ("getSubscriber", "updateSubscriber", "unsubscribe", "deleteSubscriber")
)

PATHS = {
    "/subscribers": {
        "get": {
            "operationId": "listSubscribers",
            "tags": ["subscribers"],
            "summary": "Subscribers by id, a page at a time (keyset paging).",
            "parameters": [
                query_parameter(
                    "status",
                    {"type": "string", "enum": list(SUBSCRIBER_STATUSES)},
                    "Only subscribers with this status; with `list`, the status on that list.",
                ),
                query_parameter(
                    "list",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Only subscribers on this list (pending or confirmed, unless `status`).",
                ),
                query_parameter(
                    "q", text_schema(200), "Part of the address, name or organisation."
                ),
                *paging_parameters("Subscribers"),
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
