"""Withdrawing an optional consent (GDPR Art. 7(3)): by her own link on her
registration's or booking's page, or by an editor in the API; the record keeps its
words, the lists, exports and the API show it as withdrawn, twice is harmless, and
nobody else's link reaches it."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa

from events import questions as ops
from events.answers import record_consents
from events.consents import withdraw_consent
from events.course_notices import confirm_token_for as booking_confirm_token
from events.course_notices import token_for as booking_token
from events.notices import confirm_token_for, token_for
from events.participant_columns import chosen_columns, course_columns, event_columns
from events.participant_export import participant_sheet
from events.participant_groups import course_participants, event_participants
from events.question_models import ConsentRecord
from kkp.auth.models import AuditEntry
from kkp.db import utcnow
from kkp.extensions import db
from tests.events.course_factory import booking, course, person
from tests.helpers import csrf_token

WORDS = "Mein Name darf auf der Teilnehmendenliste stehen."


@pytest.fixture
def offered(make_event):
    """A date offering a consent; Anna gave it, Ben did not."""
    event = make_event()
    offer = ops.save_consent(event, None, WORDS)
    anna = person(event.id, "Anna Berger")
    ben = person(event.id, "Ben Cordes")
    record_consents([offer], {"consents": [offer.id]}, registration=anna, source="form")
    db.session.commit()
    return event, offer, anna, ben


def _withdraw_form(html: str) -> str:
    """The action of the page's only withdraw button."""
    (action,) = re.findall(r'action="([^"]*/consents/\d+/withdraw)"', html)
    return action


def _record(**owner) -> ConsentRecord:
    db.session.expire_all()
    return db.session.scalar(sa.select(ConsentRecord).filter_by(**owner))


def test_she_withdraws_by_her_link(client, offered):
    event, offer, anna, _ben = offered
    page_url = f"/registrations/{token_for(anna)}"
    html = client.get(page_url).get_data(as_text=True)
    assert "Ihre Einwilligungen" in html and WORDS in html
    action = _withdraw_form(html)

    response = client.post(action, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    # her page again, its link signed anew (the time stamp may have moved on a second)
    payload = token_for(anna).split(".")[0]
    assert re.search(
        rf"/registrations/{re.escape(payload)}\.[^/#]+#own-consents$", response.headers["Location"]
    )
    after = client.get(page_url).get_data(as_text=True)
    assert "Ihre Einwilligung ist widerrufen" in after
    assert "Widerrufen am" in after and "/withdraw" not in after  # not given again here
    record = _record(registration_id=anna.id)
    assert record.text == WORDS and record.withdrawn_at is not None
    # her data export (GDPR Art. 15) says so
    (mine,) = client.get(f"{page_url}/data.json").get_json()["registrations"]
    assert mine["consents"] == [
        {
            "text": WORDS,
            "given_at": record.given_at.isoformat(),
            "source": "form",
            "ip": None,
            "withdrawn_at": record.withdrawn_at.isoformat(),
            "withdrawn_source": "preferences",
            "withdrawn_ip": None,
        }
    ]

    # twice is harmless: the first date stays
    first = record.withdrawn_at
    again = client.post(action, data={"csrf_token": csrf_token(after)})
    assert again.status_code == 303
    assert _record(registration_id=anna.id).withdrawn_at == first
    assert withdraw_consent(anna, offer.id, utcnow(), source="api").withdrawn_at == first

    # the editor's list and CSV: withdrawn, not given
    people = event_participants(event.id)
    columns = chosen_columns(event_columns(event, people), ["name", f"c{offer.id}"])
    sheet = participant_sheet("", columns, people)
    assert sheet.rows[0][0] == "Anna Berger" and sheet.rows[0][1].startswith("widerrufen am ")
    assert sheet.rows[1] == ["Ben Cordes", ""]


def test_editor_sees_withdrawn_on_the_list_and_in_the_csv(logged_in, offered):
    event, offer, anna, _ben = offered
    withdraw_consent(anna, offer.id, utcnow(), source="editor")
    db.session.commit()
    page = logged_in.get(f"/admin/events/{event.id}/participants").get_data(as_text=True)
    assert "Widerrufen am" in page and "(Redaktion)" in page and f"<del>{WORDS}</del>" in page
    data = logged_in.get(f"/admin/events/{event.id}/participants.csv").get_data(as_text=True)
    heading, *rows = csv.reader(io.StringIO(data.lstrip("\ufeff")), delimiter=";")
    column = heading.index(f"Einwilligung: {WORDS}")
    cells = {r[heading.index("Name")]: r[column] for r in rows}
    assert cells["Anna Berger"].startswith("widerrufen, ") and cells["Ben Cordes"] == ""


def test_no_other_link_reaches_her_consent(client, offered):
    _event, offer, anna, ben = offered
    html = client.get(f"/registrations/{token_for(anna)}").get_data(as_text=True)
    token = csrf_token(html)
    for url in (
        # another person's link: she never gave it
        f"/registrations/{token_for(ben)}/consents/{offer.id}/withdraw",
        # the confirm link of the mail is not her page's link
        f"/registrations/{confirm_token_for(anna)}/consents/{offer.id}/withdraw",
        f"/registrations/{token_for(anna)}x/consents/{offer.id}/withdraw",
    ):
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    # without the form's token
    no_csrf = client.post(f"/registrations/{token_for(anna)}/consents/{offer.id}/withdraw")
    assert no_csrf.status_code == 400
    assert _record(registration_id=anna.id).withdrawn_at is None


def test_editor_withdraws_in_the_api(api, offered):
    event, offer, anna, ben = offered
    url = f"/registrations/{anna.id}/consents/{offer.id}/withdraw"
    response = api("POST", url)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == offer.id and body["text"] == WORDS and body["withdrawn_at"]
    assert api("POST", url).get_json()["withdrawn_at"] == body["withdrawn_at"]
    listed = api("GET", f"/events/{event.id}/registrations").get_json()["items"]
    consents = {r["id"]: r["consents"] for r in listed}
    assert consents[anna.id] == [body] and consents[ben.id] == []
    assert api("POST", f"/registrations/{ben.id}/consents/{offer.id}/withdraw").status_code == 404
    assert api("POST", f"/registrations/{anna.id}/consents/999999/withdraw").status_code == 404
    (entry,) = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.consent_withdraw")
    )
    assert entry.details == {"event_id": event.id, "consent_id": offer.id}


def test_a_course_booking_withdraws_on_its_page_and_in_the_api(client, api, make_event):
    series = course(make_event, dates=2)
    photos = ops.save_consent(series, None, "Fotos dürfen veröffentlicht werden.")
    listed = ops.save_consent(series, None, WORDS)
    anna = booking(series, "Anna Berger")
    ticked = {"consents": [photos.id, listed.id]}
    record_consents([photos, listed], ticked, booking=anna, source="form")
    db.session.commit()

    page_url = f"/events/booking/{booking_token(anna)}"
    html = client.get(page_url).get_data(as_text=True)
    assert html.count("/withdraw") == 2
    action = f"{page_url}/consents/{photos.id}/withdraw"
    confirm = f"/events/booking/{booking_confirm_token(anna)}/consents/{photos.id}/withdraw"
    assert client.post(confirm, data={"csrf_token": csrf_token(html)}).status_code == 404
    assert client.post(action, data={"csrf_token": csrf_token(html)}).status_code == 303
    after = client.get(page_url).get_data(as_text=True)
    assert "Widerrufen am" in after and after.count("/withdraw") == 1

    response = api("POST", f"/bookings/{anna.id}/consents/{listed.id}/withdraw")
    assert response.status_code == 200 and response.get_json()["withdrawn_at"]
    assert api("POST", f"/bookings/{anna.id + 1}/consents/{listed.id}/withdraw").status_code == 404
    records = db.session.scalars(sa.select(ConsentRecord).order_by(ConsentRecord.id)).all()
    assert [r.text for r in records] == ["Fotos dürfen veröffentlicht werden.", WORDS]
    assert all(r.withdrawn_at for r in records)
    assert [r.withdrawn_source for r in records] == ["preferences", "api"]

    people = course_participants(series.id)
    keys = ["name", f"c{photos.id}", f"c{listed.id}"]
    columns = chosen_columns(course_columns(series, people), keys)
    (row,) = participant_sheet("", columns, people).rows
    assert row[0] == "Anna Berger" and all(c.startswith("widerrufen am ") for c in row[1:])
