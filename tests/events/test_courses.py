"""Whole-course booking, the operations: holds, confirming, the waiting list, one
cancellation for every date, lapsing, and each date's registration in step."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.db import utcnow
from kkp.extensions import db
from tests.events.course_helpers import make_course


def _dates(booking) -> list[str]:
    db.session.expire_all()
    return [
        r.status
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.booking_id == booking.id)
        )
    ]


def _kinds_of(booking_email: str) -> list[str]:
    from kkp.mail.models import Delivery

    return sorted(
        db.session.scalars(sa.select(Delivery.kind).where(Delivery.recipient == booking_email))
    )


def test_book_confirm_cancel_promote(ctx, kinds):
    from events import courses

    series = make_course(kinds, capacity=1)
    anna, outcome = courses.book(series.id, name="Anna", email="anna@example.org", consent=True)
    assert outcome == "pending" and _dates(anna) == []
    assert courses.confirm_booking(anna) == "confirmed"
    assert _dates(anna) == ["confirmed"] * 4
    bernd, outcome = courses.book(series.id, name="Bernd", email="bernd@example.org", consent=True)
    assert outcome == "pending_waiting"
    assert courses.confirm_booking(bernd) == "waiting" and _dates(bernd) == []
    db.session.commit()
    # the same address again changes nothing; the mail says so
    again, outcome = courses.book(series.id, name="X", email="anna@example.org", consent=True)
    assert (again.id, outcome, again.name) == (anna.id, "already", "Anna")

    courses.cancel_booking(anna)
    db.session.commit()
    assert _dates(anna) == ["cancelled"] * 4
    assert bernd.status == "confirmed" and _dates(bernd) == ["confirmed"] * 4
    assert _kinds_of("anna@example.org") == sorted(
        ["course_request", "course_confirmation", "course_link", "course_cancelled"]
        + ["course_date"] * 4
        + ["course_date_cancelled"] * 4
    )
    assert _kinds_of("bernd@example.org").count("course_promoted") == 1


def test_a_date_of_a_course_is_not_booked_alone(ctx, kinds):
    from events.course_seats import CourseOnly
    from events.registrations import add_participant, register

    series = make_course(kinds)
    date = series.events[1]
    with pytest.raises(CourseOnly, match="Fortbildung Kinderschutz"):
        register(date.id, name="Anna", email="anna@example.org", consent=True)
    with pytest.raises(CourseOnly):
        add_participant(date.id, name="Anna", email="anna@example.org")


def test_lapsed_hold_frees_the_seat(ctx, kinds):
    from events import courses

    series = make_course(kinds, capacity=1)
    anna, _ = courses.book(series.id, name="Anna", email="anna@example.org", consent=True)
    bernd, outcome = courses.add_booking(series.id, name="Bernd", email="bernd@example.org")
    assert outcome == "waiting"
    db.session.commit()
    assert courses.expire_booking_holds(utcnow() + timedelta(hours=2)) == 1
    assert anna.status == "expired" and bernd.status == "confirmed"
    with pytest.raises(courses.EventStateError):
        courses.confirm_booking(anna)


def test_editor_moves_up_and_adds_over_capacity(ctx, kinds):
    from events import courses

    series = make_course(kinds, capacity=1)
    courses.add_booking(series.id, name="Anna", email="anna@example.org")
    bernd, _ = courses.add_booking(series.id, name="Bernd", email="bernd@example.org")
    carla, _ = courses.add_booking(series.id, name="Carla", email="carla@example.org")
    assert (bernd.status, carla.status) == ("waiting", "waiting")
    assert courses.move_up_booking(carla) == "waiting"
    from events.course_seats import waiting_place

    assert (waiting_place(carla), waiting_place(bernd)) == (1, 2)
    dora, outcome = courses.add_booking(
        series.id, name="Dora", email="dora@example.org", over_capacity=True
    )
    assert outcome == "confirmed" and _dates(dora) == ["confirmed"] * 4
    with pytest.raises(courses.EventError):
        courses.add_booking(series.id, name="Dora", email="dora@example.org")


def test_a_date_published_later_joins_every_booking(ctx, kinds):
    from datetime import time

    from events import courses
    from events.operations import EventInput, create_event, publish_event
    from tests.events.conftest import day_in

    series = make_course(kinds, dates=2)
    anna, _ = courses.add_booking(series.id, name="Anna", email="anna@example.org")
    db.session.commit()
    later = create_event(
        EventInput(
            kind_id=kinds["fortbildung"],
            title=series.title,
            venue="Rathaus",
            start_day=day_in(40),
            start_time=time(10),
            end_time=time(12),
            series_id=series.id,
        )
    )
    assert _dates(anna) == ["confirmed"] * 2  # a draft is no date of the course yet
    publish_event(later)
    db.session.commit()
    assert _dates(anna) == ["confirmed"] * 3
    assert _kinds_of("anna@example.org").count("course_date") == 3


def test_a_date_link_leads_to_the_booking(client, kinds):
    from events import courses
    from events.notices import token_for

    series = make_course(kinds)
    anna, _ = courses.add_booking(series.id, name="Anna", email="anna@example.org")
    db.session.commit()
    response = client.get(f"/registrations/{token_for(anna.registrations[0])}")
    assert response.status_code == 302 and "/events/booking/" in response.location
    assert "Anna" in client.get(response.location).get_data(as_text=True)
