"""The OpenAPI description of the issue endpoints of /api/v1 (see newsletter.api_issues)."""

from __future__ import annotations

from kkp.api import (
    DATE_IN_RANGE,
    MAX_ID,
    MULTI_LINE,
    Setting,
    error_responses,
    id_parameter,
    json_request,
    json_response,
    schema_ref,
    text_schema,
)
from newsletter import issues
from newsletter.models import ISSUE_STATUSES
from newsletter.openapi import links_to, paging_parameters, query_parameter
from newsletter.sending import MAX_TEST_ADDRESSES

_DATETIME = {"type": "string", "format": "date-time"}
_DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_MARKDOWN = {
    "type": "string",
    "maxLength": Setting("KKP_ARTICLE_MAX_LENGTH"),
    "pattern": MULTI_LINE,
    "description": (
        "Markdown; several lines. Rendered and sanitised for mail and archive. At most "
        "`KKP_ARTICLE_MAX_LENGTH` characters (20,000 unless configured)."
    ),
}
_LIST_IDS = {
    "type": "array",
    "maxItems": 100,
    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    "description": "Ids of the lists the issue goes to.",
}
_ISSUE_PROPERTIES = {
    "number": text_schema(issues.MAX_NUMBER, minLength=1, description='e.g. "3/2026".'),
    "title": text_schema(issues.MAX_TITLE, minLength=1),
    "intro": _MARKDOWN,
    "list_ids": _LIST_IDS,
}
_LINK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url"],
    "properties": {
        "label": text_schema(200, description="Shown instead of the address."),
        "url": {
            "type": "string",
            "maxLength": 2000,
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
            "description": "http:// or https:// only.",
        },
    },
}
_LINKS = {
    "type": "array",
    "maxItems": issues.MAX_LINKS,
    "items": _LINK,
    "description": "Shown below the article. Sending the field replaces all links.",
}
_IMAGE_ALT = text_schema(
    300, description="Alternative text for people who cannot see the picture; required."
)
_CONTENT = {
    "type": "string",
    "contentEncoding": "base64",
    "contentMediaType": "image/*",
    "description": "PNG, JPEG, GIF or WebP, at most `KKP_IMAGE_MAX_BYTES` (2 MB) decoded.",
}
_EVENT_ID = {
    "type": ["integer", "null"],
    "minimum": 1,
    "maximum": MAX_ID,
    "description": (
        "The event the article announces, shown below its text with date, place and links "
        "to register and to add it to a calendar; null for none. Only a published event "
        "can be linked; an article keeps its event if it is cancelled later."
    ),
}
_ARTICLE_PROPERTIES = {
    "title": text_schema(issues.MAX_TITLE, minLength=1),
    "body": _MARKDOWN,
    "links": _LINKS,
    "event_id": _EVENT_ID,
}

SCHEMAS = {
    "Issue": {
        "type": "object",
        "required": [
            "id",
            "number",
            "title",
            "slug",
            "intro",
            "status",
            "list_ids",
            "scheduled_at",
            "started_at",
            "finished_at",
            "pause_reason",
            "archive_url",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string"},
            "title": {"type": "string"},
            "slug": {
                "type": "string",
                "description": "The archive address's last part; follows number and title "
                "until the issue is sent.",
            },
            "intro": {"type": "string", "description": "Markdown."},
            "status": {
                "type": "string",
                "enum": list(ISSUE_STATUSES),
                "description": (
                    "draft → scheduled → sending ⇄ paused → sent; scheduled, sending and "
                    "paused issues can be cancelled."
                ),
            },
            "list_ids": {"type": "array", "items": {"type": "integer"}},
            "scheduled_at": {**_DATETIME_OR_NULL, "description": "UTC."},
            "started_at": {**_DATETIME_OR_NULL, "description": "UTC."},
            "finished_at": {**_DATETIME_OR_NULL, "description": "UTC; sent or cancelled."},
            "pause_reason": {
                "type": ["string", "null"],
                "description": "Why sending paused, e.g. the mail server's last answer.",
            },
            "archive_url": {
                "type": ["string", "null"],
                "format": "uri",
                "description": "The issue in the public archive, once sending started.",
            },
            "created_at": _DATETIME,
            "updated_at": _DATETIME,
        },
    },
    "Article": {
        "type": "object",
        "required": ["id", "position", "title", "body", "links", "image", "event_id"],
        "properties": {
            "id": {"type": "integer"},
            "position": {"type": "integer", "description": "0 is the first article."},
            "title": {"type": "string"},
            "body": {"type": "string", "description": "Markdown."},
            "links": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["label", "url"],
                    "properties": {"label": {"type": "string"}, "url": {"type": "string"}},
                },
            },
            "image": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["url", "alt", "width", "height"],
                        "properties": {
                            "url": {"type": "string", "format": "uri"},
                            "alt": {"type": "string"},
                            "width": {"type": "integer", "description": "Pixels."},
                            "height": {"type": "integer", "description": "Pixels."},
                        },
                    },
                    {"type": "null"},
                ]
            },
            "event_id": {
                "type": ["integer", "null"],
                "description": "The event the article announces; null for none.",
            },
        },
    },
    "IssueDetail": {
        "allOf": [
            schema_ref("Issue"),
            {
                "type": "object",
                "required": ["articles"],
                "properties": {"articles": {"type": "array", "items": schema_ref("Article")}},
            },
        ],
    },
    "IssuePage": {
        "type": "object",
        "required": ["items", "next_after"],
        "properties": {
            "items": {"type": "array", "items": schema_ref("Issue")},
            "next_after": {
                "type": ["integer", "null"],
                "description": "Pass as `after` for the next page; null on the last page.",
            },
        },
    },
    "IssueCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["number", "title"],
        "properties": _ISSUE_PROPERTIES,
        "examples": [
            {
                "number": "3/2026",
                "title": "Prävention vor Ort",
                "intro": "Liebe Netzwerkpartnerinnen und -partner,\n\nhier die neue Ausgabe.",
                "list_ids": [1],
            }
        ],
    },
    "IssueUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": _ISSUE_PROPERTIES,
        "examples": [{"title": "Prävention vor Ort und im Netz", "list_ids": [1, 2]}],
    },
    "ArticleCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title"],
        "properties": {
            **_ARTICLE_PROPERTIES,
            "image": {
                "type": "object",
                "additionalProperties": False,
                "required": ["content_base64", "alt"],
                "properties": {"content_base64": _CONTENT, "alt": _IMAGE_ALT},
            },
        },
        "examples": [
            {
                "title": "Fachtag Einbruchschutz",
                "body": "Am **12. Mai** in der Stadthalle.",
                "links": [{"label": "Anmeldung", "url": "https://example.org/fachtag"}],
                "image": {"content_base64": "iVBORw0KGgo…", "alt": "Die Stadthalle"},
                "event_id": 12,
            }
        ],
    },
    "ArticleUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            **_ARTICLE_PROPERTIES,
            "image": {
                "oneOf": [
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["alt"],
                        "properties": {"content_base64": _CONTENT, "alt": _IMAGE_ALT},
                    },
                    {"type": "null"},
                ],
                "description": (
                    "null removes the picture; without `content_base64` only the "
                    "alternative text changes."
                ),
            },
        },
        "examples": [
            {"title": "Fachtag Einbruchschutz: neuer Ort"},
            {"image": None},
            {"event_id": None},
        ],
    },
    "ArticleMove": {
        "oneOf": [
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["delta"],
                "properties": {
                    "delta": {
                        "type": "integer",
                        "minimum": -1,
                        "maximum": 1,
                        "description": "-1 moves up one place, 1 down one.",
                    }
                },
            },
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["position"],
                "properties": {
                    "position": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": 10_000,
                        "description": "The new place, 0 first; past the end means last.",
                    }
                },
            },
        ],
    },
    "TestSend": {
        "type": "object",
        "additionalProperties": False,
        "required": ["addresses"],
        "properties": {
            "addresses": {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_TEST_ADDRESSES,
                "items": {"type": "string", "format": "email", "maxLength": 254},
            }
        },
        "examples": [{"addresses": ["redaktion@kkp-beispiel.de"]}],
    },
    "TestSendResult": {
        "type": "object",
        "required": ["queued"],
        "properties": {
            "queued": {"type": "integer", "description": "Test mails queued (one per address)."}
        },
    },
    "Schedule": {
        "type": "object",
        "additionalProperties": False,
        "required": ["at"],
        "properties": {
            "at": {
                "type": "string",
                "pattern": DATE_IN_RANGE,
                "description": (
                    "ISO 8601 date and time in the future. With an offset (`+02:00`, `Z`) "
                    "as given; without one, German time (Europe/Berlin): a time skipped "
                    "when the clocks go forward is refused, a repeated one is the first. "
                    "Years up to 2200."
                ),
            }
        },
        "examples": [{"at": "2026-05-04T09:00"}, {"at": "2026-05-04T07:00:00Z"}],
    },
    "Pause": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"reason": text_schema(500, description="Shown to editors.")},
    },
    "IssueSending": {
        "type": "object",
        "required": ["recipients", "issue"],
        "properties": {
            "recipients": {
                "type": "integer",
                "description": "Confirmed subscribers of the issue's lists, counted now.",
            },
            "issue": schema_ref("IssueDetail"),
        },
    },
    "DeliveryFailure": {
        "type": "object",
        "required": ["delivery_id", "subscriber_id", "recipient", "answer", "final", "at"],
        "properties": {
            "delivery_id": {"type": "integer"},
            "subscriber_id": {"type": ["integer", "null"]},
            "recipient": {"type": "string"},
            "answer": {"type": "string", "description": "The mail server's answer."},
            "final": {
                "type": "boolean",
                "description": "true: given up; false: will be tried again.",
            },
            "at": _DATETIME,
        },
    },
    "IssueProgress": {
        "type": "object",
        "required": [
            "status",
            "total",
            "sent",
            "failed",
            "cancelled",
            "pending",
            "left",
            "rate",
            "seconds_left",
            "pause_reason",
            "started_at",
            "finished_at",
            "failures",
        ],
        "properties": {
            "status": {"type": "string", "enum": list(ISSUE_STATUSES)},
            "total": {"type": "integer", "description": "Recipients."},
            "sent": {"type": "integer"},
            "failed": {"type": "integer", "description": "Given up after retries."},
            "cancelled": {
                "type": "integer",
                "description": "Not sent: cancelled, or unsubscribed meanwhile.",
            },
            "pending": {"type": "integer", "description": "Queued or being sent now."},
            "left": {"type": "integer", "description": "Not yet sent, failed or cancelled."},
            "rate": {"type": "number", "description": "Mails per second, last 30 seconds."},
            "seconds_left": {
                "type": ["integer", "null"],
                "description": "Estimate at the current rate; null when not sending.",
            },
            "pause_reason": {"type": ["string", "null"]},
            "started_at": _DATETIME_OR_NULL,
            "finished_at": _DATETIME_OR_NULL,
            "failures": {
                "type": "array",
                "maxItems": 50,
                "items": schema_ref("DeliveryFailure"),
                "description": "The latest failed or retried deliveries, newest first.",
            },
        },
    },
}

_ISSUE_ID = id_parameter("issue_id", "The issue's id.")
_ARTICLE_ID = id_parameter("article_id", "The article's id (of this issue).")
_LOCATION = {"Location": {"description": "The issue's URL.", "schema": {"type": "string"}}}
_EDITABLE = " Only while the issue is a draft or scheduled; otherwise 409."


def _action(
    operation_id: str,
    summary: str,
    response: dict,
    *,
    status: str = "200",
    body: str | None = None,
    body_required: bool = True,
    errors: tuple[int, ...] = (404, 409),
    description: str | None = None,
) -> dict:
    """A POST on one issue."""
    operation = {"operationId": operation_id, "tags": ["issues"], "summary": summary}
    if description:
        operation["description"] = description
    if body:
        operation["requestBody"] = json_request(schema_ref(body), required=body_required)
    operation["responses"] = {status: response, **error_responses(400, 422, *errors)}
    return {"parameters": [_ISSUE_ID], "post": operation}


_ISSUE_RESPONSE = json_response("The issue afterwards.", schema_ref("IssueDetail"))

PATHS = {
    "/issues": {
        "get": {
            "operationId": "listIssues",
            "tags": ["issues"],
            "summary": "Issues by id, a page at a time (keyset paging), without articles.",
            "parameters": [
                query_parameter(
                    "status",
                    {"type": "string", "enum": list(ISSUE_STATUSES)},
                    "Only issues with this status.",
                ),
                *paging_parameters("Issues"),
            ],
            "responses": {
                "200": json_response("One page.", schema_ref("IssuePage")),
                **error_responses(422),
            },
        },
        "post": {
            "operationId": "createIssue",
            "tags": ["issues"],
            "summary": "Start a new issue (a draft).",
            "requestBody": json_request(schema_ref("IssueCreate")),
            "responses": {
                "201": json_response(
                    "The new draft.",
                    schema_ref("IssueDetail"),
                    headers=_LOCATION,
                    links=links_to(
                        "issue_id",
                        ("getIssue", "updateIssue", "addArticle", "testSendIssue", "sendIssue"),
                    ),
                ),
                **error_responses(400, 422),
            },
        },
    },
    "/issues/{issue_id}": {
        "parameters": [_ISSUE_ID],
        "get": {
            "operationId": "getIssue",
            "tags": ["issues"],
            "summary": "One issue with its articles.",
            "responses": {
                "200": json_response("The issue.", schema_ref("IssueDetail")),
                **error_responses(404),
            },
        },
        "patch": {
            "operationId": "updateIssue",
            "tags": ["issues"],
            "summary": "Change number, title, intro or lists.",
            "description": "The fields sent replace the stored ones." + _EDITABLE,
            "requestBody": json_request(schema_ref("IssueUpdate")),
            "responses": {
                "200": json_response(
                    "The issue afterwards.", schema_ref("IssueDetail"), headers=_LOCATION
                ),
                **error_responses(400, 404, 409, 422),
            },
        },
        "delete": {
            "operationId": "deleteIssue",
            "tags": ["issues"],
            "summary": "Delete a draft (or a cancelled issue that never started).",
            "responses": {"204": {"description": "Deleted."}, **error_responses(404, 409)},
        },
    },
    "/issues/{issue_id}/articles": {
        "parameters": [_ISSUE_ID],
        "post": {
            "operationId": "addArticle",
            "tags": ["issues"],
            "summary": "Add an article at the end.",
            "description": "A picture comes Base64-encoded, with its alternative text." + _EDITABLE,
            "requestBody": json_request(schema_ref("ArticleCreate")),
            "responses": {
                "201": json_response("The new article.", schema_ref("Article")),
                **error_responses(400, 404, 409, 422),
            },
        },
    },
    "/issues/{issue_id}/articles/{article_id}": {
        "parameters": [_ISSUE_ID, _ARTICLE_ID],
        "patch": {
            "operationId": "updateArticle",
            "tags": ["issues"],
            "summary": "Change an article's title, text, links or picture.",
            "description": "The fields sent replace the stored ones." + _EDITABLE,
            "requestBody": json_request(schema_ref("ArticleUpdate")),
            "responses": {
                "200": json_response("The article afterwards.", schema_ref("Article")),
                **error_responses(400, 404, 409, 422),
            },
        },
        "delete": {
            "operationId": "deleteArticle",
            "tags": ["issues"],
            "summary": "Remove an article; the ones after it move up.",
            "description": _EDITABLE.strip(),
            "responses": {"204": {"description": "Removed."}, **error_responses(404, 409)},
        },
    },
    "/issues/{issue_id}/articles/{article_id}/move": {
        "parameters": [_ISSUE_ID, _ARTICLE_ID],
        "post": {
            "operationId": "moveArticle",
            "tags": ["issues"],
            "summary": "Move an article one place (`delta`) or to a place (`position`).",
            "description": "Give exactly one of the two." + _EDITABLE,
            "requestBody": json_request(schema_ref("ArticleMove")),
            "responses": {
                "200": json_response("The issue in its new order.", schema_ref("IssueDetail")),
                **error_responses(400, 404, 409, 422),
            },
        },
    },
    "/issues/{issue_id}/test-send": _action(
        "testSendIssue",
        "Send the issue as it is now to up to five addresses, marked [Test].",
        json_response("Queued; the mails go out in the background.", schema_ref("TestSendResult")),
        status="202",
        body="TestSend",
        errors=(404,),
        description="In any status. Nobody on the lists gets anything.",
    ),
    "/issues/{issue_id}/schedule": _action(
        "scheduleIssue",
        "Send the issue at a time in the future.",
        json_response("Scheduled.", schema_ref("IssueSending")),
        body="Schedule",
        description=(
            "A draft or a scheduled issue (then the time changes). The issue needs "
            "articles, lists and someone confirmed on them (else 422); other states 409."
        ),
    ),
    "/issues/{issue_id}/unschedule": _action(
        "unscheduleIssue",
        "Take a scheduled issue back to draft.",
        _ISSUE_RESPONSE,
        description="Only a scheduled issue; otherwise 409.",
    ),
    "/issues/{issue_id}/send": _action(
        "sendIssue",
        "Start sending now, to every confirmed subscriber of the issue's lists, once.",
        json_response("Sending started; follow it with the progress.", schema_ref("IssueSending")),
        status="202",
        description=(
            "A draft or a scheduled issue. The issue needs articles, lists and someone "
            "confirmed on them (else 422); other states 409. The mail is frozen now: "
            "later changes are impossible."
        ),
    ),
    "/issues/{issue_id}/pause": _action(
        "pauseIssue",
        "Pause sending; nothing more goes out until resumed.",
        _ISSUE_RESPONSE,
        body="Pause",
        body_required=False,
        description="Only an issue being sent; otherwise 409.",
    ),
    "/issues/{issue_id}/resume": _action(
        "resumeIssue",
        "Continue a paused issue where it stopped; nobody gets it twice.",
        _ISSUE_RESPONSE,
        description="Only a paused issue; otherwise 409.",
    ),
    "/issues/{issue_id}/cancel": _action(
        "cancelIssue",
        "Stop for good; what was sent stays sent.",
        _ISSUE_RESPONSE,
        description="Only a scheduled, sending or paused issue; otherwise 409.",
    ),
    "/issues/{issue_id}/progress": {
        "parameters": [_ISSUE_ID],
        "get": {
            "operationId": "getIssueProgress",
            "tags": ["issues"],
            "summary": "How far sending is: counts, rate, time left, failures.",
            "responses": {
                "200": json_response("The progress.", schema_ref("IssueProgress")),
                **error_responses(404),
            },
        },
    },
}
