"""The event API's input schemas: what each body and query may hold."""

from __future__ import annotations

from events import event_input
from events.api.booking_schemas import settings_fields
from events.api.input import WHEN, parse_day, when, when_or_null
from events.api.questions import ANSWER_FIELDS
from events.models import (
    EVENT_STATUSES,
    FORMATS,
    PARTICIPATIONS,
    REGISTRATION_MODES,
    REGISTRATION_STATUSES,
    EventFormat,
    RegistrationMode,
)
from kkp.api_docs import DATE_IN_RANGE
from kkp.api_fields import (
    ApiSchema,
    Flag,
    Markdown,
    Number,
    QueryNumber,
    Structured,
    Text,
    paging,
)

#: the longest summary and description, in characters
MAX_SUMMARY, MAX_DESCRIPTION = 2000, 50_000


def _description() -> Markdown:
    return Markdown(MAX_DESCRIPTION, metadata={"description": "Markdown; several lines."})


def _event_fields(required: bool) -> dict:
    return {
        "kind": Text(
            80,
            required=required,
            metadata={"description": "The kind's slug, e.g. `fortbildung` (GET /event-kinds)."},
        ),
        "title": Text(event_input.MAX_TITLE, min_length=1, required=required),
        "summary": Markdown(
            MAX_SUMMARY, metadata={"description": "One or two sentences for lists and feeds."}
        ),
        "description": _description(),
        "format": Text(20, choices=FORMATS, metadata={"default": EventFormat.IN_PERSON}),
        "venue": Text(
            200, metadata={"description": "In person and hybrid: venue or address needed."}
        ),
        "address": Text(event_input.MAX_LINE),
        "join_url": Text(
            1000,
            metadata={
                "description": (
                    "Online and hybrid: http:// or https:// only. Shown to confirmed "
                    "participants, and to everyone when there is no registration."
                )
            },
        ),
        "all_day": Flag(metadata={"default": False}),
        "start": Structured(when, WHEN, required=required),
        "end": Structured(
            when, {**WHEN, "description": WHEN["description"] + " Optional for all-day events."}
        ),
        "organizer_name": Text(200),
        "organizer_email": Text(254, metadata={"format": "email"}),
        "audience": Text(
            event_input.MAX_LINE, metadata={"description": 'e.g. "Netzwerkkoordinatorinnen".'}
        ),
        "cost_note": Text(event_input.MAX_LINE, metadata={"description": 'e.g. "kostenfrei".'}),
        "registration_mode": Text(
            20, choices=REGISTRATION_MODES, metadata={"default": RegistrationMode.OPEN}
        ),
        "capacity": Number(
            nullable=True,
            maximum=event_input.MAX_CAPACITY,
            metadata={
                "description": "Seats (of a hybrid event: on site); null: no limit. Not below "
                "the people confirmed."
            },
        ),
        "capacity_online": Number(
            nullable=True,
            maximum=event_input.MAX_CAPACITY,
            metadata={
                "description": "Only for hybrid events: the online seats, counted apart from "
                "those on site, with their own waiting list; null: no limit. Ignored for "
                "other formats."
            },
        ),
        "registration_deadline": Structured(
            when_or_null,
            {
                **WHEN,
                "type": ["string", "null"],
                "description": (
                    "Like `start`; a date alone means the end of that day. null: "
                    "registration closes at the start."
                ),
            },
        ),
        "reminder_hours": Number(
            nullable=True,
            maximum=event_input.MAX_REMINDER_HOURS,
            metadata={
                "default": 24,
                "description": "Participants are reminded this many hours before; null: no "
                "reminder.",
            },
        ),
        "retention_months": Number(
            nullable=True,
            maximum=event_input.MAX_RETENTION_MONTHS,
            metadata={
                "description": "Months after the last date (of a series: its last date) "
                "until the registrations are anonymised; null: the series' or the default."
            },
        ),
        "series_id": Number(
            nullable=True, metadata={"description": "The series this date belongs to."}
        ),
    }


EventCreateSchema = ApiSchema.from_dict(_event_fields(True), name="EventCreateSchema")
EventCreateSchema.EXAMPLES = [
    {
        "kind": "fortbildung",
        "title": "Fortbildung Gewaltprävention",
        "summary": "Grundlagen für Fachkräfte der Jugendhilfe.",
        "format": EventFormat.HYBRID,
        "venue": "Rathaus, Sitzungssaal",
        "address": "Markt 1, 01067 Dresden",
        "join_url": "https://meet.example.org/gewaltpraevention",
        "start": "2026-05-12T10:00",
        "end": "2026-05-12T15:30",
        "organizer_name": "Koordinierungsstelle",
        "organizer_email": "kkp@example.org",
        "registration_mode": RegistrationMode.OPEN,
        "capacity": 25,
        "registration_deadline": "2026-05-05",
    },
    {
        "kind": "infoveranstaltung",
        "title": "Tag der Prävention",
        "all_day": True,
        "start": "2026-06-20",
        "venue": "Marktplatz",
        "registration_mode": RegistrationMode.NONE,
    },
]
EventUpdateSchema = ApiSchema.from_dict(_event_fields(False), name="EventUpdateSchema")
EventUpdateSchema.EXAMPLES = [
    {"start": "2026-05-19T10:00", "end": "2026-05-19T15:30"},
    {"capacity": 30},
]


class _Day(Text):
    """A date alone in the query string, "YYYY-MM-DD"."""

    def _deserialize(self, value, attr, data, **kwargs):
        return parse_day(super()._deserialize(value, attr, data, **kwargs))


class EventQuerySchema(ApiSchema):
    status = Text(
        20, choices=EVENT_STATUSES, metadata={"description": "Only events with this status."}
    )
    kind = Text(80, metadata={"description": "Only events of this kind (slug)."})
    # `from` is a keyword in Python: the field is named in `data_key`
    from_ = _Day(
        10,
        data_key="from",
        pattern=DATE_IN_RANGE,
        metadata={
            "format": "date",
            "description": "Only events not over before this day (German time), e.g. today.",
        },
    )
    series_id = QueryNumber(metadata={"description": "Only the dates of this series."})
    after, limit = paging("Events")


class EventKindCreateSchema(ApiSchema):
    EXAMPLES = [{"name": "Fachtag", "name_en": "Conference day"}]

    name = Text(120, min_length=1, required=True)
    name_en = Text(120)


def _series_fields(required: bool) -> dict:
    return {
        "title": Text(event_input.MAX_TITLE, min_length=1, required=required),
        "description": _description(),
        **settings_fields(),
    }


EventSeriesCreateSchema = ApiSchema.from_dict(_series_fields(True), name="EventSeriesCreateSchema")
EventSeriesCreateSchema.EXAMPLES = [
    {"title": "Fortbildungsreihe Gewaltprävention", "description": "Vier Termine."},
    {
        "title": "Sicherheitsaudits in der Kommune planen",
        "registration_scope": "course",
        "capacity": 25,
        "registration_deadline": "2026-05-05",
        "certificate_share": 75,
        "teaching_units": True,
    },
]
EventSeriesUpdateSchema = ApiSchema.from_dict(_series_fields(False), name="EventSeriesUpdateSchema")
EventSeriesUpdateSchema.EXAMPLES = [{"description": "Fünf Termine, jeweils dienstags."}]


class SeriesQuerySchema(ApiSchema):
    after, limit = paging("Series")


class EventCopySchema(ApiSchema):
    EXAMPLES = [{"start": "2026-06-09"}]

    start = Structured(
        parse_day,
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_IN_RANGE,
            "description": "The new first day; times and deadline move along.",
        },
        required=True,
    )


class InvitationSchema(ApiSchema):
    EXAMPLES = [{"list_id": 2}]

    list_id = Number(required=True)


class RegistrationCreateSchema(ApiSchema):
    EXAMPLES = [{"name": "Anna Beispiel", "email": "anna@example.org", "organisation": "Stadt X"}]

    name = Text(200, min_length=1, required=True)
    email = Text(254, required=True, metadata={"format": "email"})
    organisation = Text(200)
    participation = Text(
        10,
        choices=PARTICIPATIONS,
        metadata={"description": "Hybrid events (required there): on site or online."},
    )
    over_capacity = Flag(
        metadata={
            "default": False,
            "description": "A seat even when the event is full (else the waiting list).",
        }
    )
    answers = ANSWER_FIELDS["answers"]
    consents = ANSWER_FIELDS["consents"]


class RegistrationMoveSchema(ApiSchema):
    EXAMPLES = [{"event_id": 12}]

    event_id = Number(
        required=True,
        metadata={"description": "Another date of the same series of one of several dates."},
    )


class RegistrationQuerySchema(ApiSchema):
    status = Text(
        20,
        choices=REGISTRATION_STATUSES,
        metadata={"description": "Only registrations with this status."},
    )
    after, limit = paging("Registrations")
