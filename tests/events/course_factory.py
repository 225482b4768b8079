"""Rows for the tests of groups, exports and messages, written straight to the
database: a date's registrations and a course's bookings with their dates."""

from __future__ import annotations

import secrets

from events.course_models import CourseBooking
from events.models import EventSeries, Registration, RegistrationScope
from kkp.db import utcnow
from kkp.extensions import db


def person(event_id: int, name: str, status: str = "confirmed", **fields) -> Registration:
    registration = Registration(
        event_id=event_id,
        email=fields.pop("email", f"{name.split()[0].lower()}@example.org"),
        name=name,
        status=status,
        key=secrets.token_hex(16),
        waiting_since=utcnow() if status == "waiting" else None,
        **fields,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


def course(make_event, title: str = "Kurs Gewaltprävention", dates: int = 3) -> EventSeries:
    series = EventSeries(slug="kurs", title=title, registration_scope=RegistrationScope.COURSE)
    db.session.add(series)
    db.session.flush()
    for n in range(dates):
        event = make_event(f"{title} – Termin {n + 1}", days=10 + 7 * n)
        event.series_id = series.id
    db.session.commit()
    return series


def booking(series: EventSeries, name: str, status: str = "confirmed", attendance=(), **fields):
    """A booking with a registration on every date; `attendance` per date in order."""
    email = fields.pop("email", f"{name.split()[0].lower()}@example.org")
    found = CourseBooking(
        series_id=series.id,
        email=email,
        name=name,
        status=status,
        key=secrets.token_hex(16),
        waiting_since=utcnow() if status == "waiting" else None,
        **fields,
    )
    db.session.add(found)
    db.session.flush()
    for n, event in enumerate(series.events):
        mark = attendance[n] if n < len(attendance) else None
        person(
            event.id,
            name,
            status,
            email=email,
            booking_id=found.id,
            attendance=mark,
            organisation=found.organisation,
        )
    return found
