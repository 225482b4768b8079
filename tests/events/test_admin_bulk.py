"""Bulk actions on an event's participants through HTTP: the confirm page's count before
anything changes, the action in one transaction with one audit entry, and again without
doing anything twice; a message received over SMTP; the CSV of a selection; the list
invitation's count; sorting, searching and paging of both tables."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
import sqlalchemy as sa

from events.models import Event, Registration
from kkp.auth.models import AuditEntry
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.events.test_admin_participants import add, registration, section, statuses
from tests.helpers import csrf_token, html_of, parse_mail, post_form, row_count, text_of
from tests.newsletter.conftest import add_confirmed


@pytest.fixture
def english(logged_in):
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def page_of(client, event_id: int, query: str = "") -> str:
    return client.get(f"/admin/events/{event_id}/participants{query}").get_data(as_text=True)


def bulk(client, event_id: int, action: str, ids, **extra):
    """Post the bulk form as the participants page would, with the page's token."""
    token = csrf_token(page_of(client, event_id))
    data = {"csrf_token": token, "action": action, "ids": [str(i) for i in ids], **extra}
    return client.post(f"/admin/events/{event_id}/participants/bulk", data=data)


def confirm_again(client, event_id: int, confirm_page: str):
    """Press the confirm page's button: post its hidden fields back."""
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', confirm_page)
    data: dict[str, list[str]] = {}
    for name, value in hidden:
        data.setdefault(name, []).append(html.unescape(value))
    return client.post(f"/admin/events/{event_id}/participants/bulk", data=data)


def touches(page: str) -> str:
    match = re.search(r'<p id="confirm-touches">([^<]+)</p>', page)
    assert match, page
    return html.unescape(match.group(1))


def audit_entries(action: str) -> list[AuditEntry]:
    db.session.rollback()
    query = sa.select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    return list(db.session.scalars(query))


def public_registration(event_id: int, name: str):
    from events.registrations import register

    found, _ = register(event_id, name=name, email=f"{name.lower()}@example.org", consent=True)
    db.session.commit()
    return found


def test_confirm_asks_with_the_count_then_confirms_once(english, make_event):
    event = make_event(capacity=3)
    add(english, event.id, name="Anna", email="anna@example.org")
    ben, cem, dora = (public_registration(event.id, n) for n in ("Ben", "Cem", "Dora"))
    anna = registration(event.id, "anna@example.org")
    ids = [anna.id, ben.id, cem.id, dora.id]
    assert statuses(event.id)["dora@example.org"] == "pending_waiting"

    response = bulk(english, event.id, "confirm", ids)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert touches(page) == ("3 people awaiting confirmation will be registered and told by mail.")
    assert "1 of the selected is not awaiting confirmation" in page
    assert statuses(event.id)["ben@example.org"] == "pending"  # asking changes nothing
    assert audit_entries("registration.bulk_confirm") == []

    response = confirm_again(english, event.id, page)
    assert response.status_code == 303
    shown = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "2 people were confirmed and are told by mail." in shown
    assert (
        "1 person is confirmed and on the waiting list, as the event is full; "
        "she is told by mail." in shown
    )
    assert statuses(event.id) == {
        "anna@example.org": "confirmed",
        "ben@example.org": "confirmed",
        "cem@example.org": "confirmed",
        "dora@example.org": "waiting",
    }
    (entry,) = audit_entries("registration.bulk_confirm")
    assert entry.object_type == "Event" and entry.object_id == event.id
    assert entry.details == {"count": 2, "waiting": 1, "unchanged": 1}
    mails = row_count(Delivery, Delivery.kind.in_(("event_confirmation", "event_waiting")))

    # the same post again: nothing changes, nobody is mailed twice
    confirm_again(english, event.id, page)
    assert row_count(Delivery, Delivery.kind.in_(("event_confirmation", "event_waiting"))) == mails
    assert audit_entries("registration.bulk_confirm")[-1].details["unchanged"] == 4


def test_move_up_respects_the_seats_and_says_who_stays(english, make_event):
    event = make_event(capacity=1)
    for name in ("Anna", "Ben", "Cem", "Dora"):
        add(english, event.id, name=name, email=f"{name.lower()}@example.org")
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(capacity=2))
    db.session.commit()
    ids = [registration(event.id, f"{n}@example.org").id for n in ("anna", "ben", "cem", "dora")]

    page = bulk(english, event.id, "move_up", ids).get_data(as_text=True)
    assert touches(page) == "1 person will get a seat and be told by mail."
    assert "2 people cannot move up: the event is full." in page
    assert "1 of the selected is not on the waiting list" in page
    response = confirm_again(english, event.id, page)
    shown = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "1 person moved up from the waiting list and is told by mail." in shown
    assert "2 people could not be moved up because the event is full." in shown
    assert statuses(event.id) == {
        "anna@example.org": "confirmed",
        "ben@example.org": "confirmed",  # first on the waiting list
        "cem@example.org": "waiting",
        "dora@example.org": "waiting",
    }
    (entry,) = audit_entries("registration.bulk_move_up")
    assert entry.details == {"count": 1, "full": 2, "unchanged": 1}
    assert row_count(Delivery, Delivery.kind == "event_promoted") == 1


def test_a_message_to_the_selected_arrives_once(english, make_event, mail, drain):
    event = make_event("Netzwerktreffen Süd", capacity=1)
    add(english, event.id, name="Anna", email="anna@example.org")
    add(english, event.id, name="Ben", email="ben@example.org")  # waiting
    cem = public_registration(event.id, "Cem")  # unconfirmed: gets nothing
    anna, ben = (registration(event.id, f"{n}@example.org") for n in ("anna", "ben"))
    drain()
    mail.wait_for(2)
    mail.clear()

    # "select all" of two sections without JavaScript: the rows those sections showed
    token = csrf_token(page_of(english, event.id))
    response = english.post(
        f"/admin/events/{event.id}/participants/bulk",
        data={
            "csrf_token": token,
            "action": "message",
            "all": ["confirmed", "pending"],
            "shown_confirmed": [str(anna.id)],
            "shown_pending": [str(cem.id)],
            "ids": [str(ben.id)],
        },
    )
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "2 people will get this message by mail." in page
    assert "1 of the selected gets no message" in page

    # every mistake at once, the typed text kept
    form = {"csrf_token": csrf_token(page), "action": "message", "step": "write"}
    form["ids"] = [str(anna.id), str(ben.id), str(cem.id)]
    refused = english.post(
        f"/admin/events/{event.id}/participants/bulk", data={**form, "subject": "Raum\nBcc: x"}
    )
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert 'id="subject-error"' in text and "Please write the message." in text
    assert "Raum" in text
    assert row_count(Delivery, Delivery.kind == "event_message") == 0

    message = "Wir treffen uns in **Raum 2**.\n\n<script>alert(1)</script>\n\n- Bitte pünktlich"
    asked = english.post(
        f"/admin/events/{event.id}/participants/bulk",
        data={**form, "subject": "Neuer Raum", "text": message},
    )
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert touches(page) == "2 people will get this message by mail."
    assert row_count(Delivery, Delivery.kind == "event_message") == 0

    sent = confirm_again(english, event.id, page)
    assert sent.status_code == 303
    shown = english.get(sent.headers["Location"]).get_data(as_text=True)
    assert "The message goes to 2 people." in shown
    drain()
    messages = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(2)}
    assert set(messages) == {"anna@example.org", "ben@example.org"}
    for msg in messages.values():
        assert msg["Subject"] == "Neuer Raum"
        body = text_of(msg)
        assert "Wir treffen uns in Raum 2." in body and "- Bitte pünktlich" in body
        assert "Netzwerktreffen Süd" in body and "alert" not in body
        rich = html_of(msg)
        assert "<strong>Raum 2</strong>" in rich and "<script" not in rich
    (entry,) = audit_entries("registration.message")
    assert entry.details == {"recipients": 2, "unchanged": 1}

    # the confirm page posted twice (a second click): nobody gets it twice
    confirm_again(english, event.id, page)
    assert row_count(Delivery, Delivery.kind == "event_message") == 2


def test_the_selection_as_csv(english, make_event):
    event = make_event(capacity=1)
    add(english, event.id, name="Anna", email="anna@example.org")
    add(english, event.id, name='=HYPERLINK("http://evil")', email="evil@example.org")
    add(english, event.id, name="Ben", email="ben@example.org", organisation="+49 Verein")
    evil, ben = (registration(event.id, f"{n}@example.org") for n in ("evil", "ben"))

    response = bulk(english, event.id, "export", [ben.id])
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 2
    assert rows[1][:5] == ["Warteliste", "2", "Ben", "ben@example.org", "'+49 Verein"]

    rows = list(
        csv.reader(
            io.StringIO(
                bulk(english, event.id, "export", [evil.id, ben.id]).get_data().decode("utf-8-sig")
            ),
            delimiter=";",
        )
    )
    assert [r[2] for r in rows[1:]] == ['\'=HYPERLINK("http://evil")', "Ben"]
    assert english.get(f"/admin/events/{event.id}/participants.csv").status_code == 200
    assert [e.details for e in audit_entries("registration.export")] == [
        {"selected": 1},
        {"selected": 2},
        {"rows": 3},
    ]


def test_nothing_selected_or_no_action_is_refused(english, make_event):
    event = make_event()
    add(english, event.id)
    anna = registration(event.id, "anna@example.org")
    other = make_event("Anderes Treffen")
    for action, ids, message in (
        ("confirm", [], "Please select at least one participant."),
        ("", [anna.id], "Please choose what to do with the selected participants."),
        ("confirm", [anna.id + 1000], "Please select at least one participant."),
    ):
        response = bulk(english, event.id, action, ids)
        assert response.status_code == 303
        assert message in english.get(response.headers["Location"]).get_data(as_text=True)
    # another event's registration is not this event's
    response = bulk(english, other.id, "export", [anna.id])
    assert response.status_code == 303
    response = english.post(
        f"/admin/events/{event.id}/participants/bulk", data={"action": "export", "ids": "1"}
    )
    assert response.status_code == 400  # no CSRF token: nothing happens
    assert audit_entries("registration.export") == []


def test_inviting_a_list_asks_first_with_the_count(english, make_event, lists):
    event = make_event(registration_mode="invitation")
    add_confirmed([lists["netzwerktreffen"]], 4)
    add(english, event.id, name="Person 0", email="person0@example.org")
    url = f"/admin/events/{event.id}/participants/invite"
    page_url = f"/admin/events/{event.id}/participants"
    response = post_form(english, url, {"list_id": str(lists["netzwerktreffen"])}, page=page_url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert touches(page) == "3 people will get an invitation with links to accept or decline."
    assert statuses(event.id) == {"person0@example.org": "confirmed"}

    data = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    assert data["confirmed"] == "1"
    response = english.post(url, data=data)
    assert response.status_code == 303
    assert "3 people invited." in english.get(page_url).get_data(as_text=True)
    again = post_form(english, url, {"list_id": str(lists["netzwerktreffen"])}, page=page_url)
    text = html.unescape(again.get_data(as_text=True))
    assert "Nobody on this list is left to invite" in text
    assert "Yes, send invitations" not in text


def test_participants_are_sorted_searched_and_paged(english, make_event, monkeypatch):
    from events import search

    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    event = make_event(capacity=10)
    for name in ("Cem", "Anna", "Ben"):
        add(english, event.id, name=name, email=f"{name.lower()}@example.org")
    db.session.execute(
        sa.update(Registration)
        .where(Registration.email == "cem@example.org")
        .values(organisation="Stadt Köln")
    )
    db.session.commit()

    page = page_of(english, event.id)
    confirmed = section(page, "confirmed")
    assert confirmed.index("Cem") < confirmed.index("Anna")  # the order they came in
    assert "Ben" not in confirmed and "Page 1 of 2" in confirmed
    (pager,) = re.findall(r'href="([^"]*page=2[^"]*)"', page)
    assert pager.startswith(f"/admin/events/{event.id}/participants?")
    assert "status=confirmed" in pager

    page = page_of(english, event.id, "?sort=name&dir=asc")
    confirmed = section(page, "confirmed")
    assert confirmed.index("Anna") < confirmed.index("Ben") and "Cem" not in confirmed
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="[^"]*dir=desc', page)

    page = page_of(english, event.id, "?sort=name&dir=desc&status=confirmed&page=2")
    confirmed = section(page, "confirmed")
    assert "Anna" in confirmed and "Ben" not in confirmed and "Cem" not in confirmed
    assert 'id="waiting"' not in page  # one section chosen

    page = page_of(english, event.id, "?q=k%C3%B6ln")
    assert "1 registration matches." in page
    confirmed = section(page, "confirmed")
    assert "Cem" in confirmed and "Anna" not in confirmed
    assert "Nobody here matches the search." in section(page, "waiting")
    # the search stays in the sort links
    assert "q=k%C3%B6ln" in re.search(r'<th scope="col">\s*<a href="([^"]+)"', page).group(1)


def test_events_are_sorted_searched_and_paged(english, make_event, monkeypatch):
    from events import search

    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    make_event("Bremen", days=10)
    make_event("Aachen", days=20)
    make_event("Celle", days=30)
    make_event("Aurich Entwurf", status="draft")

    def titles(query: str) -> list[str]:
        page = english.get(f"/admin/events/{query}").get_data(as_text=True)
        return re.findall(r'/edit">([^<]+)</a></td>', page)

    assert titles("") == ["Bremen", "Aachen"]  # the next first
    assert titles("?page=2") == ["Celle"]
    assert titles("?sort=title&dir=asc") == ["Aachen", "Bremen"]
    assert titles("?sort=title&dir=desc&page=2") == ["Aachen"]
    assert titles("?q=EN") == ["Bremen", "Aachen"]
    assert titles("?q=AAC") == ["Aachen"]
    assert titles("?show=drafts&q=aurich") == ["Aurich Entwurf"]
    page = english.get("/admin/events/?sort=date&dir=desc&q=e").get_data(as_text=True)
    assert 'aria-sort="descending"' in page and "3 events." in page
    (pager,) = re.findall(r'rel="next" href="([^"]+)"', page)
    args = set(html.unescape(pager).split("?")[1].split("&"))
    assert args == {"show=upcoming", "q=e", "sort=date", "dir=desc", "page=2"}
    assert "No events match." in english.get("/admin/events/?q=zzz").get_data(as_text=True)
    # letters beyond ASCII in any case, on SQLite too
    make_event("Fachtag Österreich und Übersee", days=40)
    assert titles("?q=%C3%B6sterreich") == ["Fachtag Österreich und Übersee"]
    assert titles("?q=%C3%9CBERSEE") == ["Fachtag Österreich und Übersee"]


def test_a_refusal_stores_nothing(english, make_event):
    event = make_event(capacity=5)
    ben, cem = (public_registration(event.id, n) for n in ("Ben", "Cem"))
    page = bulk(english, event.id, "confirm", [ben.id, cem.id]).get_data(as_text=True)
    from events.operations import cancel_event

    cancel_event(db.session.get(Event, event.id))
    db.session.commit()
    response = confirm_again(english, event.id, page)
    assert response.status_code == 303
    shown = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only a published event&#39;s participants can be changed." in shown
    assert statuses(event.id) == {"ben@example.org": "pending", "cem@example.org": "pending"}
    assert audit_entries("registration.bulk_confirm") == []
