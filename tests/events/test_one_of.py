"""One of several dates: the series page offers the dates, a second date is answered
like any known address (by mail), and a registration moves to another date as the
same row: a CANCEL for the old date, a REQUEST for the new, the old seat to its
waiting list, the move in the audit log."""

from __future__ import annotations

import html

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.auth.models import AuditEntry
from kkp.extensions import db
from tests.events.conftest import register_confirmed
from tests.helpers import csrf_token, links, parse_mail, post_form, text_of


@pytest.fixture
def dates(make_event):
    """A training offered on two dates, two seats each."""
    from events.operations import save_series

    series = save_series(None, title="Erste Hilfe für Vereine")
    series.registration_scope = "one_of"
    db.session.commit()
    first = make_event("Erste Hilfe", days=10, capacity=2, series_id=series.id)
    second = make_event("Erste Hilfe", days=20, capacity=2, series_id=series.id)
    return first, second


def join(event, email: str) -> Registration:
    registration, _status = register_confirmed(
        event.id, name=email.split("@")[0].title(), email=email, locale="en"
    )
    db.session.commit()
    return registration


def by_subject(mail, count: int) -> dict[str, object]:
    return {
        str(msg["Subject"]): msg
        for msg in (parse_mail(item["data"]) for item in mail.wait_for(count))
    }


def calendar_of(msg) -> str:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return part.get_payload(decode=True).decode().replace("\r\n ", "")


def test_the_series_page_offers_one_date(client, dates):
    first, second = dates
    join(first, "anna@example.org")
    client.set_cookie("kkp_lang", "en")
    page = html.unescape(client.get(f"/events/series/{first.series.slug}").get_data(as_text=True))
    assert "Choose one date" in page
    assert f"/events/{first.slug}#registration-heading" in page
    assert "1 seat left" in page and "2 seats left" in page
    assert "please register for every date" not in page


def test_a_second_date_is_answered_by_mail(client, lists, dates, mail, drain):
    first, second = dates
    join(first, "anna@example.org")
    drain()
    mail.wait_for(1)
    mail.clear()
    client.set_cookie("kkp_lang", "en")
    person = {"name": "Anna Berger", "email": "anna@example.org", "consent": "y"}
    response = post_form(client, f"/events/{second.slug}", person)
    # the same answer as for anyone: nothing shows whether the address is known
    assert response.headers["Location"] == f"/events/{second.slug}/registered"
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    drain()
    (msg,) = by_subject(mail, 1).values()
    body = " ".join(text_of(msg).split())
    assert "you asked to register for the date" in body
    assert links(text_of(msg), "/registrations/")

    # a registration that was pending for the second date cannot be confirmed beside it
    from events.errors import EventStateError
    from events.registrations import confirm, register

    pending, _outcome = register(second.id, name="Bernd", email="bernd@example.org", consent=True)
    join(first, "bernd@example.org")
    with pytest.raises(EventStateError, match="another date"):
        confirm(pending)
    db.session.rollback()  # nothing of it stays, and the worker is not kept waiting


def test_the_participant_moves_to_another_date(client, dates, mail, drain):
    from events.registrations import token_for

    first, second = dates
    anna = join(first, "anna@example.org")
    join(first, "bernd@example.org")
    waiting = join(first, "carla@example.org")
    assert waiting.status == "waiting"
    drain()
    mail.wait_for(3)
    mail.clear()

    url = f"/registrations/{token_for(anna)}"
    page = client.get(url).get_data(as_text=True)
    assert 'name="to"' in page and f'value="{second.id}"' in page
    response = client.post(
        url, data={"action": "move", "to": str(second.id), "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    db.session.expire_all()
    moved = db.session.get(Registration, anna.id)
    assert (moved.event_id, moved.status) == (second.id, "confirmed")
    assert db.session.get(Registration, waiting.id).status == "confirmed"  # moved up
    assert db.session.scalar(
        sa.select(AuditEntry.action).where(AuditEntry.action == "registration.move")
    )

    drain()
    found = by_subject(mail, 3)  # new date, old date's CANCEL, Carla's promotion
    new = found["New date: Erste Hilfe"]
    old = found["Date changed: Erste Hilfe"]
    assert "METHOD:REQUEST" in calendar_of(new) and f"UID:{second.uid}" in calendar_of(new)
    assert "METHOD:CANCEL" in calendar_of(old) and f"UID:{first.uid}" in calendar_of(old)
    assert "SEQUENCE:1" in calendar_of(old)


def test_a_full_date_refuses_the_move(client, dates):
    from events.registrations import token_for

    first, second = dates
    anna = join(first, "anna@example.org")
    join(second, "bernd@example.org")
    join(second, "carla@example.org")
    client.set_cookie("kkp_lang", "en")
    url = f"/registrations/{token_for(anna)}"
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"action": "move", "to": str(second.id), "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 409
    assert "fully booked" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Registration, anna.id).event_id == first.id


def test_the_editor_moves_someone(logged_in, dates):
    first, second = dates
    anna = join(first, "anna@example.org")
    logged_in.set_cookie("kkp_lang", "en")
    listing = logged_in.get(f"/admin/events/{first.id}/participants").get_data(as_text=True)
    url = f"/admin/events/{first.id}/participants/{anna.id}/move"
    assert url in listing
    refused = post_form(logged_in, url, {"to_event_id": "999999"})
    assert refused.status_code == 422
    assert post_form(logged_in, url, {"to_event_id": str(second.id)}).status_code == 303
    db.session.expire_all()
    assert db.session.get(Registration, anna.id).event_id == second.id


def test_the_api_moves_someone(api, dates, make_event):
    from tests.api_client import error_fields

    first, second = dates
    anna = join(first, "anna@example.org")
    moved = api("POST", f"/registrations/{anna.id}/move", json={"event_id": second.id})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    assert (moved.get_json()["event_id"], moved.get_json()["status"]) == (second.id, "confirmed")
    # a date of no series of one of several dates
    alone = join(make_event("Einzeltermin"), "bernd@example.org")
    refused = api("POST", f"/registrations/{alone.id}/move", json={"event_id": second.id})
    assert "event_id" in error_fields(refused)


def test_inviting_a_list_skips_who_holds_another_date(api, dates, lists):
    from tests.newsletter.conftest import add_confirmed

    first, second = dates
    add_confirmed([lists["netzwerktreffen"]], 3)  # person0 … person2
    join(first, "person0@example.org")
    body = {"list_id": lists["netzwerktreffen"]}
    response = api("POST", f"/events/{second.id}/invitations", json=body)
    assert response.get_json() == {"invited": 2}
    invited = api("GET", f"/events/{second.id}/registrations?status=invited").get_json()
    assert {r["email"] for r in invited["items"]} == {"person1@example.org", "person2@example.org"}


def test_answers_and_consents_move_with_the_registration(logged_in, api, dates):
    import csv
    import io

    from events.question_models import Answer, ConsentOffer, ConsentRecord, Question
    from events.questions import copy_questions

    first, second = dates
    db.session.add_all(
        [
            Question(event_id=first.id, kind="short_text", label="Funktion"),
            Question(event_id=first.id, kind="yes_no", label="Vegetarisch"),
            ConsentOffer(event_id=first.id, text="Fotos"),
        ]
    )
    db.session.flush()
    copy_questions(first, second)  # a copied date asks the same
    anna = join(first, "anna@example.org")
    function, veggie = db.session.scalars(
        sa.select(Question).where(Question.event_id == first.id).order_by(Question.id)
    )
    offer = db.session.scalar(sa.select(ConsentOffer).where(ConsentOffer.event_id == first.id))
    db.session.add_all(
        [
            Answer(question_id=function.id, registration_id=anna.id, value="Leitung"),
            Answer(question_id=veggie.id, registration_id=anna.id, value=True),
            ConsentRecord(consent_id=offer.id, registration_id=anna.id, text="Fotos"),
        ]
    )
    db.session.commit()

    moved = api("POST", f"/registrations/{anna.id}/move", json={"event_id": second.id})
    assert moved.status_code == 200, moved.get_data(as_text=True)
    sheet = logged_in.get(f"/admin/events/{second.id}/participants.csv")
    rows = list(
        csv.reader(io.StringIO(sheet.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    )
    (row,) = [dict(zip(rows[0], r, strict=True)) for r in rows[1:] if "anna@example.org" in r]
    assert row["Funktion"] == "Leitung"
    assert row["Vegetarisch"] and row["Einwilligung: Fotos"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 1
