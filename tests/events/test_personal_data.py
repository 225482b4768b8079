"""The events' part of a data subject request: a course booking found, exported and
erased (the course's seat freed and its waiting list moved up)."""

from __future__ import annotations


def test_a_course_booking_is_found_exported_and_erased(ctx, make_event):
    from events import personal_data
    from events.course_models import CourseBooking
    from events.courses import add_booking
    from kkp.extensions import db
    from tests.events.course_factory import course

    series = course(make_event, title="Kurs Gesprächsführung", dates=2)
    series.capacity = 1
    db.session.flush()
    anna, seated = add_booking(series.id, name="Anna Berger", email="anna@example.org")
    bernd, waiting = add_booking(series.id, name="Bernd Kurz", email="bernd@example.org")
    assert (seated, waiting) == ("confirmed", "waiting")
    db.session.commit()

    found = personal_data.find("Anna@Example.org")
    assert [b.id for b in found.bookings] == [anna.id] and len(found.registrations) == 2
    exported = personal_data.export(found)
    assert exported["course_bookings"][0]["course"] == "Kurs Gesprächsführung"
    assert exported["course_bookings"][0]["name"] == "Anna Berger"
    assert len(exported["registrations"]) == 2

    erased = personal_data.erase("anna@example.org")
    db.session.commit()
    assert erased.booking_ids == [anna.id] and erased.counts.bookings == 1
    db.session.expire_all()
    anna = db.session.get(CourseBooking, anna.id)
    assert (anna.status, anna.name, anna.email) == (
        "cancelled",
        "",
        f"anonymised-booking-{anna.id}@invalid",
    )
    assert {r.status for r in anna.registrations} == {"cancelled"}
    assert {r.name for r in anna.registrations} == {""}
    assert db.session.get(CourseBooking, bernd.id).status == "confirmed"  # moved up
    assert personal_data.find("anna@example.org").empty
