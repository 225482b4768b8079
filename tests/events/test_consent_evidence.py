"""Optional event consents are recorded like the newsletter's consent: through what they
were given and withdrawn (the public form, her own page, the API) and, when she acts
herself and KKP_RECORD_IP=1, from which client address; the editors' list shows how,
her data export carries it, and anonymising takes the address with the record."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from events import questions as ops
from events.models import Registration
from events.notices import token_for
from events.question_models import ConsentRecord
from events.retention import anonymise_registrations
from kkp.extensions import db
from tests.events.course_helpers import make_course
from tests.events.test_questions import person, sign_up
from tests.helpers import csrf_token

WORDS = "Mein Name darf auf der Teilnehmendenliste stehen."
#: a documentation address (RFC 5737)
HER_IP = "203.0.113.7"


@pytest.fixture
def record_ip(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "KKP_RECORD_IP", True)
    client.environ_base["REMOTE_ADDR"] = HER_IP
    return client


def _records() -> list[ConsentRecord]:
    db.session.expire_all()
    return db.session.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.id)).all()


def test_the_public_form_records_form_and_her_address(record_ip, make_event):
    event = make_event()
    offer = ops.save_consent(event, None, WORDS)
    db.session.commit()
    response = sign_up(record_ip, event, person(**{f"consent-{offer.id}": "y"}))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    (record,) = _records()
    assert (record.source, record.ip) == ("form", HER_IP)
    assert (record.withdrawn_source, record.withdrawn_ip) == (None, None)


def test_without_kkp_record_ip_no_address(app, client, make_event, monkeypatch):
    monkeypatch.setitem(app.config, "KKP_RECORD_IP", False)
    event = make_event()
    offer = ops.save_consent(event, None, WORDS)
    db.session.commit()
    assert sign_up(client, event, person(**{f"consent-{offer.id}": "y"})).status_code == 303
    (record,) = _records()
    assert (record.source, record.ip) == ("form", None)


def test_the_course_booking_form_records_form_and_her_address(record_ip, kinds):
    series = make_course(kinds)
    offer = ops.save_consent(series, None, "Fotos dürfen veröffentlicht werden.")
    db.session.commit()
    page = f"/events/series/{series.slug}"
    html = record_ip.get(page).get_data(as_text=True)
    response = record_ip.post(
        f"{page}/book",
        data={
            "name": "Anna Berger",
            "email": "anna@example.org",
            "consent": "y",
            "consent_version": "",
            f"consent-{offer.id}": "y",
            "csrf_token": csrf_token(html),
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    (record,) = _records()
    assert record.booking_id is not None and (record.source, record.ip) == ("form", HER_IP)


def test_the_api_records_api_without_an_address(api, app, kinds, make_event, monkeypatch):
    monkeypatch.setitem(app.config, "KKP_RECORD_IP", True)
    event = make_event()
    offer = ops.save_consent(event, None, WORDS)
    series = make_course(kinds)
    photos = ops.save_consent(series, None, "Fotos")
    db.session.commit()
    body = {"name": "Anna Berger", "email": "anna@example.org"}
    registered = api(
        "POST", f"/events/{event.id}/registrations", json={**body, "consents": [offer.id]}
    )
    assert registered.status_code == 201, registered.get_data(as_text=True)
    booked = api("POST", f"/series/{series.id}/bookings", json={**body, "consents": [photos.id]})
    assert booked.status_code == 201, booked.get_data(as_text=True)
    assert [(r.text, r.source, r.ip) for r in _records()] == [
        (WORDS, "api", None),
        ("Fotos", "api", None),
    ]

    withdrawn = api("POST", f"/bookings/{booked.get_json()['id']}/consents/{photos.id}/withdraw")
    assert withdrawn.status_code == 200
    record = _records()[1]
    assert record.withdrawn_at and (record.withdrawn_source, record.withdrawn_ip) == ("api", None)


def test_her_withdrawal_shown_exported_and_anonymised(record_ip, logged_in, make_event):
    event = make_event()
    offer = ops.save_consent(event, None, WORDS)
    db.session.commit()
    visitor = logged_in.application.test_client()
    visitor.environ_base["REMOTE_ADDR"] = HER_IP
    assert sign_up(visitor, event, person(**{f"consent-{offer.id}": "y"})).status_code == 303
    (record,) = _records()
    registration = db.session.get(Registration, record.registration_id)

    page = logged_in.get(f"/admin/events/{event.id}/participants").get_data(as_text=True)
    assert "Eingewilligt (Anmeldeformular)" in page

    # she withdraws on her own page, by the signed link from her mail
    page_url = f"/registrations/{token_for(registration)}"
    html = visitor.get(page_url).get_data(as_text=True)
    action = f"{page_url}/consents/{offer.id}/withdraw"
    assert visitor.post(action, data={"csrf_token": csrf_token(html)}).status_code == 303
    (record,) = _records()
    assert (record.withdrawn_source, record.withdrawn_ip) == ("preferences", HER_IP)
    page = logged_in.get(f"/admin/events/{event.id}/participants").get_data(as_text=True)
    assert "(Eigene Anmeldeseite)" in page

    # her data export (GDPR Art. 15)
    (mine,) = visitor.get(f"{page_url}/data.json").get_json()["registrations"]
    assert mine["consents"] == [
        {
            "text": WORDS,
            "given_at": record.given_at.isoformat(),
            "source": "form",
            "ip": HER_IP,
            "withdrawn_at": record.withdrawn_at.isoformat(),
            "withdrawn_source": "preferences",
            "withdrawn_ip": HER_IP,
        }
    ]

    # anonymising removes the record, its addresses with it
    anonymise_registrations([registration])
    db.session.commit()
    assert _records() == []
    where = sa.or_(ConsentRecord.ip == HER_IP, ConsentRecord.withdrawn_ip == HER_IP)
    assert db.session.scalar(sa.select(sa.func.count()).where(where)) == 0
