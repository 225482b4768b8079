"""The events' part of a data subject request: a course booking found, exported and
erased (its seats on the dates ahead freed)."""

from __future__ import annotations

from datetime import timedelta

from tests.events.conftest import register_confirmed


def test_a_course_booking_is_found_exported_and_erased(ctx, make_event):
    from events import personal_data
    from events.course_models import CourseBooking
    from events.models import EventSeries, Registration
    from kkp.extensions import db

    series = EventSeries(slug="kurs", title="Kurs Gesprächsführung", registration_scope="course")
    db.session.add(series)
    db.session.flush()
    past = make_event("Termin 1", days=3, series_id=series.id, capacity=1)
    ahead = make_event("Termin 2", days=10, series_id=series.id, capacity=1)
    booking = CourseBooking(
        series_id=series.id, email="anna@example.org", name="Anna", status="confirmed", key="k" * 32
    )
    db.session.add(booking)
    db.session.flush()
    for event in (past, ahead):
        db.session.add(
            Registration(
                event_id=event.id,
                email="anna@example.org",
                name="Anna",
                status="confirmed",
                key="r" * 32,
                booking_id=booking.id,
            )
        )
    waiting, status = register_confirmed(ahead.id, name="Bernd", email="bernd@example.org")
    assert status == "waiting"
    past.starts_at -= timedelta(days=10)
    past.ends_at -= timedelta(days=10)
    db.session.commit()

    found = personal_data.find("Anna@Example.org")
    assert [b.id for b in found.bookings] == [booking.id] and len(found.registrations) == 2
    exported = personal_data.export(found)
    assert exported["course_bookings"][0]["course"] == "Kurs Gesprächsführung"
    assert {r["event"] for r in exported["registrations"]} == {"Termin 1", "Termin 2"}

    erased = personal_data.erase("anna@example.org")
    db.session.commit()
    assert erased.booking_ids == [booking.id] and erased.counts.bookings == 1
    db.session.expire_all()
    assert (booking.status, booking.name) == ("cancelled", "")
    dates = {r.event_id: r.status for r in booking.registrations}
    assert dates == {past.id: "confirmed", ahead.id: "cancelled"}  # the past stays as it was
    assert db.session.get(Registration, waiting.id).status == "confirmed"  # moved up
    assert personal_data.find("anna@example.org").empty
