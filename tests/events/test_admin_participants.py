"""An event's participants page through HTTP: adding people (also beyond the seats),
removing them with the waiting list moving up, moving someone up by hand, the CSV
file for German Excel, inviting a whole mailing list (real worker and SMTP server)."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from events.models import Event, Registration
from kkp.extensions import db
from tests.helpers import links, parse_mail, post_form, text_of
from tests.newsletter.conftest import add_confirmed


@pytest.fixture
def english(logged_in):
    """Messages are checked in English: the German catalog is filled in separately."""
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def statuses(event_id: int) -> dict[str, str]:
    db.session.rollback()
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Registration.email, Registration.status).where(Registration.event_id == event_id)
    ).all()
    return dict(rows)


def add(client, event_id: int, **fields):
    data = {"name": "Anna Berger", "email": "anna@example.org", "organisation": "", **fields}
    return post_form(
        client,
        f"/admin/events/{event_id}/participants/add",
        data,
        page=f"/admin/events/{event_id}/participants",
    )


def section(page: str, status: str) -> str:
    match = re.search(rf'<section id="{status}".*?</section>', page, re.S)
    assert match, status
    return html.unescape(match.group(0))


def registration(event_id: int, email: str) -> Registration:
    return db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event_id, Registration.email == email
        )
    ).one()


def test_the_page_needs_a_login(client, make_event):
    event = make_event()
    for url in (
        f"/admin/events/{event.id}/participants",
        f"/admin/events/{event.id}/participants.csv",
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login")


def test_add_a_participant_who_gets_the_confirmation(english, make_event, mail, drain):
    event = make_event(capacity=2)
    response = add(english, event.id, organisation="Stadt Köln")
    assert response.status_code == 303
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anna Berger is registered." in page
    confirmed = section(page, "confirmed")
    assert "anna@example.org" in confirmed and "Stadt Köln" in confirmed and "Editor" in confirmed
    assert statuses(event.id) == {"anna@example.org": "confirmed"}
    drain()
    (msg,) = [parse_mail(m["data"]) for m in mail.wait_for(1)]
    assert msg["To"].addresses[0].addr_spec == "anna@example.org"
    assert any(p.get_content_type() == "text/calendar" for p in msg.walk())


def test_full_means_waiting_unless_the_editor_says_otherwise(english, make_event):
    event = make_event(capacity=1)
    add(english, event.id, name="Erste", email="erste@example.org")
    response = add(english, event.id, name="Zweite", email="zweite@example.org")
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Zweite is on the waiting list, place 1." in page
    response = add(english, event.id, name="Dritte", email="dritte@example.org", over_capacity="y")
    assert response.status_code == 303
    assert statuses(event.id) == {
        "erste@example.org": "confirmed",
        "zweite@example.org": "waiting",
        "dritte@example.org": "confirmed",
    }
    page = english.get(f"/admin/events/{event.id}/participants").get_data(as_text=True)
    assert "Confirmed: 2" in page and "Seats: 1" in page and "Free: 0" in page
    assert re.search(r'<td class="place"[^>]*>1</td>\s*<td[^>]*>Zweite</td>', page)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"email": "kein-at-zeichen"}, "email", None),
        ({"name": ""}, "name", "Please enter your name."),
        ({"name": "Anna\r\nBcc: x@example.org"}, "name", "Line breaks"),
    ],
)
def test_bad_input_is_shown_at_its_field(english, make_event, fields, field, message):
    event = make_event()
    response = add(english, event.id, organisation="Getippt bleibt", **fields)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(rf'id="{field}-error">([^<]+)<', page)
    assert error, field
    if message:
        assert message in html.unescape(error.group(1))
    assert 'value="Getippt bleibt"' in page
    assert statuses(event.id) == {}


def test_someone_registered_already_is_refused(english, make_event):
    event = make_event()
    add(english, event.id)
    response = add(english, event.id, name="Anna B.")
    assert response.status_code == 422
    assert "This person is registered already." in response.get_data(as_text=True)


def test_remove_after_confirmation_and_the_next_moves_up(english, make_event, mail, drain):
    event = make_event(capacity=1)
    add(english, event.id, name="Anna", email="anna@example.org")
    add(english, event.id, name="Ben", email="ben@example.org")
    drain()
    mail.wait_for(2)
    mail.clear()
    anna = registration(event.id, "anna@example.org")

    url = f"/admin/events/{event.id}/participants/{anna.id}/remove"
    page = english.get(url).get_data(as_text=True)
    assert "Remove Anna from" in html.unescape(page)
    assert "The freed seat goes to the first person on the waiting list." in page
    assert statuses(event.id)["anna@example.org"] == "confirmed"  # a GET changes nothing

    response = post_form(english, url, {})
    assert response.status_code == 303
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Anna was removed." in page
    assert "1 person moved up from the waiting list." in page
    assert statuses(event.id) == {"anna@example.org": "cancelled", "ben@example.org": "confirmed"}
    assert "anna@example.org" in section(page, "cancelled")
    assert "ben@example.org" in section(page, "confirmed")

    drain()
    messages = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(2)}
    calendars = {
        to: [p.get_param("method") for p in msg.walk() if p.get_content_type() == "text/calendar"]
        for to, msg in messages.items()
    }
    assert calendars == {"anna@example.org": ["CANCEL"], "ben@example.org": ["REQUEST"]}


def test_move_up_puts_first_on_the_list_or_gives_a_free_seat(english, make_event):
    event = make_event(capacity=1)
    for name in ("Anna", "Ben", "Cem"):
        add(english, event.id, name=name, email=f"{name.lower()}@example.org")
    cem = registration(event.id, "cem@example.org")
    url = f"/admin/events/{event.id}/participants/{cem.id}/move-up"
    page_url = f"/admin/events/{event.id}/participants"

    response = post_form(english, url, {}, page=page_url)
    assert response.status_code == 303
    page = english.get(page_url).get_data(as_text=True)
    assert "Cem is first on the waiting list now." in page
    waiting = section(page, "waiting")
    assert waiting.index("Cem") < waiting.index("Ben")
    assert "gives the person a free seat if there is one" in page

    # a seat becomes free without the list moving (the editor raised the seats of a draft)
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(capacity=2))
    db.session.commit()
    ben = registration(event.id, "ben@example.org")
    response = post_form(
        english, f"/admin/events/{event.id}/participants/{ben.id}/move-up", {}, page=page_url
    )
    assert "Ben has a seat now" in english.get(page_url).get_data(as_text=True)
    assert statuses(event.id)["ben@example.org"] == "confirmed"

    # only people on the waiting list move up
    response = post_form(english, url.replace(str(cem.id), str(ben.id)), {}, page=page_url)
    assert response.status_code == 409
    assert "Only people on the waiting list can be moved up." in response.get_data(as_text=True)


def test_the_csv_opens_in_german_excel(english, make_event):
    event = make_event("Netzwerktreffen Süd", capacity=1)
    add(english, event.id, name="Änne Öztürk", email="aenne@example.org", organisation="Stadt Köln")
    add(english, event.id, name='=HYPERLINK("http://evil")', email="evil@example.org")
    add(english, event.id, name="Ben", email="ben@example.org", organisation="+49 Verein")

    response = english.get(f"/admin/events/{event.id}/participants.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert f'filename="teilnehmende-{event.slug}.csv"' in disposition
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0][:6] == ["Status", "Wartelistenplatz", "Name", "E-Mail", "Organisation", "Quelle"]
    assert rows[1][:5] == ["angemeldet", "", "Änne Öztürk", "aenne@example.org", "Stadt Köln"]
    assert rows[1][5] == "Redaktion"
    assert re.fullmatch(r"\d\d\.\d\d\.\d{4} \d\d:\d\d", rows[1][6])
    assert rows[2][:3] == ["Warteliste", "1", '\'=HYPERLINK("http://evil")']
    assert rows[3][:2] == ["Warteliste", "2"] and rows[3][4] == "'+49 Verein"


def test_invite_a_list(english, make_event, lists, mail, drain):
    event = make_event("Netzwerktreffen West", registration_mode="invitation", capacity=1)
    add_confirmed([lists["netzwerktreffen"]], 3)
    add_confirmed([lists["fortbildungen"]], 2, start=10)
    page_url = f"/admin/events/{event.id}/participants"
    response = post_form(
        english,
        f"/admin/events/{event.id}/participants/invite",
        {"list_id": str(lists["netzwerktreffen"]), "confirmed": "1"},
        page=page_url,
    )
    assert response.status_code == 303
    page = english.get(page_url).get_data(as_text=True)
    assert "3 people invited." in page
    invited = section(page, "invited")
    assert all(f"person{i}@example.org" in invited for i in range(3))
    assert "person10@example.org" not in page

    drain()
    messages = [parse_mail(m["data"]) for m in mail.wait_for(3)]
    assert len(messages) == 3
    for msg in messages:
        assert msg["Subject"].startswith(("Invitation:", "Einladung:"))
        body = text_of(msg)
        assert links(body, "/registrations/") and "?answer=accept" in body
        assert "?answer=decline" in body
        (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == "REQUEST"

    # a second invitation of the same list reaches nobody twice
    again = post_form(
        english,
        f"/admin/events/{event.id}/participants/invite",
        {"list_id": str(lists["netzwerktreffen"]), "confirmed": "1"},
        page=page_url,
    )
    assert "0 people invited." in english.get(again.headers["Location"]).get_data(as_text=True)

    # the seat is taken by the first to accept; the next one waits
    from events.invitations import respond

    first, second = (registration(event.id, f"person{i}@example.org") for i in (0, 1))
    assert respond(first, accept=True) == "confirmed"
    assert respond(second, accept=True) == "waiting"
    db.session.commit()
    page = english.get(page_url).get_data(as_text=True)
    assert "person0@example.org" in section(page, "confirmed")
    assert "person1@example.org" in section(page, "waiting")
    assert "person2@example.org" in section(page, "invited")


def test_a_draft_cannot_invite(english, make_event, lists):
    event = make_event(status="draft")
    add_confirmed([lists["netzwerktreffen"]], 2)
    response = post_form(
        english,
        f"/admin/events/{event.id}/participants/invite",
        {"list_id": str(lists["netzwerktreffen"])},
        page=f"/admin/events/{event.id}/participants",
    )
    assert response.status_code == 409
    assert "Publish the event before inviting people." in response.get_data(as_text=True)
    assert statuses(event.id) == {}
