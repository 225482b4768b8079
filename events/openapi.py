"""The OpenAPI description of the event endpoints of /api/v1 (see events.api)."""

from __future__ import annotations

from events import event_input
from events.api_input import MAX_DESCRIPTION, MAX_SUMMARY
from events.models import EVENT_STATUSES, FORMATS, REGISTRATION_MODES, REGISTRATION_STATUSES
from kkp.api import (
    DATE_IN_RANGE,
    MAX_ID,
    MULTI_LINE,
    error_responses,
    id_parameter,
    json_request,
    json_response,
    schema_ref,
    text_schema,
)
from newsletter.openapi import links_to, paging_parameters, query_parameter

_DATETIME = {"type": "string", "format": "date-time"}
_DATETIME_OR_NULL = {"type": ["string", "null"], "format": "date-time"}
_ID_OR_NULL = {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ID}
_DAY_OR_TIME = {
    "anyOf": [{"format": "date-time"}, {"format": "date"}],
    "type": "string",
    "description": "German time with its offset; for all-day events a date.",
}
_WHEN = {
    "type": "string",
    "maxLength": 40,
    "pattern": DATE_IN_RANGE,
    "description": (
        '"YYYY-MM-DDTHH:MM" in German time (Europe/Berlin), or with an offset or `Z` '
        '(converted to German time); "YYYY-MM-DD" for all-day events (`end`: the last '
        "day). A time the clocks skip in spring is refused; one that occurs twice in "
        "autumn, given without an offset, is the first (summer time), and `notes` says so. "
        "Years 1900 to 2200."
    ),
}
_EVENT_PROPERTIES = {
    "kind": {
        "type": "string",
        "maxLength": 80,
        "description": "The kind's slug, e.g. `fortbildung` (GET /event-kinds).",
    },
    "title": text_schema(event_input.MAX_TITLE, minLength=1),
    "summary": {
        "type": "string",
        "maxLength": MAX_SUMMARY,
        "pattern": MULTI_LINE,
        "description": "One or two sentences for lists and feeds.",
    },
    "description": {
        "type": "string",
        "maxLength": MAX_DESCRIPTION,
        "pattern": MULTI_LINE,
        "description": "Markdown; several lines.",
    },
    "format": {"type": "string", "enum": list(FORMATS), "default": "in_person"},
    "venue": text_schema(200, description="In person and hybrid: venue or address needed."),
    "address": text_schema(event_input.MAX_LINE),
    "join_url": {
        "type": "string",
        "maxLength": 1000,
        "description": (
            "Online and hybrid: http:// or https:// only. Shown to confirmed participants, "
            "and to everyone when there is no registration."
        ),
    },
    "all_day": {"type": "boolean", "default": False},
    "start": _WHEN,
    "end": {**_WHEN, "description": _WHEN["description"] + " Optional for all-day events."},
    "organizer_name": text_schema(200),
    "organizer_email": {"type": "string", "maxLength": 254, "format": "email"},
    "audience": text_schema(event_input.MAX_LINE, description='e.g. "Netzwerkkoordinatorinnen".'),
    "cost_note": text_schema(event_input.MAX_LINE, description='e.g. "kostenfrei".'),
    "registration_mode": {"type": "string", "enum": list(REGISTRATION_MODES), "default": "open"},
    "capacity": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": event_input.MAX_CAPACITY,
        "description": "Seats; null: no limit. Not below the people confirmed.",
    },
    "registration_deadline": {
        **_WHEN,
        "type": ["string", "null"],
        "description": (
            "Like `start`; a date alone means the end of that day. null: registration "
            "closes at the start."
        ),
    },
    "reminder_hours": {
        "type": ["integer", "null"],
        "minimum": 1,
        "maximum": event_input.MAX_REMINDER_HOURS,
        "default": 24,
        "description": "Participants are reminded this many hours before; null: no reminder.",
    },
    "series_id": {**_ID_OR_NULL, "description": "The series this date belongs to."},
}
_EVENT_EXAMPLE = {
    "kind": "fortbildung",
    "title": "Fortbildung Gewaltprävention",
    "summary": "Grundlagen für Fachkräfte der Jugendhilfe.",
    "format": "hybrid",
    "venue": "Rathaus, Sitzungssaal",
    "address": "Markt 1, 01067 Dresden",
    "join_url": "https://meet.example.org/gewaltpraevention",
    "start": "2026-05-12T10:00",
    "end": "2026-05-12T15:30",
    "organizer_name": "Koordinierungsstelle",
    "organizer_email": "kkp@example.org",
    "registration_mode": "open",
    "capacity": 25,
    "registration_deadline": "2026-05-05",
}
_PAGE_NEXT = {
    "type": ["integer", "null"],
    "description": "Pass as `after` for the next page; null on the last page.",
}


def _page(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "next_after"],
        "properties": {
            "items": {"type": "array", "items": schema_ref(item)},
            "next_after": _PAGE_NEXT,
        },
    }


SCHEMAS = {
    "EventKind": {
        "type": "object",
        "required": ["id", "slug", "name", "name_en", "position", "calendar_url"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string", "description": "Used as `kind` in events."},
            "name": {"type": "string", "description": "German."},
            "name_en": {"type": "string", "description": "English; empty: the German one."},
            "position": {"type": "integer"},
            "calendar_url": {"type": "string", "format": "uri"},
        },
    },
    "EventKindList": {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": schema_ref("EventKind")}},
    },
    "EventKindCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {"name": text_schema(120, minLength=1), "name_en": text_schema(120)},
        "examples": [{"name": "Fachtag", "name_en": "Conference day"}],
    },
    "EventSeries": {
        "type": "object",
        "required": ["id", "slug", "title", "description", "url", "events", "created_at"],
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "description": {"type": "string", "description": "Markdown."},
            "url": {"type": "string", "format": "uri", "description": "The public page."},
            "events": {
                "type": "array",
                "description": "The dates of the series, earliest first.",
                "items": {
                    "type": "object",
                    "required": ["id", "slug", "title", "start", "status"],
                    "properties": {
                        "id": {"type": "integer"},
                        "slug": {"type": "string"},
                        "title": {"type": "string"},
                        "start": _DAY_OR_TIME,
                        "status": {"type": "string", "enum": list(EVENT_STATUSES)},
                    },
                },
            },
            "created_at": _DATETIME,
        },
    },
    "EventSeriesPage": _page("EventSeries"),
    "EventSeriesCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["title"],
        "properties": {
            "title": text_schema(event_input.MAX_TITLE, minLength=1),
            "description": _EVENT_PROPERTIES["description"],
        },
        "examples": [
            {"title": "Fortbildungsreihe Gewaltprävention", "description": "Vier Termine."}
        ],
    },
    "EventSeriesUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "title": text_schema(event_input.MAX_TITLE, minLength=1),
            "description": _EVENT_PROPERTIES["description"],
        },
        "examples": [{"description": "Fünf Termine, jeweils dienstags."}],
    },
    "Event": {
        "type": "object",
        "required": [
            "id",
            "slug",
            "uid",
            "url",
            "ics_url",
            "kind",
            "series_id",
            "title",
            "summary",
            "description",
            "format",
            "venue",
            "address",
            "join_url",
            "all_day",
            "start",
            "end",
            "timezone",
            "organizer",
            "audience",
            "cost_note",
            "registration",
            "reminder_hours",
            "status",
            "sequence",
            "updated_at",
        ],  # fmt: skip
        "properties": {
            "id": {"type": "integer"},
            "slug": {"type": "string", "description": "The public address's last part; kept."},
            "uid": {"type": "string", "description": "The iCalendar UID; never changes."},
            "url": {"type": "string", "format": "uri", "description": "The public page."},
            "ics_url": {"type": "string", "format": "uri", "description": "The event as .ics."},
            "kind": {"type": "string", "description": "The kind's slug."},
            "series_id": {"type": ["integer", "null"]},
            "title": {"type": "string"},
            "summary": {"type": "string"},
            "description": {"type": "string", "description": "Markdown."},
            "format": {"type": "string", "enum": list(FORMATS)},
            "venue": {"type": "string"},
            "address": {"type": "string"},
            "join_url": {"type": "string"},
            "all_day": {"type": "boolean"},
            "start": _DAY_OR_TIME,
            "end": {**_DAY_OR_TIME, "description": _DAY_OR_TIME["description"] + " (last day)"},
            "timezone": {"type": "string", "const": "Europe/Berlin"},
            "organizer": {
                "type": "object",
                "required": ["name", "email"],
                "properties": {"name": {"type": "string"}, "email": {"type": "string"}},
            },
            "audience": {"type": "string"},
            "cost_note": {"type": "string"},
            "registration": {
                "type": "object",
                "required": [
                    "mode",
                    "capacity",
                    "deadline",
                    "confirmed",
                    "pending",
                    "waiting",
                    "seats_left",
                ],
                "properties": {
                    "mode": {"type": "string", "enum": list(REGISTRATION_MODES)},
                    "capacity": {"type": ["integer", "null"], "description": "null: no limit."},
                    "deadline": {
                        **_DATETIME_OR_NULL,
                        "description": "German time with its offset; null: the start.",
                    },
                    "confirmed": {"type": "integer"},
                    "pending": {
                        "type": "integer",
                        "description": "Seats held for people who registered on the website "
                        "and have yet to click the link in their mail.",
                    },
                    "waiting": {"type": "integer"},
                    "seats_left": {
                        "type": ["integer", "null"],
                        "description": "Capacity less confirmed and pending; null: no limit.",
                    },
                },
            },
            "reminder_hours": {"type": ["integer", "null"]},
            "status": {
                "type": "string",
                "enum": list(EVENT_STATUSES),
                "description": "draft → published → cancelled; drafts can be deleted.",
            },
            "sequence": {
                "type": "integer",
                "description": "iCalendar SEQUENCE; rises when time, place or link change.",
            },
            "updated_at": {**_DATETIME, "description": "UTC."},
            "notes": {
                "type": "array",
                "items": {"type": "string"},
                "description": (
                    "Only in answers to POST and PATCH: hints that are not errors, e.g. a "
                    "time that occurs twice when the clocks go back."
                ),
            },
        },
    },
    "EventPage": _page("Event"),
    "EventCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["kind", "title", "start"],
        "properties": _EVENT_PROPERTIES,
        "examples": [
            _EVENT_EXAMPLE,
            {
                "kind": "infoveranstaltung",
                "title": "Tag der Prävention",
                "all_day": True,
                "start": "2026-06-20",
                "venue": "Marktplatz",
                "registration_mode": "none",
            },
        ],
    },
    "EventUpdate": {
        "type": "object",
        "additionalProperties": False,
        "properties": _EVENT_PROPERTIES,
        "description": "Fields not sent keep their values.",
        "examples": [{"start": "2026-05-19T10:00", "end": "2026-05-19T15:30"}, {"capacity": 30}],
    },
    "EventCopy": {
        "type": "object",
        "additionalProperties": False,
        "required": ["start"],
        "properties": {
            "start": {
                "type": "string",
                "format": "date",
                "pattern": DATE_IN_RANGE,
                "description": "The new first day; times and deadline move along.",
            }
        },
        "examples": [{"start": "2026-06-09"}],
    },
    "Invitation": {
        "type": "object",
        "additionalProperties": False,
        "required": ["list_id"],
        "properties": {"list_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
        "examples": [{"list_id": 2}],
    },
    "InvitationResult": {
        "type": "object",
        "required": ["invited"],
        "properties": {
            "invited": {
                "type": "integer",
                "description": "Confirmed members of the list invited now (not those known).",
            }
        },
    },
    "Registration": {
        "type": "object",
        "required": [
            "id",
            "event_id",
            "name",
            "email",
            "organisation",
            "status",
            "waiting_place",
            "source",
            "created_at",
            "confirmed_at",
            "cancelled_at",
            "hold_until",
        ],  # fmt: skip
        "properties": {
            "id": {"type": "integer"},
            "event_id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string"},
            "organisation": {"type": "string"},
            "status": {"type": "string", "enum": list(REGISTRATION_STATUSES)},
            "waiting_place": {
                "type": ["integer", "null"],
                "description": "1 for the first on the waiting list; null when not waiting.",
            },
            "source": {"type": "string", "enum": ["form", "editor", "invitation", "api"]},
            "created_at": {**_DATETIME, "description": "UTC."},
            "confirmed_at": _DATETIME_OR_NULL,
            "cancelled_at": _DATETIME_OR_NULL,
            "hold_until": {
                **_DATETIME_OR_NULL,
                "description": "pending, pending_waiting: lapses then unless the person "
                "clicks the link in the mail (UTC); otherwise null.",
            },
        },
    },
    "RegistrationPage": _page("Registration"),
    "RegistrationCreate": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "email"],
        "properties": {
            "name": text_schema(200, minLength=1),
            "email": {"type": "string", "format": "email", "maxLength": 254},
            "organisation": text_schema(200),
            "over_capacity": {
                "type": "boolean",
                "default": False,
                "description": "A seat even when the event is full (else the waiting list).",
            },
        },
        "examples": [
            {"name": "Anna Beispiel", "email": "anna@example.org", "organisation": "Stadt X"}
        ],
    },
}

_EVENT_ID = id_parameter("event_id", "The event's id.")
_SERIES_ID = id_parameter("series_id", "The series' id.")
_REGISTRATION_ID = id_parameter("registration_id", "The registration's id.")


def _location(what: str) -> dict:
    return {"Location": {"description": f"The {what}'s URL.", "schema": {"type": "string"}}}


_EVENT_LINKS = links_to(
    "event_id", ("getEvent", "updateEvent", "publishEvent", "listRegistrations")
)
_EVENT_RESPONSE = json_response("The event afterwards.", schema_ref("Event"))
_REGISTRATION_RESPONSE = json_response("The registration afterwards.", schema_ref("Registration"))


def _post(
    parameter: dict,
    operation_id: str,
    tag: str,
    summary: str,
    description: str,
    responses: dict,
    *,
    body: str | None = None,
    errors: tuple[int, ...] = (404, 409),
) -> dict:
    """An action: a POST on one object."""
    operation = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": summary,
        "description": description,
    }
    if body:
        operation["requestBody"] = json_request(schema_ref(body))
    operation["responses"] = {**responses, **error_responses(400, 422, *errors)}
    return {"parameters": [parameter], "post": operation}


PATHS = {
    "/event-kinds": {
        "get": {
            "operationId": "listEventKinds",
            "tags": ["events"],
            "summary": "The kinds of events, in their order.",
            "responses": {
                "200": json_response("The kinds.", schema_ref("EventKindList")),
                **error_responses(),
            },
        },
        "post": {
            "operationId": "createEventKind",
            "tags": ["events"],
            "summary": "Add a kind; its slug comes from the name.",
            "requestBody": json_request(schema_ref("EventKindCreate")),
            "responses": {
                "201": json_response("The new kind.", schema_ref("EventKind")),
                **error_responses(400, 422),
            },
        },
    },
    "/series": {
        "get": {
            "operationId": "listSeries",
            "tags": ["events"],
            "summary": "Series by id, a page at a time (keyset paging), with their dates.",
            "parameters": paging_parameters("Series"),
            "responses": {
                "200": json_response("One page.", schema_ref("EventSeriesPage")),
                **error_responses(422),
            },
        },
        "post": {
            "operationId": "createSeries",
            "tags": ["events"],
            "summary": "Start a series (a training in several dates).",
            "description": "Add dates with `series_id` on an event, or copy an event.",
            "requestBody": json_request(schema_ref("EventSeriesCreate")),
            "responses": {
                "201": json_response(
                    "The new series.",
                    schema_ref("EventSeries"),
                    headers=_location("series"),
                    links=links_to("series_id", ("getSeries", "updateSeries")),
                ),
                **error_responses(400, 422),
            },
        },
    },
    "/series/{series_id}": {
        "parameters": [_SERIES_ID],
        "get": {
            "operationId": "getSeries",
            "tags": ["events"],
            "summary": "One series with its dates.",
            "responses": {
                "200": json_response("The series.", schema_ref("EventSeries")),
                **error_responses(404),
            },
        },
        "patch": {
            "operationId": "updateSeries",
            "tags": ["events"],
            "summary": "Change a series' title or description.",
            "requestBody": json_request(schema_ref("EventSeriesUpdate")),
            "responses": {
                "200": json_response("The series afterwards.", schema_ref("EventSeries")),
                **error_responses(400, 404, 422),
            },
        },
    },
    "/events": {
        "get": {
            "operationId": "listEvents",
            "tags": ["events"],
            "summary": "Events by id, a page at a time (keyset paging).",
            "parameters": [
                query_parameter(
                    "status",
                    {"type": "string", "enum": list(EVENT_STATUSES)},
                    "Only events with this status.",
                ),
                query_parameter(
                    "kind", {"type": "string", "maxLength": 80}, "Only events of this kind (slug)."
                ),
                query_parameter(
                    "from",
                    {"type": "string", "format": "date", "pattern": DATE_IN_RANGE},
                    "Only events not over before this day (German time), e.g. today.",
                ),
                query_parameter(
                    "series_id",
                    {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "Only the dates of this series.",
                ),
                *paging_parameters("Events"),
            ],
            "responses": {
                "200": json_response("One page.", schema_ref("EventPage")),
                **error_responses(422),
            },
        },
        "post": {
            "operationId": "createEvent",
            "tags": ["events"],
            "summary": "Create an event (a draft).",
            "description": (
                "Published only with POST /events/{id}/publish. Wrong input is 422 with "
                "`fields` named as in this body (`start`, `end`, `registration_deadline`, …)."
            ),
            "requestBody": json_request(schema_ref("EventCreate")),
            "responses": {
                "201": json_response(
                    "The new draft.",
                    schema_ref("Event"),
                    headers=_location("event"),
                    links=_EVENT_LINKS,
                ),
                **error_responses(400, 422),
            },
        },
    },
    "/events/{event_id}": {
        "parameters": [_EVENT_ID],
        "get": {
            "operationId": "getEvent",
            "tags": ["events"],
            "summary": "One event with its seats.",
            "responses": {
                "200": json_response("The event.", schema_ref("Event")),
                **error_responses(404),
            },
        },
        "patch": {
            "operationId": "updateEvent",
            "tags": ["events"],
            "summary": "Change some of an event's fields; the others keep their values.",
            "description": (
                "When a published event's time, place or join link changes, its "
                "participants get an update for their calendars. A cancelled event: 409."
            ),
            "requestBody": json_request(schema_ref("EventUpdate")),
            "responses": {
                "200": json_response(
                    "The event afterwards.", schema_ref("Event"), headers=_location("event")
                ),
                **error_responses(400, 404, 409, 422),
            },
        },
        "delete": {
            "operationId": "deleteEvent",
            "tags": ["events"],
            "summary": "Delete a draft.",
            "description": "Published or cancelled events cannot be deleted (409); cancel them.",
            "responses": {"204": {"description": "Deleted."}, **error_responses(404, 409)},
        },
    },
    "/events/{event_id}/publish": _post(
        _EVENT_ID,
        "publishEvent",
        "events",
        "Publish a draft: on the public pages, in the calendars, open for registration.",
        "Only a draft; otherwise 409.",
        {"200": _EVENT_RESPONSE},
    ),
    "/events/{event_id}/cancel": _post(
        _EVENT_ID,
        "cancelEvent",
        "events",
        "Cancel an event; participants and invited people are told.",
        "Their calendars get a CANCEL. An event cancelled already: 409.",
        {"200": _EVENT_RESPONSE},
    ),
    "/events/{event_id}/copy": _post(
        _EVENT_ID,
        "copyEvent",
        "events",
        "Another date of the same event: a draft in the event's series.",
        "Everything but the day is copied; a series is made when the event has none.",
        {
            "201": json_response(
                "The new draft.",
                schema_ref("Event"),
                headers=_location("event"),
                links=_EVENT_LINKS,
            )
        },
        body="EventCopy",
        errors=(404,),
    ),
    "/events/{event_id}/invitations": _post(
        _EVENT_ID,
        "inviteList",
        "events",
        "Invite every confirmed member of a list who is not registered yet.",
        (
            "Each gets an invitation with accept and decline links. The event must be "
            "published, need registration and not be past its deadline (else 409)."
        ),
        {"200": json_response("How many were invited.", schema_ref("InvitationResult"))},
        body="Invitation",
    ),
    "/events/{event_id}/registrations": {
        "parameters": [_EVENT_ID],
        "get": {
            "operationId": "listRegistrations",
            "tags": ["registrations"],
            "summary": "The event's registrations by id, a page at a time (keyset paging).",
            "parameters": [
                query_parameter(
                    "status",
                    {"type": "string", "enum": list(REGISTRATION_STATUSES)},
                    "Only registrations with this status.",
                ),
                *paging_parameters("Registrations"),
            ],
            "responses": {
                "200": json_response("One page.", schema_ref("RegistrationPage")),
                **error_responses(404, 422),
            },
        },
        "post": {
            "operationId": "addRegistration",
            "tags": ["registrations"],
            "summary": "Register someone who agreed elsewhere (the office states consent).",
            "description": (
                "A seat when one is free (or with `over_capacity`), else the waiting list; "
                "the person gets the matching mail. A cancelled event: 409; someone "
                "registered already: 422 on `email`."
            ),
            "requestBody": json_request(schema_ref("RegistrationCreate")),
            "responses": {
                "201": json_response(
                    "Registered: `status` is confirmed or waiting.",
                    schema_ref("Registration"),
                    headers=_location("registration"),
                ),
                **error_responses(400, 404, 409, 422),
            },
        },
    },
    "/registrations/{registration_id}": {
        "parameters": [_REGISTRATION_ID],
        "get": {
            "operationId": "getRegistration",
            "tags": ["registrations"],
            "summary": "One registration.",
            "responses": {
                "200": json_response("The registration.", schema_ref("Registration")),
                **error_responses(404),
            },
        },
    },
    "/registrations/{registration_id}/cancel": _post(
        _REGISTRATION_ID,
        "cancelRegistration",
        "registrations",
        "Remove someone; a freed seat goes to the next on the waiting list.",
        "The person is told. Cancelled or declined already: 409.",
        {"200": _REGISTRATION_RESPONSE},
    ),
    "/registrations/{registration_id}/move-up": _post(
        _REGISTRATION_ID,
        "moveUpRegistration",
        "registrations",
        "Move someone up from the waiting list.",
        (
            "A free seat if there is one (the person is told), otherwise the first place "
            "on the waiting list. Only people waiting; otherwise 409."
        ),
        {"200": _REGISTRATION_RESPONSE},
    ),
}
