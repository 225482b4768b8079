"""The course bookings' API schemas (input and answers), and the series' booking
settings as the series' routes take and give them."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma

from events.api.input import WHEN, when_or_null
from events.api.questions import ANSWER_FIELDS, given_fields, given_json
from events.course_models import CourseBooking
from events.course_seats import waiting_place
from events.event_input import MAX_CAPACITY, Errors
from events.models import (
    PARTICIPATIONS,
    REGISTRATION_SCOPES,
    REGISTRATION_SOURCES,
    REGISTRATION_STATUSES,
    EventSeries,
)
from events.series_settings import (
    MAX_RETENTION_MONTHS,
    SeriesSettings,
    berlin_deadline,
    save_settings,
)
from kkp.api_fields import (
    AnswerSchema,
    ApiSchema,
    Flag,
    Markdown,
    Number,
    Structured,
    Text,
    answer,
    page_of,
    paging,
)


class BookingCreateSchema(ApiSchema):
    EXAMPLES = [{"name": "Anna Beispiel", "email": "anna@example.org", "organisation": "Stadt X"}]

    name = Text(200, min_length=1, required=True)
    email = Text(254, required=True, metadata={"format": "email"})
    organisation = Text(200)
    participation = Text(
        10,
        choices=PARTICIPATIONS,
        metadata={"description": "Courses with hybrid dates (required there): on site or online."},
    )
    over_capacity = Flag(
        metadata={
            "default": False,
            "description": "A seat even when the course is full (else the waiting list).",
        }
    )
    answers = ANSWER_FIELDS["answers"]
    consents = ANSWER_FIELDS["consents"]


class BookingQuerySchema(ApiSchema):
    status = Text(
        20,
        choices=REGISTRATION_STATUSES,
        metadata={"description": "Only bookings with this status."},
    )
    after, limit = paging("Bookings")


class BookingSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    series_id = answer(ma.fields.Integer)
    name = answer()
    email = answer()
    organisation = answer()
    status = answer(enum=list(REGISTRATION_STATUSES))
    participation = answer(
        enum=["", *PARTICIPATIONS],
        description="Courses with hybrid dates: on site or online (each kind has its own "
        "seats and waiting list); empty for others.",
    )
    waiting_place = answer(
        ma.fields.Integer,
        nullable=True,
        description="1 for the first on the course's (kind's) waiting list; null when not waiting.",
    )
    source = answer(enum=list(REGISTRATION_SOURCES))
    registration_ids = answer(
        ma.fields.List,
        ma.fields.Integer,
        description="The booking's registration on each date (confirmed bookings).",
    )
    created_at = answer(ma.fields.DateTime, description="UTC.")
    confirmed_at = answer(ma.fields.DateTime, nullable=True)
    cancelled_at = answer(ma.fields.DateTime, nullable=True)
    hold_until = answer(
        ma.fields.DateTime,
        nullable=True,
        description="pending, pending_waiting: lapses then unless confirmed (UTC).",
    )
    answers, consents = given_fields().values()


BookingPageSchema = page_of(BookingSchema, "BookingPageSchema")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def booking_json(
    booking: CourseBooking, place: int | None = None, given: dict | None = None
) -> dict:
    """`given` (:func:`given_json` by booking ids) for a page of bookings at once."""
    if given is None:
        given = given_json(booking_ids=[booking.id])
    return {
        "id": booking.id,
        "series_id": booking.series_id,
        "name": booking.name,
        "email": booking.email,
        "organisation": booking.organisation,
        "status": booking.status,
        "participation": booking.participation,
        "waiting_place": place if place is not None else waiting_place(booking),
        "source": booking.source,
        "registration_ids": [r.id for r in booking.registrations],
        "created_at": _iso(booking.created_at),
        "confirmed_at": _iso(booking.confirmed_at),
        "cancelled_at": _iso(booking.cancelled_at),
        "hold_until": _iso(booking.hold_until),
        **given.get(booking.id, {"answers": {}, "consents": []}),
    }


# -- the series' settings ------------------------------------------------------------------


def settings_fields() -> dict:
    """The series' booking and certificate settings in its create and update bodies."""
    return {
        "registration_scope": Text(
            20,
            choices=REGISTRATION_SCOPES,
            metadata={
                "default": "dates",
                "description": "dates: each date on its own; course: one booking for all "
                "dates; one_of: one of several dates.",
            },
        ),
        "capacity": Number(
            nullable=True,
            maximum=MAX_CAPACITY,
            metadata={"description": "The course's seats (hybrid: on site); null: no limit."},
        ),
        "capacity_online": Number(
            nullable=True,
            maximum=MAX_CAPACITY,
            metadata={"description": "A hybrid course's online seats; null: no limit."},
        ),
        "registration_deadline": Structured(
            when_or_null,
            {
                **WHEN,
                "type": ["string", "null"],
                "description": "Booking the course closes; a date alone means the end of "
                "that day. null: at the first date's start.",
            },
        ),
        "certificate_share": Number(
            minimum=0,
            maximum=100,
            metadata={"default": 75, "description": "Percent of the dates for a certificate."},
        ),
        "teaching_units": Flag(
            metadata={"default": False, "description": "Certificates count 45-minute units."}
        ),
        "certificate_summary": Markdown(5000),
        "signer_name": Text(200),
        "signer_role": Text(200),
        "retention_months": Number(
            nullable=True,
            maximum=MAX_RETENTION_MONTHS,
            metadata={"description": "Months after the last date; null: the default."},
        ),
    }


def settings_json(series: EventSeries) -> dict:
    settings = SeriesSettings.of(series)
    return {**settings.__dict__, "registration_deadline": _iso(settings.registration_deadline)}


def apply_settings(series: EventSeries, values: dict) -> None:
    """Store the settings a body gives; those it leaves out stay."""
    settings = SeriesSettings.of(series)
    errors = Errors()
    for name, value in values.items():
        if name == "registration_deadline":
            value = berlin_deadline(*value, errors) if value is not None else None
        if hasattr(settings, name):
            setattr(settings, name, value)
    save_settings(series, settings, errors)
