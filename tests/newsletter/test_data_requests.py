"""Data subject requests: one address across newsletter and events, found, exported and
erased by an editor; the later import that must not bring her back."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from kkp.extensions import db
from tests.events.conftest import kinds, make_event, register_confirmed  # noqa: F401
from tests.events.test_retention import _answers_and_consents
from tests.helpers import csrf_token

ANNA = "anna@example.org"


@pytest.fixture
def anna(ctx, lists, make_event):  # noqa: F811
    """Anna: subscribed to a list; registered (with an answer and a consent) for a past
    event she attended, and for a full event ahead, with Bernd waiting behind her."""
    from newsletter.operations import add_subscriber

    subscriber, _ = add_subscriber(
        email=ANNA,
        name="Anna Berger",
        organisation="Stadt Bachtal",
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Anmeldebogen vom 3. März",
    )
    past = make_event("Fortbildung Prävention", days=10)
    earlier, _ = register_confirmed(past.id, name="Anna Berger", email=ANNA)
    earlier.attendance = "present"
    _answers_and_consents(earlier.id)
    past.starts_at -= timedelta(days=40)
    past.ends_at -= timedelta(days=40)
    ahead = make_event("Netzwerktreffen Süd", days=20, capacity=1)
    seat, status = register_confirmed(ahead.id, name="Anna Berger", email=ANNA)
    waiting, waiting_status = register_confirmed(ahead.id, name="Bernd Kurz", email="b@example.org")
    assert (status, waiting_status) == ("confirmed", "waiting")
    db.session.commit()
    return {
        "subscriber": subscriber.id,
        "past": earlier.id,
        "seat": seat.id,
        "waiting": waiting.id,
        "ahead": ahead.id,
    }


def _post(client, url: str, data: dict):
    page = client.get("/admin/data-requests").get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(page)})


def test_the_page_finds_the_address_in_both_domains(logged_in, anna):
    logged_in.set_cookie("kkp_lang", "en")
    response = _post(logged_in, "/admin/data-requests", {"email": "Anna@Example.org"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="subscriber"' in page and "Anna Berger" in page and "KKP Kompakt" in page
    assert "Fortbildung Prävention" in page and "Netzwerktreffen Süd" in page
    assert "Present" in page and "Waiting list" not in page.split('id="registrations"')[0]
    assert "Registration confirmed" in page  # a mail she got
    # the subscriber's page leads here
    subscriber_page = logged_in.get(f"/admin/subscribers/{anna['subscriber']}")
    assert 'action="/admin/data-requests"' in subscriber_page.get_data(as_text=True)
    # nothing to find, nothing to export
    page = _post(logged_in, "/admin/data-requests", {"email": "nobody@example.org"})
    assert 'id="nothing"' in page.get_data(as_text=True)
    response = _post(logged_in, "/admin/data-requests", {"email": ""})
    assert response.status_code == 400
    assert "Please enter the e-mail address." in response.get_data(as_text=True)


def test_the_export_as_json_and_to_print(logged_in, anna):
    from kkp.auth.models import AuditEntry

    response = _post(logged_in, "/admin/data-requests/export.json", {"email": ANNA})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["email"] == ANNA
    assert data["newsletter"]["name"] == "Anna Berger"
    assert [item["name"] for item in data["newsletter"]["lists"]] == ["KKP Kompakt"]
    assert data["newsletter"]["consent_history"]
    events = {r["event"]: r for r in data["registrations"]}
    assert events["Fortbildung Prävention"]["attendance"] == "present"
    assert events["Fortbildung Prävention"]["answers"] == [
        {"question": "Funktion", "answer": "Leitung"}
    ]
    (consent,) = events["Fortbildung Prävention"]["consents"]
    assert (consent["text"], consent["source"], consent["ip"]) == ("Fotos", "form", "198.51.100.4")
    assert (consent["withdrawn_source"], consent["withdrawn_ip"]) == (None, None)
    assert events["Netzwerktreffen Süd"]["status"] == "confirmed"
    assert {"event_confirmation"} <= {m["kind"] for m in data["mails"]}

    logged_in.set_cookie("kkp_lang", "en")
    page = _post(logged_in, "/admin/data-requests/export.html", {"email": ANNA})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Information on stored personal data" in text
    assert "Leitung" in text and "Fotos" in text and "Netzwerktreffen Süd" in text
    assert "Fotos (Registration form, IP address 198.51.100.4)" in text
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "data_request.export")
    ).all()
    assert len(entries) == 2 and ANNA not in json.dumps([e.details for e in entries])


def test_erasing_asks_first_then_removes_everything(logged_in, anna):
    from events.models import Registration
    from events.question_models import Answer, ConsentRecord
    from kkp.auth.models import AuditEntry
    from kkp.mail.models import Delivery
    from newsletter.models import Subscriber
    from people.addresses import suppressed_among

    logged_in.set_cookie("kkp_lang", "en")
    response = _post(logged_in, "/admin/data-requests/erase", {"email": ANNA})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Erase everything about anna@example.org?" in page
    assert "The subscriber with 1 lists" in page and "2 registrations and 0 course" in page
    assert db.session.get(Subscriber, anna["subscriber"]) is not None  # nothing yet

    response = _post(logged_in, "/admin/data-requests/erase", {"email": ANNA, "confirmed": "1"})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Subscriber, anna["subscriber"]) is None
    assert suppressed_among([ANNA]) == {ANNA}
    past, seat, waiting = (
        db.session.get(Registration, anna[k]) for k in ("past", "seat", "waiting")
    )
    assert (past.status, past.attendance, past.name) == ("confirmed", "present", "")
    assert past.email.endswith("@invalid") and seat.email.endswith("@invalid")
    assert seat.status == "cancelled"  # the event is ahead: her seat went to Bernd
    assert waiting.status == "confirmed"
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 0
    assert not db.session.scalars(
        sa.select(Delivery).where(sa.func.lower(Delivery.recipient) == ANNA)
    ).all()
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "data_request.erase")
    )
    assert entry.details == {
        "subscriber_id": anna["subscriber"],
        "registration_ids": [anna["past"], anna["seat"]],
        "booking_ids": [],
    }
    found = _post(logged_in, "/admin/data-requests", {"email": ANNA}).get_data(as_text=True)
    assert 'id="nothing"' in found
    log = logged_in.get("/admin/audit").get_data(as_text=True)
    assert "Redaktion erased a person&#39;s data (data subject request)" in log
    assert ANNA not in log


def test_a_later_import_does_not_bring_her_back(ctx, anna, lists):
    from newsletter.data_requests import erase
    from newsletter.operations import SubscriptionError, import_subscriber
    from people.addresses import suppressed_among

    erase(ANNA)
    db.session.commit()
    assert suppressed_among([ANNA]) == {ANNA}  # what an import's batch refuses
    with pytest.raises(SubscriptionError):
        import_subscriber(email=ANNA, list_ids=[lists["kkp-kompakt"]], consent_evidence="Liste")
    # erasing again changes nothing and still answers
    assert erase(ANNA).erased.registration_ids == []


# -- the participant herself, from the preference centre ----------------------------------


def _own_pages(client, anna) -> str:
    from newsletter.models import Subscriber
    from newsletter.operations import subscriber_token

    client.set_cookie("kkp_lang", "en")
    token = subscriber_token(db.session.get(Subscriber, anna["subscriber"]), "preferences")
    return f"/preferences/{token}"


def test_her_download_includes_her_events(client, anna):
    url = _own_pages(client, anna)
    page = client.get(url).get_data(as_text=True)
    assert f"{url}/data.html" in page
    data = json.loads(client.get(f"{url}/data.json").get_data(as_text=True))
    assert data["email"] == ANNA and data["consent_history"]  # as before
    events = {r["event"]: r for r in data["events"]["registrations"]}
    assert events["Fortbildung Prävention"]["answers"][0]["answer"] == "Leitung"
    assert data["mails"]
    printed = client.get(f"{url}/data.html")
    assert printed.status_code == 200 and printed.headers["Cache-Control"] == "no-store"
    text = printed.get_data(as_text=True)
    assert "Netzwerktreffen Süd" in text and "Fotos" in text and "Anna Berger" in text


def test_she_deletes_everything_about_herself(client, anna):
    from events.models import Registration
    from kkp.auth.models import AuditEntry
    from newsletter.models import Subscriber

    url = _own_pages(client, anna) + "/delete"
    page = client.get(url).get_data(as_text=True)
    assert 'id="event-data"' in page and "Your 2 registrations for events" in page
    response = client.post(url, data={"csrf_token": csrf_token(page)})
    assert response.status_code == 200
    assert "Your data has been deleted" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subscriber, anna["subscriber"]) is None
    assert db.session.get(Registration, anna["past"]).name == ""
    assert db.session.get(Registration, anna["seat"]).status == "cancelled"
    assert db.session.get(Registration, anna["waiting"]).status == "confirmed"
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "data_request.erase")
    )
    assert entry.details["registration_ids"] == [anna["past"], anna["seat"]]
    assert (entry.channel, entry.editor_id) == ("public", None)


def test_a_participant_who_never_subscribed_uses_her_registration_link(client, ctx, make_event):  # noqa: F811
    from events.models import Registration
    from events.notices import token_for

    event = make_event("Netzwerktreffen West", days=8)
    registration, _ = register_confirmed(event.id, name="Carla Neu", email="carla@example.org")
    db.session.commit()
    client.set_cookie("kkp_lang", "en")
    url = "/registrations/" + token_for(registration)
    page = client.get(url).get_data(as_text=True)
    assert f"{url}/data.html" in page and f"{url}/delete" in page
    printed = client.get(f"{url}/data.html").get_data(as_text=True)
    assert "Carla Neu" in printed and "Netzwerktreffen West" in printed
    data = json.loads(client.get(f"{url}/data.json").get_data(as_text=True))
    assert data["newsletter"] is None and data["registrations"][0]["name"] == "Carla Neu"
    asked = client.get(f"{url}/delete").get_data(as_text=True)
    assert "Delete everything about me?" in asked and "Unsubscribe" not in asked
    response = client.post(f"{url}/delete", data={"csrf_token": csrf_token(asked)})
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(Registration, registration.id)
    assert (stored.status, stored.name) == ("cancelled", "")
    assert client.get(url).status_code == 404  # the link died with her data


@pytest.mark.parametrize("typed", ["a@b@c%_", "ü@bücher.de", " Anna@Example.org "])
def test_odd_input_finds_nothing_or_her_and_never_fails(logged_in, anna, typed):
    response = _post(logged_in, "/admin/data-requests", {"email": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ('id="subscriber"' in page) == (typed.strip().lower() == ANNA)


def test_a_course_participant_uses_her_booking_link(client, ctx, make_event):  # noqa: F811
    from events.course_models import CourseBooking
    from events.course_notices import token_for
    from events.courses import add_booking
    from tests.events.course_factory import course

    series = course(make_event, title="Kurs Gesprächsführung", dates=2)
    booking, _ = add_booking(series.id, name="Dora Lang", email="dora@example.org")
    db.session.commit()
    client.set_cookie("kkp_lang", "en")
    url = "/events/booking/" + token_for(booking)
    page = client.get(url).get_data(as_text=True)
    assert f"{url}/data.html" in page and f"{url}/delete" in page
    printed = client.get(f"{url}/data.html").get_data(as_text=True)
    assert "Dora Lang" in printed and "Kurs Gesprächsführung" in printed
    asked = client.get(f"{url}/delete").get_data(as_text=True)
    response = client.post(f"{url}/delete", data={"csrf_token": csrf_token(asked)})
    assert response.status_code == 200
    db.session.expire_all()
    stored = db.session.get(CourseBooking, booking.id)
    assert (stored.status, stored.name) == ("cancelled", "")
    assert client.get(url).status_code == 404


def test_an_editor_looks_up_audited_but_only_an_administrator_erases(client, anna):
    from kkp.auth.models import AuditEntry
    from kkp.auth.operations import create_editor
    from newsletter.models import Subscriber
    from tests.helpers import post_form

    create_editor("helfer@kkp.test", role="editor", password="noch-ein-passwort")
    db.session.commit()
    post_form(client, "/admin/login", {"email": "helfer@kkp.test", "password": "noch-ein-passwort"})
    page = _post(client, "/admin/data-requests", {"email": "anna@example.org"})
    assert page.status_code == 200
    assert "Nur eine Administratorin oder ein Administrator" in page.get_data(as_text=True)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "data_request.find"))
    assert entry is not None and "anna@" not in str(entry.details)
    erased = _post(
        client, "/admin/data-requests/erase", {"email": "anna@example.org", "confirmed": "1"}
    )
    assert erased.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 1
