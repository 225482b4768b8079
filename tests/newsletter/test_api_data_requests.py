"""Data subject requests through the JSON API: everything about one address found (the
editors' export), erased by an administrator's token only, audited with ids, the
address in no log."""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

from kkp.extensions import db
from tests.api_client import api_token, error_fields
from tests.events.conftest import api, kinds, make_event  # noqa: F401
from tests.newsletter.test_data_requests import ANNA, anna  # noqa: F401


def _audited() -> list:
    from kkp.auth.models import AuditEntry

    return db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.like("data_request.%"))
    ).all()


def test_find_answers_the_export_and_is_audited(api, anna):  # noqa: F811
    response = api("POST", "/data-requests/find", json={"email": " Anna@Example.org "})
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert data["email"] == ANNA
    assert [item["name"] for item in data["newsletter"]["lists"]] == ["KKP Kompakt"]
    assert data["newsletter"]["consent_history"]
    events = {r["event"]: r for r in data["registrations"]}
    assert set(events) == {"Fortbildung Prävention", "Netzwerktreffen Süd"}
    past = events["Fortbildung Prävention"]
    assert past["answers"] == [{"question": "Funktion", "answer": "Leitung"}]
    assert past["consents"][0]["text"] == "Fotos"
    entries = _audited()
    assert {e.action for e in entries} == {"data_request.find", "data_request.export"}
    assert {e.channel for e in entries} == {"api"}
    assert "anna@" not in json.dumps([e.details for e in entries])

    nobody = api("POST", "/data-requests/find", json={"email": "niemand@example.org"}).get_json()
    assert nobody.keys() == data.keys()
    assert nobody["newsletter"] is None and nobody["on_suppression_list"] is False
    assert nobody["registrations"] == nobody["course_bookings"] == nobody["mails"] == []

    assert "email" in error_fields(api("POST", "/data-requests/find", json={"email": "anna@"}))
    assert "email" in error_fields(api("POST", "/data-requests/find", json={}))


def test_a_page_to_read_and_print(api, anna):  # noqa: F811
    response = api.client.post(
        "/api/v1/data-requests/readable",
        json={"email": ANNA},
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert ANNA in page and "Fortbildung Prävention" in page and "Leitung" in page
    assert "email" in error_fields(api("POST", "/data-requests/readable", json={"email": "x"}))


def test_an_administrator_erases_and_nothing_is_found_after(api, anna, caplog):  # noqa: F811
    caplog.set_level(logging.DEBUG)
    unconfirmed = api("POST", "/data-requests/erase", json={"email": ANNA, "confirm": False})
    assert "confirm" in error_fields(unconfirmed)
    response = api("POST", "/data-requests/erase", json={"email": ANNA, "confirm": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {
        "subscriber_deleted": True,
        "registrations": 2,
        "course_bookings": 0,
        "answers": 1,
        "consents": 1,
        "certificates": 0,
        "mails": response.get_json()["mails"],
    }
    assert response.get_json()["mails"] >= 2  # her confirmations
    after = api("POST", "/data-requests/find", json={"email": ANNA}).get_json()
    assert after["newsletter"] is None and after["on_suppression_list"] is True
    assert after["registrations"] == after["mails"] == []
    assert "data_request.erase" in {e.action for e in _audited()}
    assert "anna@" not in json.dumps([e.details for e in _audited()])
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert ours, "nothing logged"
    assert not [r.getMessage() for r in ours if "anna@" in r.getMessage().lower()]


def test_only_an_administrator_erases(api, anna):  # noqa: F811
    from kkp.auth.operations import create_editor
    from newsletter.models import Subscriber

    helper = create_editor("helfer@kkp.test", role="editor", password="noch-ein-passwort")
    db.session.commit()
    token = api_token(helper.id)
    body = {"email": ANNA, "confirm": True}
    refused = api("POST", "/data-requests/erase", json=body, token=token)
    assert refused.status_code == 403
    assert "Administrator" in refused.get_json()["error"]["message"]
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 1
    # looking up is every editor's
    found = api("POST", "/data-requests/find", json={"email": ANNA}, token=token)
    assert found.status_code == 200 and found.get_json()["newsletter"]["name"] == "Anna Berger"
