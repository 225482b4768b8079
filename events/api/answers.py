"""What the events API answers: events, series, kinds and registrations as JSON; the
schemas that describe it are :mod:`events.api.answer_schemas`.

Times of events are Europe/Berlin with their offset ("2026-05-12T10:00:00+02:00"),
all-day events dates; other instants UTC.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from events import registrations as regs
from events.api.booking_schemas import settings_json
from events.api.questions import asked_json, given_json
from events.calendars import event_url
from events.models import (
    Event,
    EventFormat,
    EventKind,
    EventSeries,
    Participation,
    Registration,
    RegistrationStatus,
)
from kkp.extensions import db
from kkp.i18n import BERLIN

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
