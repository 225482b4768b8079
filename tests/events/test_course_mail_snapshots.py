"""The course's mails, in German and English, against their snapshots in
tests/kkp/mail_snapshots/ (KKP_UPDATE_SNAPSHOTS=1 rewrites them): a fixed course of two
dates, one person, a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events.course_models import CourseBooking
from events.models import Event, EventSeries, Registration
from kkp.extensions import db
from kkp.mail.operations import deliver, queue_delivery
from tests.helpers import parse_mail
from tests.mail_snapshots import assert_snapshot

NOW = datetime(2031, 2, 18, 15, 0, tzinfo=UTC)
STARTS = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)

#: (kind, the booking's status, the date registration's status, had)
CASES = [
    ("course_request", "pending", None, None),
    ("course_confirmation", "confirmed", None, None),
    ("course_waiting", "waiting", None, None),
    ("course_promoted", "confirmed", None, None),
    ("course_link", "confirmed", None, None),
    ("course_cancelled", "cancelled", None, "confirmed"),
    ("course_date", "confirmed", "confirmed", None),
    ("course_date_cancelled", "cancelled", "cancelled", "confirmed"),
]


def _course(kinds, status: str, date_status: str | None, locale: str):
    series = EventSeries(slug="sicherheitsaudits", title="Sicherheitsaudits planen")
    db.session.add(series)
    db.session.flush()
    events = []
    for n in range(2):
        event = Event(
            slug=f"sicherheitsaudits-{n}",
            uid=f"course-{n}@kkp.test",
            kind_id=kinds["fortbildung"],
            series_id=series.id,
            title="Sicherheitsaudits planen",
            format="hybrid",
            venue="Rathaus",
            address="Markt 1, 01067 Dresden",
            join_url="https://meet.example.org/r/7",
            starts_at=STARTS + timedelta(weeks=n),
            ends_at=STARTS + timedelta(weeks=n, hours=3),
            organizer_name="Koordinierungsstelle",
            organizer_email="kkp@example.org",
            cost_note="kostenfrei",
            status="published",
            changed_at=NOW,
            published_at=NOW,
        )
        db.session.add(event)
        events.append(event)
    booking = CourseBooking(
        series_id=series.id,
        email="anna@example.org",
        name="Anna Berger",
        status=status,
        key="k" * 32,
        locale=locale,
        waiting_since=NOW if status == "waiting" else None,
        hold_until=NOW + timedelta(minutes=29, seconds=30) if status == "pending" else None,
    )
    db.session.add(booking)
    db.session.flush()
    registration = None
    if date_status:
        registration = Registration(
            event_id=events[1].id,
            booking_id=booking.id,
            email=booking.email,
            name=booking.name,
            status=date_status,
            key="r" * 32,
            locale=locale,
        )
        db.session.add(registration)
        db.session.flush()
    return booking, registration


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_course_mail_matches_its_snapshot(case, locale, kinds, mail, monkeypatch):
    kind, status, date_status, had = case
    monkeypatch.setattr("events.course_mails.utcnow", lambda: NOW)
    monkeypatch.setattr("events.mails.utcnow", lambda: NOW)
    booking, registration = _course(kinds, status, date_status, locale)
    params = {"had": had} if had else {}
    if registration is not None:
        params["registration_id"] = registration.id
    else:
        params["booking_id"] = booking.id
    delivery = queue_delivery(kind, booking.email, params=params)
    db.session.commit()
    assert deliver(delivery.id) == "sent"
    (sent,) = mail.wait_for(1)
    assert_snapshot(f"{kind}.{locale}", parse_mail(sent["data"]))
