"""Hybrid events: on site or online, asked on every way in (public form, editor, API);
the two kinds of seats and their waiting lists counted apart; mail and calendar give
on-site people the address and online people the join link."""

from __future__ import annotations

import html

import icalendar
import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.extensions import db
from tests.api_client import error_fields
from tests.events.conftest import register_confirmed
from tests.helpers import parse_mail, post_form, text_of

LINK = "https://meet.example.org/r/hybrid-42"


@pytest.fixture
def hybrid(make_event):
    return make_event(
        "Fachtag hybrid", format="hybrid", join_url=LINK, capacity=1, capacity_online=1
    )


def join(event, email: str, participation: str) -> Registration:
    registration, _status = register_confirmed(
        event.id,
        name=email.split("@")[0].title(),
        email=email,
        participation=participation,
        locale="en",
    )
    db.session.commit()
    return registration


def test_seats_and_waiting_lists_count_apart(hybrid):
    from events import registrations as regs

    on_site = join(hybrid, "ort@example.org", "on_site")
    online = join(hybrid, "netz@example.org", "online")
    online_waiting = join(hybrid, "netz2@example.org", "online")
    on_site_waiting = join(hybrid, "ort2@example.org", "on_site")
    assert (on_site.status, online.status) == ("confirmed", "confirmed")
    assert (online_waiting.status, on_site_waiting.status) == ("waiting", "waiting")
    # each waiting list has its own first place
    assert regs.waiting_place(online_waiting) == regs.waiting_place(on_site_waiting) == 1
    assert (
        regs.public_seats_left(hybrid, "online") == regs.public_seats_left(hybrid, "on_site") == 0
    )

    # an online seat freed goes to the first online waiter, not to the one on site
    regs.cancel(online)
    db.session.commit()
    db.session.refresh(online_waiting)
    db.session.refresh(on_site_waiting)
    assert online_waiting.status == "confirmed" and online_waiting.participation == "online"
    assert on_site_waiting.status == "waiting"

    # more online seats never give an on-site seat away
    from events.operations import input_from, update_event

    data = input_from(hybrid)
    data.capacity_online = 5
    update_event(hybrid, data)
    db.session.commit()
    assert regs.seats_left(hybrid, "online") == 4 and regs.seats_left(hybrid, "on_site") == 0
    db.session.refresh(on_site_waiting)
    assert on_site_waiting.status == "waiting"


def test_online_seats_are_checked_and_only_kept_for_hybrid_events(make_event, hybrid):
    from events.operations import EventError, input_from, update_event

    data = input_from(hybrid)
    data.capacity_online = 0
    with pytest.raises(EventError) as refused:
        update_event(hybrid, data)
    assert "capacity_online" in refused.value.errors
    db.session.rollback()

    join(hybrid, "netz@example.org", "online")
    data = input_from(hybrid)
    data.capacity_online = None  # no limit online
    update_event(hybrid, data)
    assert hybrid.capacity_online is None

    in_person = make_event("Vor Ort allein", capacity=3)
    data = input_from(in_person)
    data.capacity_online = 7
    update_event(in_person, data)
    assert in_person.capacity_online is None


def test_the_public_form_asks_on_site_or_online(client, lists, hybrid, make_event):
    client.set_cookie("kkp_lang", "en")
    page = client.get(f"/events/{hybrid.slug}").get_data(as_text=True)
    assert "How will you take part?" in page
    assert 'name="participation" required type="radio" value="on_site"' in page
    assert "1 seat left" in page

    data = {"name": "Anna Berger", "email": "anna@example.org", "consent": "y"}
    refused = post_form(client, f"/events/{hybrid.slug}", {**data, "name": ""})
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    # every error at once, and what was typed stays
    assert "Please choose whether you take part on site or online." in page
    assert "Please enter your name." in page
    assert 'value="anna@example.org"' in page
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0

    done = post_form(client, f"/events/{hybrid.slug}", {**data, "participation": "online"})
    assert done.status_code == 303
    assert db.session.scalar(sa.select(Registration.participation)) == "online"

    plain = make_event("Nur vor Ort", capacity=3)
    assert "How will you take part?" not in client.get(f"/events/{plain.slug}").get_data(
        as_text=True
    )


def _mails(mail, count: int) -> dict[str, object]:
    return {item["to"][0]: parse_mail(item["data"]) for item in mail.wait_for(count)}


def _location(msg) -> str:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    (vevent,) = icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")
    return str(vevent.get("LOCATION", ""))


def test_mail_gives_the_address_on_site_and_the_link_online(client, hybrid, mail, drain):
    from events.registrations import token_for

    on_site_person = join(hybrid, "ort@example.org", "on_site")
    online_person = join(hybrid, "netz@example.org", "online")
    # and so does her own page
    assert LINK not in client.get(f"/registrations/{token_for(on_site_person)}").get_data(
        as_text=True
    )
    assert LINK in client.get(f"/registrations/{token_for(online_person)}").get_data(as_text=True)
    drain()
    found = _mails(mail, 2)
    on_site, online = text_of(found["ort@example.org"]), text_of(found["netz@example.org"])
    assert "Markt 1, 01067 Dresden" in on_site and LINK not in on_site
    assert LINK in online and "Markt 1" not in online
    assert _location(found["ort@example.org"]) == "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden"
    assert _location(found["netz@example.org"]) == LINK

    # the reminder too
    from events.notices import queue_for_confirmed

    mail.clear()
    queue_for_confirmed(hybrid, "event_reminder")
    db.session.commit()
    drain()
    found = _mails(mail, 2)
    assert LINK in text_of(found["netz@example.org"])
    assert LINK not in text_of(found["ort@example.org"])


def test_editors_add_with_the_choice_and_see_the_counts(logged_in, hybrid):
    logged_in.set_cookie("kkp_lang", "en")
    page = f"/admin/events/{hybrid.id}/participants"
    url = f"{page}/add"
    person = {"name": "Anna Berger", "email": "anna@example.org", "organisation": ""}
    refused = post_form(logged_in, url, person, page=page)
    assert refused.status_code == 422
    assert "Please choose whether you take part on site or online." in html.unescape(
        refused.get_data(as_text=True)
    )
    assert (
        post_form(logged_in, url, {**person, "participation": "online"}, page=page).status_code
        == 303
    )
    shown = html.unescape(logged_in.get(page).get_data(as_text=True))
    assert '<ul id="seats-by-kind">' in shown
    assert "Takes part" in shown and ">Online</td>" in shown


def test_the_api_takes_and_shows_the_choice(api, hybrid):
    url = f"/events/{hybrid.id}/registrations"
    person = {"name": "Anna Berger", "email": "anna@example.org"}
    assert "participation" in error_fields(api("POST", url, json=person))
    added = api("POST", url, json={**person, "participation": "online"})
    assert added.status_code == 201 and added.get_json()["participation"] == "online"
    seats = api("GET", f"/events/{hybrid.id}").get_json()["registration"]
    assert seats["capacity_online"] == 1 and seats["seats_left_online"] == 0
    assert seats["seats_left"] == 1


def test_moving_the_selected_up_counts_each_kind_of_seat(hybrid):
    from events.bulk import move_up_selected

    join(hybrid, "ort@example.org", "on_site")
    join(hybrid, "netz@example.org", "online")
    on_site = join(hybrid, "ort2@example.org", "on_site")
    online = join(hybrid, "netz2@example.org", "online")
    hybrid.capacity_online = 2  # a seat free online (as if the editor had just added it)
    db.session.commit()
    outcome = move_up_selected(hybrid.id, [on_site.id, online.id])
    db.session.commit()
    assert (outcome.done, outcome.full) == (1, 1)
    assert (online.status, on_site.status) == ("confirmed", "waiting")
