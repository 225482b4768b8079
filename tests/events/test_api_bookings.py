"""JSON API for course bookings (answers checked against the OpenAPI document), the
series' new settings, and the race: 50 editors' bookings at once for the last 10 seats
on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from events.course_models import CourseBooking
from events.models import Registration
from kkp.extensions import db
from tests.api_client import error_fields
from tests.events.course_helpers import make_course
from tests.events.test_seats import _at_once


def _book(api, series_id: int, name: str, **extra):
    email = name.split()[0].lower() + "@example.org"
    response = api(
        "POST", f"/series/{series_id}/bookings", json={"name": name, "email": email, **extra}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_bookings_through_the_api(api, kinds):
    series = make_course(kinds, capacity=1)
    anna = _book(api, series.id, "Anna Berger")
    assert anna["status"] == "confirmed" and anna["source"] == "api"
    assert len(anna["registration_ids"]) == 4
    bernd = _book(api, series.id, "Bernd Kunz")
    assert (bernd["status"], bernd["waiting_place"]) == ("waiting", 1)
    again = api(
        "POST", f"/series/{series.id}/bookings", json={"name": "A", "email": "anna@example.org"}
    )
    assert set(error_fields(again)) == {"email"}

    carla = _book(api, series.id, "Carla Dorn")
    moved = api("POST", f"/bookings/{carla['id']}/move-up").get_json()
    assert (moved["status"], moved["waiting_place"]) == ("waiting", 1)
    assert api("GET", f"/bookings/{bernd['id']}").get_json()["waiting_place"] == 2
    assert api("POST", f"/bookings/{anna['id']}/move-up").status_code == 409
    listed = api("GET", f"/series/{series.id}/bookings?status=waiting").get_json()
    assert sorted(b["id"] for b in listed["items"]) == [bernd["id"], carla["id"]]
    cancelled = api("POST", f"/bookings/{anna['id']}/cancel").get_json()
    assert cancelled["status"] == "cancelled"
    assert api("GET", f"/bookings/{carla['id']}").get_json()["status"] == "confirmed"
    assert api("POST", f"/bookings/{anna['id']}/cancel").status_code == 409

    # the settings of the series
    changed = api(
        "PATCH",
        f"/series/{series.id}",
        json={"capacity": 5, "certificate_share": 80, "registration_deadline": "2099-01-01"},
    )
    assert "registration_deadline" in error_fields(changed)  # after the first date
    changed = api("PATCH", f"/series/{series.id}", json={"capacity": 5, "teaching_units": True})
    body = changed.get_json()
    assert (body["capacity"], body["teaching_units"], body["registration_scope"]) == (
        5,
        True,
        "course",
    )
    back = api("PATCH", f"/series/{series.id}", json={"registration_scope": "dates"})
    assert "registration_scope" in error_fields(back)  # people booked the course
    plain = api("POST", "/series", json={"title": "Reihe"}).get_json()
    assert plain["registration_scope"] == "dates"
    assert api("GET", f"/series/{plain['id']}/bookings").status_code == 409


def test_a_booking_shows_its_answers_and_consents_as_a_registration_does(api, kinds):
    series = make_course(kinds)
    questions = f"/series/{series.id}/questions"
    council = api("POST", questions, json={"kind": "short_text", "label": "Gremium"}).get_json()
    parking = api("POST", questions, json={"kind": "yes_no", "label": "Parkplatz?"}).get_json()
    photos = api("POST", f"/series/{series.id}/consents", json={"text": "Fotos"}).get_json()
    anna = _book(
        api,
        series.id,
        "Anna Berger",
        answers={str(council["id"]): "Präventionsrat", str(parking["id"]): True},
        consents=[photos["id"]],
    )
    bernd = _book(api, series.id, "Bernd Kunz")

    given = {str(council["id"]): "Präventionsrat", str(parking["id"]): True}
    one = api("GET", f"/bookings/{anna['id']}").get_json()
    assert one["answers"] == anna["answers"] == given
    (consent,) = one["consents"]
    assert (consent["id"], consent["text"], consent["withdrawn_at"]) == (
        photos["id"],
        "Fotos",
        None,
    )
    assert consent["given_at"]
    # how it was given, as the newsletter's consent history says it
    assert (consent["source"], consent["ip"], consent["withdrawn_source"]) == ("api", None, None)
    listed = {b["id"]: b for b in api("GET", f"/series/{series.id}/bookings").get_json()["items"]}
    assert listed[anna["id"]]["answers"] == given
    assert listed[anna["id"]]["consents"] == one["consents"]
    assert (listed[bernd["id"]]["answers"], listed[bernd["id"]]["consents"]) == ({}, [])

    # the same shape as a registration's: withdrawn, it stays with its time
    withdrawn = api("POST", f"/bookings/{anna['id']}/consents/{photos['id']}/withdraw")
    assert withdrawn.status_code == 200
    (consent,) = api("GET", f"/bookings/{anna['id']}").get_json()["consents"]
    assert consent["withdrawn_at"] is not None
    assert (consent["withdrawn_source"], consent["withdrawn_ip"]) == ("api", None)
    schemas = api.document["components"]["schemas"]
    for name in ("answers", "consents"):
        assert schemas["Booking"]["properties"][name] == schemas["Registration"]["properties"][name]
        assert name in schemas["Booking"]["required"]


def test_fifty_editors_book_the_last_ten_seats(app, kinds):
    """On SQLite the database's write lock serialises anyway; on PostgreSQL the series
    row's lock must: exactly 10 seats, 40 on the waiting list, each date 10 people."""
    from events import courses

    with app.app_context():
        series = make_course(kinds, capacity=12)
        series_id = series.id
        for n in range(2):
            courses.add_booking(series_id, name=f"Früh {n}", email=f"frueh{n}@example.org")
        db.session.commit()
        db.session.remove()

    def book(n: int) -> str:
        _booking, outcome = courses.add_booking(
            series_id, name=f"Person {n}", email=f"person{n}@example.org"
        )
        return outcome

    outcomes = _at_once(app, 50, book)
    assert (outcomes.count("confirmed"), outcomes.count("waiting")) == (10, 40)
    with app.app_context():
        counts = dict(
            db.session.execute(
                sa.select(CourseBooking.status, sa.func.count()).group_by(CourseBooking.status)
            ).all()
        )
        assert counts == {"confirmed": 12, "waiting": 40}
        per_date = db.session.execute(
            sa.select(Registration.event_id, sa.func.count())
            .where(Registration.status == "confirmed")
            .group_by(Registration.event_id)
        ).all()
        assert [n for _id, n in per_date] == [12] * 4


def test_fifty_participants_book_and_confirm_the_last_ten_seats(app, kinds):
    """The public way: fifty book through the form at once (a seat is held for ten of
    them), then all fifty click their links at once: ten seats, forty waiting."""
    from events import courses

    with app.app_context():
        series_id = make_course(kinds, capacity=10).id
        db.session.commit()
        db.session.remove()

    def book(n: int) -> str:
        _booking, outcome = courses.book(
            series_id, name=f"Person {n}", email=f"teilnahme{n}@example.org", consent=True
        )
        return outcome

    outcomes = _at_once(app, 50, book)
    assert (outcomes.count("pending"), outcomes.count("pending_waiting")) == (10, 40)

    def confirm(n: int) -> str:
        booking = db.session.scalars(
            sa.select(CourseBooking).where(CourseBooking.email == f"teilnahme{n}@example.org")
        ).one()
        return courses.confirm_booking(booking)

    statuses = _at_once(app, 50, confirm)
    assert (statuses.count("confirmed"), statuses.count("waiting")) == (10, 40)
    with app.app_context():
        per_date = db.session.execute(
            sa.select(Registration.event_id, sa.func.count())
            .where(Registration.status == "confirmed")
            .group_by(Registration.event_id)
        ).all()
        assert [n for _id, n in per_date] == [10] * 4
