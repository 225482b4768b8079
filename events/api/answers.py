"""What the events API answers: events, series, kinds and registrations, as JSON and as
the schemas that describe it.

Times of events are Europe/Berlin with their offset ("2026-05-12T10:00:00+02:00"),
all-day events dates; other instants UTC.
"""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
import sqlalchemy as sa
from flask import current_app

from events import registrations as regs
from events.api.booking_schemas import settings_json
from events.api.questions import (
    ConsentOfferSchema,
    GivenConsentSchema,
    QuestionSchema,
    asked_json,
    given_json,
)
from events.calendars import event_url
from events.models import (
    EVENT_STATUSES,
    FORMATS,
    PARTICIPATIONS,
    REGISTRATION_MODES,
    REGISTRATION_SCOPES,
    REGISTRATION_SOURCES,
    REGISTRATION_STATUSES,
    Event,
    EventFormat,
    EventKind,
    EventSeries,
    Participation,
    Registration,
    RegistrationStatus,
)
from kkp.api_fields import AnswerSchema, answer, page_of
from kkp.extensions import db
from kkp.i18n import BERLIN

_DAY_OR_TIME = {
    "anyOf": [{"format": "date-time"}, {"format": "date"}],
    "description": "German time with its offset; for all-day events a date.",
}


class EventKindSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer(description="Used as `kind` in events.")
    name = answer(description="German.")
    name_en = answer(description="English; empty: the German one.")
    position = answer(ma.fields.Integer)
    calendar_url = answer(format="uri")


class EventKindListSchema(AnswerSchema):
    items = answer(ma.fields.List, ma.fields.Nested(EventKindSchema))


class SeriesDateSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer()
    title = answer()
    start = answer(**_DAY_OR_TIME)
    status = answer(enum=list(EVENT_STATUSES))


class EventSeriesSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer()
    title = answer()
    description = answer(description="Markdown.")
    url = answer(format="uri", description="The public page.")
    events = answer(
        ma.fields.List,
        ma.fields.Nested(SeriesDateSchema),
        description="The dates of the series, earliest first.",
    )
    created_at = answer(ma.fields.DateTime)
    registration_scope = answer(enum=list(REGISTRATION_SCOPES))
    capacity = answer(ma.fields.Integer, nullable=True, description="The course's seats.")
    registration_deadline = answer(ma.fields.DateTime, nullable=True, description="UTC.")
    certificate_share = answer(ma.fields.Integer, description="Percent of the dates.")
    teaching_units = answer(ma.fields.Boolean)
    certificate_summary = answer()
    signer_name = answer()
    signer_role = answer()
    retention_months = answer(ma.fields.Integer, nullable=True)


EventSeriesPageSchema = page_of(EventSeriesSchema, "EventSeriesPageSchema")


class OrganizerSchema(AnswerSchema):
    name = answer()
    email = answer()


class SeatsSchema(AnswerSchema):
    mode = answer(enum=list(REGISTRATION_MODES))
    capacity = answer(
        ma.fields.Integer, nullable=True, description="Of a hybrid event: on site. null: no limit."
    )
    capacity_online = answer(
        ma.fields.Integer,
        nullable=True,
        description="Hybrid events: the online seats, counted apart; null: no limit (or not "
        "hybrid).",
    )
    deadline = answer(
        ma.fields.DateTime,
        nullable=True,
        description="German time with its offset; null: the start.",
    )
    confirmed = answer(ma.fields.Integer)
    pending = answer(
        ma.fields.Integer,
        description="Seats held for people who registered on the website and have yet to "
        "click the link in their mail.",
    )
    waiting = answer(ma.fields.Integer)
    seats_left = answer(
        ma.fields.Integer,
        nullable=True,
        description="Capacity less confirmed and pending (of a hybrid event: on site); "
        "null: no limit.",
    )
    seats_left_online = answer(
        ma.fields.Integer,
        nullable=True,
        description="Hybrid events: the online seats left; null: no limit (or not hybrid).",
    )


class EventSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer(description="The public address's last part; kept.")
    uid = answer(description="The iCalendar UID; never changes.")
    url = answer(format="uri", description="The public page.")
    ics_url = answer(format="uri", description="The event as .ics.")
    kind = answer(description="The kind's slug.")
    series_id = answer(ma.fields.Integer, nullable=True)
    title = answer()
    summary = answer()
    description = answer(description="Markdown.")
    format = answer(enum=list(FORMATS))
    venue = answer()
    address = answer()
    join_url = answer()
    all_day = answer(ma.fields.Boolean)
    start = answer(**_DAY_OR_TIME)
    end = answer(**{**_DAY_OR_TIME, "description": _DAY_OR_TIME["description"] + " (last day)"})
    timezone = answer(enum=["Europe/Berlin"])
    organizer = answer(ma.fields.Nested, OrganizerSchema)
    audience = answer()
    cost_note = answer()
    registration = answer(ma.fields.Nested, SeatsSchema)
    reminder_hours = answer(ma.fields.Integer, nullable=True)
    retention_months = answer(ma.fields.Integer, nullable=True)
    anonymised_at = answer(
        ma.fields.DateTime, nullable=True, description="When the registrations were anonymised."
    )
    status = answer(
        enum=list(EVENT_STATUSES),
        description="draft → published → cancelled; drafts can be deleted.",
    )
    sequence = answer(
        ma.fields.Integer,
        description="iCalendar SEQUENCE; rises when time, place or link change.",
    )
    updated_at = answer(ma.fields.DateTime, description="UTC.")
    questions = answer(
        ma.fields.List,
        ma.fields.Nested(QuestionSchema),
        description="The editor's questions of the registration form, in order.",
    )
    consents = answer(
        ma.fields.List,
        ma.fields.Nested(ConsentOfferSchema),
        description="The optional consents the registration form offers.",
    )
    notes = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": (
                "Only in answers to POST and PATCH: hints that are not errors, e.g. a "
                "time that occurs twice when the clocks go back."
            )
        },
    )


EventPageSchema = page_of(EventSchema, "EventPageSchema")


class InvitationResultSchema(AnswerSchema):
    invited = answer(
        ma.fields.Integer,
        description="Confirmed members of the list invited now (not those known).",
    )


class RegistrationSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    event_id = answer(ma.fields.Integer)
    name = answer()
    email = answer()
    organisation = answer()
    status = answer(enum=list(REGISTRATION_STATUSES))
    participation = answer(
        enum=["", *PARTICIPATIONS],
        description="Hybrid events: on site or online (each kind has its own seats and "
        "waiting list); empty for others.",
    )
    waiting_place = answer(
        ma.fields.Integer,
        nullable=True,
        description="1 for the first on the waiting list; null when not waiting.",
    )
    source = answer(enum=list(REGISTRATION_SOURCES))
    created_at = answer(ma.fields.DateTime, description="UTC.")
    confirmed_at = answer(ma.fields.DateTime, nullable=True)
    cancelled_at = answer(ma.fields.DateTime, nullable=True)
    hold_until = answer(
        ma.fields.DateTime,
        nullable=True,
        description="pending, pending_waiting: lapses then unless the person clicks the link "
        "in the mail (UTC); otherwise null.",
    )
    answers = answer(
        ma.fields.Dict,
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        description="Answers by question id: text, a list of choices, or true/false.",
    )
    consents = answer(
        ma.fields.List,
        ma.fields.Nested(GivenConsentSchema),
        description="The optional consents given (and not withdrawn).",
    )


RegistrationPageSchema = page_of(RegistrationSchema, "RegistrationPageSchema")


# -- as JSON -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _local(value: datetime | None) -> str | None:
    """German time with its offset, e.g. "2026-05-12T10:00:00+02:00"."""
    return value.astimezone(BERLIN).isoformat() if value else None


def _start(event: Event) -> str:
    return event.first_day.isoformat() if event.all_day else _local(event.starts_at)


def kind_json(kind: EventKind) -> dict:
    base = current_app.config["KKP_BASE_URL"]
    return {
        "id": kind.id,
        "slug": kind.slug,
        "name": kind.name,
        "name_en": kind.name_en,
        "position": kind.position,
        "calendar_url": f"{base}/calendar/{kind.slug}.ics",
    }


def series_json(series: EventSeries) -> dict:
    return {
        "id": series.id,
        "slug": series.slug,
        "title": series.title,
        "description": series.description,
        "url": f"{current_app.config['KKP_BASE_URL']}/events/series/{series.slug}",
        "events": [
            {"id": e.id, "slug": e.slug, "title": e.title, "start": _start(e), "status": e.status}
            for e in series.events
        ],
        "created_at": _iso(series.created_at),
        **settings_json(series),
    }


def seat_counts(event_ids: list[int]) -> dict[int, dict[str, int]]:
    """Confirmed, pending (seat held) and waiting people per event, in one query."""
    rows = db.session.execute(
        sa.select(Registration.event_id, Registration.status, sa.func.count())
        .where(
            Registration.event_id.in_(event_ids),
            Registration.status.in_(
                (
                    RegistrationStatus.CONFIRMED,
                    RegistrationStatus.PENDING,
                    RegistrationStatus.WAITING,
                )
            ),
        )
        .group_by(Registration.event_id, Registration.status)
    )
    counts: dict[int, dict[str, int]] = {}
    for event_id, status, number in rows:
        counts.setdefault(event_id, {})[status] = number
    return counts


def event_json(
    event: Event,
    counts: dict | None = None,
    notes: list[str] | None = None,
    asked: dict | None = None,
) -> dict:
    """`counts` (:func:`seat_counts`) and `asked` (:func:`asked_json`) for a page of
    events at once; read for this one if None."""
    if counts is None:
        counts = seat_counts([event.id])
    if asked is None:
        asked = asked_json([event.id])
    confirmed = counts.get(event.id, {}).get(RegistrationStatus.CONFIRMED, 0)
    pending = counts.get(event.id, {}).get(RegistrationStatus.PENDING, 0)
    waiting = counts.get(event.id, {}).get(RegistrationStatus.WAITING, 0)
    data = {
        "id": event.id,
        "slug": event.slug,
        "uid": event.uid,
        "url": event_url(event),
        "ics_url": event_url(event) + ".ics",
        "kind": event.kind.slug,
        "series_id": event.series_id,
        "title": event.title,
        "summary": event.summary,
        "description": event.description,
        "format": event.format,
        "venue": event.venue,
        "address": event.address,
        "join_url": event.join_url,
        "all_day": event.all_day,
        "start": _start(event),
        "end": event.last_day.isoformat() if event.all_day else _local(event.ends_at),
        "timezone": "Europe/Berlin",
        "organizer": {"name": event.organizer_name, "email": event.organizer_email},
        "audience": event.audience,
        "cost_note": event.cost_note,
        "registration": {
            "mode": event.registration_mode,
            "capacity": event.capacity,
            "deadline": _local(event.registration_deadline),
            "confirmed": confirmed,
            "pending": pending,
            "waiting": waiting,
            "seats_left": (
                None if event.capacity is None else max(0, event.capacity - confirmed - pending)
            )
            if event.format != EventFormat.HYBRID
            else regs.seats_left(event, Participation.ON_SITE),
            "capacity_online": event.capacity_online,
            "seats_left_online": regs.seats_left(event, Participation.ONLINE)
            if event.format == EventFormat.HYBRID
            else None,
        },
        "reminder_hours": event.reminder_hours,
        "retention_months": event.retention_months,
        "anonymised_at": _iso(event.anonymised_at),
        "status": event.status,
        "sequence": event.sequence,
        "updated_at": _iso(event.updated_at),
        **asked.get(event.id, {"questions": [], "consents": []}),
    }
    if notes is not None:
        data["notes"] = notes
    return data


def registration_json(
    registration: Registration, place: int | None = None, given: dict | None = None
) -> dict:
    """`given` (:func:`given_json`) for a page of registrations at once."""
    if place is None and registration.status == RegistrationStatus.WAITING:
        place = regs.waiting_place(registration)
    if given is None:
        given = given_json([registration.id])
    return {
        "id": registration.id,
        "event_id": registration.event_id,
        "name": registration.name,
        "email": registration.email,
        "organisation": registration.organisation,
        "status": registration.status,
        "participation": registration.participation,
        "waiting_place": place,
        "source": registration.source,
        "created_at": _iso(registration.created_at),
        "confirmed_at": _iso(registration.confirmed_at),
        "cancelled_at": _iso(registration.cancelled_at),
        "hold_until": _iso(registration.hold_until),
        **given.get(registration.id, {"answers": {}, "consents": []}),
    }
