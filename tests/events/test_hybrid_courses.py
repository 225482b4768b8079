"""Hybrid courses: a whole course whose dates are hybrid asks on site or online (form,
editor, API); its seats and waiting lists are counted per kind, promotion too; the
course mails give on-site people the address and online people the join link."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from events.course_models import CourseBooking
from events.models import Registration
from kkp.extensions import db
from tests.events.course_helpers import make_course
from tests.helpers import csrf_token, text_of

LINK = "https://meet.example.org/r/kurs-7"


@pytest.fixture
def course(kinds):
    """Four hybrid dates, one seat on site and one online."""
    series = make_course(kinds, capacity=1)
    series.capacity_online = 1
    for event in series.events:
        event.format, event.join_url = "hybrid", LINK
    db.session.commit()
    return series


def _book(series, email: str, participation: str | None) -> CourseBooking:
    from events import courses

    booking, _outcome = courses.add_booking(
        series.id, name=email.split("@")[0].title(), email=email, participation=participation
    )
    db.session.commit()
    return booking


def _dates(booking) -> list[tuple[str, str]]:
    return [
        (r.status, r.participation)
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.booking_id == booking.id)
        )
    ]


def test_seats_waiting_lists_and_promotion_per_kind(course):
    from events import course_seats, courses

    with pytest.raises(courses.EventError, match="vor Ort oder online"):
        _book(course, "ohne@example.org", None)
    db.session.rollback()
    on_site = _book(course, "ort@example.org", "on_site")
    online = _book(course, "netz@example.org", "online")
    online_waiting = _book(course, "netz2@example.org", "online")
    on_site_waiting = _book(course, "ort2@example.org", "on_site")
    assert (on_site.status, online.status) == ("confirmed", "confirmed")
    assert (online_waiting.status, on_site_waiting.status) == ("waiting", "waiting")
    assert _dates(online) == [("confirmed", "online")] * 4
    assert _dates(on_site) == [("confirmed", "on_site")] * 4
    # each kind has its own waiting list, with its own first place
    assert course_seats.waiting_place(online_waiting) == 1
    assert course_seats.waiting_place(on_site_waiting) == 1
    assert course_seats.public_seats_by_kind(course) == {"on_site": 0, "online": 0}

    # an online seat freed goes to the first online waiter, not to the one on site
    courses.cancel_booking(online)
    db.session.commit()
    assert (online_waiting.status, on_site_waiting.status) == ("confirmed", "waiting")
    assert _dates(online_waiting) == [("confirmed", "online")] * 4

    # more seats on site: the on-site waiting list moves up at once
    from events.series_settings import SeriesSettings, save_settings

    settings = SeriesSettings.of(course)
    settings.capacity = 2
    save_settings(course, settings)
    db.session.commit()
    assert on_site_waiting.status == "confirmed"


def test_the_online_seats_are_a_setting(course, logged_in):
    from events.errors import EventError
    from events.series_settings import SeriesSettings, save_settings

    settings = SeriesSettings.of(course)
    assert settings.capacity_online == 1
    settings.capacity_online = 0
    with pytest.raises(EventError) as refused:
        save_settings(course, settings)
    assert set(refused.value.errors) == {"capacity_online"}
    db.session.rollback()

    page = logged_in.get(f"/admin/events/series/{course.id}").get_data(as_text=True)
    assert 'name="capacity_online"' in page
    data = {
        "title": course.title,
        "registration_scope": "course",
        "capacity": "1",
        "capacity_online": "5",
        "certificate_share": "75",
        "csrf_token": csrf_token(page),
    }
    response = logged_in.post(f"/admin/events/series/{course.id}", data=data)
    assert response.status_code in (200, 303), response.get_data(as_text=True)
    db.session.expire_all()
    assert course.capacity_online == 5


def test_the_public_form_asks_on_site_or_online(client, lists, course):
    client.set_cookie("kkp_lang", "en")
    page_url = f"/events/series/{course.slug}"
    page = client.get(page_url).get_data(as_text=True)
    assert "How will you take part?" in page
    assert "1 seat left" in page
    data = {
        "name": "",
        "email": "anna@example.org",
        "consent": "y",
        "consent_version": "",
        "csrf_token": csrf_token(page),
    }
    refused = client.post(f"{page_url}/book", data=data)
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    # every error at once, and what was typed stays
    assert "Please choose whether you take part on site or online." in text
    assert "Please enter your name." in text
    assert 'value="anna@example.org"' in text
    assert db.session.scalar(sa.select(sa.func.count(CourseBooking.id))) == 0

    data.update(name="Anna Berger", participation="online")
    assert client.post(f"{page_url}/book", data=data).status_code == 303
    booking = db.session.scalar(sa.select(CourseBooking))
    assert (booking.status, booking.participation) == ("pending", "online")

    from events import courses

    # the online seat is held for her; someone else online waits, on site still free
    bernd, outcome = courses.book(
        course.id, name="Bernd", email="bernd@example.org", consent=True, participation="online"
    )
    assert outcome == "pending_waiting"
    carla, outcome = courses.book(
        course.id, name="Carla", email="carla@example.org", consent=True, participation="on_site"
    )
    assert outcome == "pending"


def test_the_api_takes_and_shows_the_choice(api, course):
    from tests.api_client import error_fields

    url = f"/series/{course.id}/bookings"
    person = {"name": "Anna", "email": "anna@example.org"}
    assert "participation" in error_fields(api("POST", url, json=person))
    added = api("POST", url, json={**person, "participation": "online"})
    assert added.status_code == 201
    assert (added.get_json()["status"], added.get_json()["participation"]) == (
        "confirmed",
        "online",
    )
    settings = api("GET", f"/series/{course.id}").get_json()
    assert settings["capacity_online"] == 1


def _course_mail(booking, kind: str = "course_confirmation") -> str:
    from events.course_mails import course_context
    from kkp.mail.message import mailbox
    from kkp.mail.render import render_mail

    db.session.refresh(booking)
    msg = render_mail(
        kind, course_context(kind, booking), to=mailbox(booking.name, booking.email), locale="en"
    )
    return text_of(msg)


def test_mails_give_the_address_on_site_and_the_link_online(course):
    on_site = _course_mail(_book(course, "ort@example.org", "on_site"))
    netz = _book(course, "netz@example.org", "online")
    online = _course_mail(netz)
    assert "You take part on site." in on_site
    assert "Rathaus" in on_site and LINK not in on_site
    assert "You take part online." in online
    assert LINK in online and "Rathaus" not in online

    from events import courses

    waiting = _book(course, "netz2@example.org", "online")
    assert LINK not in _course_mail(waiting, "course_waiting")  # no seat, no link
    courses.cancel_booking(netz)
    db.session.commit()
    assert LINK in _course_mail(waiting, "course_promoted")


def test_editors_add_with_the_choice_and_see_each_kind(course, logged_in):
    url = f"/admin/events/series/{course.id}/participants"
    page = logged_in.get(url).get_data(as_text=True)
    assert 'name="participation"' in page
    person = {"name": "Anna", "email": "anna@example.org", "csrf_token": csrf_token(page)}
    refused = logged_in.post(f"{url}/add", data=person)
    assert refused.status_code == 422
    assert 'value="anna@example.org"' in refused.get_data(as_text=True)
    added = logged_in.post(f"{url}/add", data={**person, "participation": "online"})
    assert added.status_code == 303
    _book(course, "netz2@example.org", "online")
    _book(course, "ort@example.org", "on_site")
    _book(course, "ort2@example.org", "on_site")
    page = logged_in.get(url).get_data(as_text=True)
    # two waiting lists, each with its first place
    assert page.count('<td class="place" data-label="Platz">1</td>') == 2


def test_each_date_in_the_calendar_is_where_she_takes_part(course, client):
    from types import SimpleNamespace

    from events.course_mails import _build_date
    from events.course_notices import token_for

    def location(booking) -> str:
        registration = booking.registrations[0]
        msg = _build_date(
            "course_date", SimpleNamespace(params={"registration_id": registration.id})
        )
        (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        return part.get_payload(decode=True).decode().replace("\r\n ", "")

    on_site = _book(course, "ort@example.org", "on_site")
    online = _book(course, "netz@example.org", "online")
    assert "Markt 1" in location(on_site) and LINK not in location(on_site)
    assert LINK in location(online)
    # and her own page: the link only online
    assert LINK not in client.get(f"/events/booking/{token_for(on_site)}").get_data(as_text=True)
    assert LINK in client.get(f"/events/booking/{token_for(online)}").get_data(as_text=True)
