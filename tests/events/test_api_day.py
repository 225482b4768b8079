"""On the day and after, through the JSON API: the sign-in sheet, the scans of the
signed sheet, the participants as a PDF list and name badges, certificates issued and
mailed to everyone eligible (and one by one, never twice), and a message to a group.
PDFs are read back with pypdf, mails with the email parser from the test SMTP server."""

from __future__ import annotations

import io

from pypdf import PdfReader

from events import attendance_scans
from events.models import EventSeries, RegistrationScope
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.api_client import error_fields
from tests.events.course_factory import booking, course, person
from tests.events.test_admin_bulk import audit_entries
from tests.helpers import parse_mail, row_count, text_of

PDF = b"%PDF-1.4\n%scan\n"


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    return " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages).split())


def download(api, path: str):
    """A file route (its answer is no JSON, so not checked against the document)."""
    return api.client.get(f"/api/v1{path}", headers={"Authorization": f"Bearer {api.secret}"})


def upload(api, path: str, data: bytes | None, name: str = "scan.pdf"):
    form = {"scan": (io.BytesIO(data), name)} if data is not None else {}
    return api("POST", path, data=form, content_type="multipart/form-data")


def test_the_sign_in_sheet_and_the_scans_of_a_date(api, make_event, monkeypatch):
    event = make_event("Netzwerktreffen Süd", days=-1)
    other = make_event("Anderer Termin")
    person(event.id, "Anna Berger", organisation="Stadt Pirna")
    person(event.id, "Walter Warte", "waiting")
    db.session.commit()

    sheet = download(api, f"/events/{event.id}/sign-in-sheet")
    assert sheet.status_code == 200 and sheet.mimetype == "application/pdf"
    assert sheet.headers["Content-Disposition"].startswith("attachment")
    text = pdf_text(sheet.data)
    assert "Netzwerktreffen Süd" in text and "Anna Berger" in text and "Stadt Pirna" in text
    assert "Walter" not in text
    assert [e.details for e in audit_entries("registration.export")] == [{"rows": 1}]

    scans = f"/events/{event.id}/attendance/scans"
    created = upload(api, scans, PDF, "../Unterschriften Süd.PDF")
    assert created.status_code == 201, created.get_json()
    scan = created.get_json()
    assert scan["filename"] == "Unterschriften Süd.pdf"
    assert scan["type"] == "application/pdf" and scan["size"] == len(PDF)
    # the type comes from the first bytes, not the name; then the size; then any file
    refused = error_fields(upload(api, scans, b"GIF89a....", "foto.png"))
    assert refused == {"scan": "Nur PDF-, JPEG- und PNG-Dateien können hochgeladen werden."}
    monkeypatch.setattr(attendance_scans, "MAX_BYTES", 1000)  # 10 MB: the same check
    too_big = error_fields(upload(api, scans, PDF + b"0" * 1000))
    assert too_big == {"scan": "Die Datei ist größer als 10 MB."}
    assert error_fields(upload(api, scans, None)) == {"scan": "Bitte wählen Sie eine Datei aus."}

    assert api("GET", scans).get_json()["items"] == [scan]
    file = download(api, f"{scans}/{scan['id']}/file")
    assert file.data == PDF and file.mimetype == "application/pdf"
    assert file.headers["X-Content-Type-Options"] == "nosniff"
    elsewhere = f"/events/{other.id}/attendance/scans/{scan['id']}"
    assert download(api, f"{elsewhere}/file").status_code == 404
    assert api("DELETE", elsewhere).status_code == 404
    assert api("DELETE", f"{scans}/{scan['id']}").status_code == 204
    assert api("DELETE", f"{scans}/{scan['id']}").status_code == 404
    assert download(api, f"{scans}/{scan['id']}/file").status_code == 404
    assert api("GET", scans).get_json()["items"] == []
    assert len(audit_entries("attendance_scan.upload")) == 1
    assert len(audit_entries("attendance_scan.delete")) == 1


def test_participants_as_a_pdf_list_and_name_badges(api, make_event):
    series = course(make_event, "Kurs Zivilcourage", dates=2)
    booking(series, "Anna Berger", organisation="Stadt Pirna")
    booking(series, "Ben Cordes", "waiting")
    db.session.commit()
    url = f"/series/{series.id}/participants"

    listed = download(api, f"{url}?format=pdf&columns=name,organisation")
    assert listed.status_code == 200 and listed.mimetype == "application/pdf"
    text = pdf_text(listed.data)
    assert "Kurs Zivilcourage" in text and "Anna Berger" in text and "Stadt Pirna" in text
    assert "Ben Cordes" not in text

    badges = download(api, f"{url}?format=badges&group=all")
    assert badges.headers["Content-Disposition"].endswith('namensschilder-kurs.pdf"')
    text = pdf_text(badges.data)
    assert "Anna Berger" in text and "Ben Cordes" in text
    assert [e.details["format"] for e in audit_entries("registration.export")] == ["pdf", "badges"]


def _course_held(make_event) -> EventSeries:
    """A course of two dates that took place; 75 % of them earn a certificate."""
    series = EventSeries(
        slug="deeskalation",
        title="Deeskalation im Alltag",
        registration_scope=RegistrationScope.COURSE,
        certificate_share=75,
    )
    db.session.add(series)
    db.session.commit()
    for days in (-14, -7):
        make_event(f"Deeskalation {days}", days=days, series_id=series.id)
    return series


def test_certificates_to_everyone_eligible_and_one_by_one(api, make_event, mail, drain):
    series = _course_held(make_event)
    booking(series, "Anna Berger", attendance=["present", "present"])
    ben = booking(series, "Ben Cordes", attendance=["present", "absent"])
    carla = booking(series, "Carla Demir", attendance=["present", "present"])
    dora = booking(series, "Dora Ernst", attendance=["present", "present"])
    db.session.commit()
    assert api("POST", f"/bookings/{carla.id}/certificate", json={"send": True}).status_code == 200
    issued = api("POST", f"/bookings/{dora.id}/certificate").get_json()
    assert issued["sent_at"] is None

    url = f"/series/{series.id}/certificates/send"
    first = api("POST", url)
    assert first.status_code == 200, first.get_json()
    assert first.get_json() == {
        "issued": 1,
        "sent": 2,
        "already_sent": 1,
        "refused": [
            {
                "booking_id": ben.id,
                "registration_id": None,
                "name": "Ben Cordes",
                "reason": "1 von 2 Terminen besucht (50 %), nötig sind 75 %",
            }
        ],
    }
    again = api("POST", url, json={}).get_json()
    assert (again["issued"], again["sent"], again["already_sent"]) == (0, 0, 3)
    assert api("POST", "/series/999/certificates/send").status_code == 404

    items = api("GET", f"/series/{series.id}/certificates").get_json()["items"]
    by_name = {c["holder_name"]: c for c in items}
    assert set(by_name) == {"Anna Berger", "Carla Demir", "Dora Ernst"}
    pdf = download(api, f"/certificates/{by_name['Anna Berger']['id']}/pdf")
    assert pdf.status_code == 200
    assert pdf.headers["Content-Disposition"].startswith('attachment; filename="teilnahme')
    assert "Anna Berger" in pdf_text(pdf.data) and "Deeskalation im Alltag" in pdf_text(pdf.data)
    assert download(api, "/certificates/999/pdf").status_code == 404

    # one by one: Dora's went with the others; nobody gets it twice
    twice = api("POST", f"/certificates/{by_name['Dora Ernst']['id']}/send")
    assert twice.status_code == 409
    assert twice.get_json()["error"]["message"] == "Diese Bescheinigung wurde schon versandt."

    drain()
    received = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(3)}
    assert set(received) == {"anna@example.org", "carla@example.org", "dora@example.org"}
    attachment = next(received["anna@example.org"].iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert "Anna Berger" in pdf_text(attachment.get_content())
    assert row_count(Delivery, Delivery.kind == "certificate") == 3


def test_one_certificate_mailed_through_the_api(api, make_event, mail, drain):
    series = _course_held(make_event)
    anna = booking(series, "Anna Berger", attendance=["present", "present"])
    db.session.commit()
    certificate = api("POST", f"/bookings/{anna.id}/certificate").get_json()

    sent = api("POST", f"/certificates/{certificate['id']}/send")
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["sent_at"] is not None
    assert api("POST", f"/certificates/{certificate['id']}/send").status_code == 409
    assert api("POST", "/certificates/999/send").status_code == 404
    (entry,) = audit_entries("certificate.send")
    assert entry.details == {"number": certificate["number"]}
    drain()
    (message,) = mail.wait_for(1)
    assert message["to"] == ["anna@example.org"]


def test_the_certificates_of_a_date_booked_on_its_own(api, make_event, mail, drain):
    event = make_event("Schulung Einbruchschutz", days=-7)
    anna = person(event.id, "Anna Beispiel", "confirmed", attendance="present")
    carla = person(event.id, "Carla Beispiel", "confirmed", attendance="absent")
    db.session.commit()

    refused = api("POST", f"/registrations/{carla.id}/certificate")
    assert refused.status_code == 422
    issued = api("POST", f"/registrations/{anna.id}/certificate").get_json()
    assert (issued["event_id"], issued["registration_id"]) == (event.id, anna.id)
    assert issued["booking_id"] is None and issued["sent_at"] is None
    again = api("POST", f"/registrations/{anna.id}/certificate").get_json()
    assert again["number"] == issued["number"]

    report = api("POST", f"/events/{event.id}/certificates/send").get_json()
    assert (report["issued"], report["sent"], report["already_sent"]) == (0, 1, 0)
    assert [(r["registration_id"], r["booking_id"]) for r in report["refused"]] == [
        (carla.id, None)
    ]
    assert api("POST", f"/events/{event.id}/certificates/send").get_json()["sent"] == 0
    items = api("GET", f"/events/{event.id}/certificates").get_json()["items"]
    assert [c["holder_name"] for c in items] == ["Anna Beispiel"]
    assert api("GET", "/events/999/certificates").status_code == 404
    drain()
    (message,) = mail.wait_for(1)
    assert message["to"] == ["anna@example.org"]


def test_a_message_to_a_group_counts_first_then_goes_once(api, make_event, mail, drain):
    event = make_event("Netzwerktreffen Nord")
    person(event.id, "Anna Berger")
    person(event.id, "Ben Cordes")
    person(event.id, "Cem Demir", "waiting")
    db.session.commit()
    url = f"/events/{event.id}/messages"
    message = {"group": "confirmed", "subject": "Raumänderung", "body": "Im **Saal 2**."}

    assert set(error_fields(api("POST", url, json={"group": "confirmed"}))) == {"subject", "body"}
    blank = error_fields(api("POST", url, json={**message, "subject": " ", "body": ""}))
    assert blank == {
        "subject": "Bitte geben Sie einen Betreff ein.",
        "body": "Bitte schreiben Sie die Nachricht.",
    }
    nobody = error_fields(api("POST", url, json={**message, "group": "attended"}))
    assert nobody == {"group": "In dieser Gruppe ist niemand, dem Sie schreiben können."}
    assert set(error_fields(api("POST", url, json={**message, "key": "kurz"}))) == {"key"}
    assert api("POST", "/events/999/messages", json=message).status_code == 404

    counted = api("POST", url, json={**message, "dry_run": True})
    assert counted.status_code == 200 and counted.get_json() == {"reached": 2, "queued": 0}
    assert row_count(Delivery) == 0 and audit_entries("registration.message") == []

    sent = api("POST", url, json={**message, "key": "raum-2026-05"})
    assert sent.get_json() == {"reached": 2, "queued": 2}
    repeated = api("POST", url, json={**message, "key": "raum-2026-05"})
    assert repeated.get_json() == {"reached": 2, "queued": 0}
    (entry,) = audit_entries("registration.message")
    assert entry.details == {"group": "confirmed", "recipients": 2, "unchanged": 0}

    drain()
    received = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(2)}
    assert set(received) == {"anna@example.org", "ben@example.org"}
    assert received["anna@example.org"]["Subject"] == "Raumänderung"
    assert "Im Saal 2." in text_of(received["anna@example.org"])


def test_a_message_to_a_course_counts_bookings(api, make_event):
    series = course(make_event, "Kurs Zivilcourage", dates=3)
    booking(series, "Anna Berger")
    booking(series, "Ben Cordes", "waiting")
    db.session.commit()
    url = f"/series/{series.id}/messages"
    body = {"group": "all", "subject": "Hinweis", "body": "Bitte mitbringen: Ausweis."}

    assert api("POST", url, json={**body, "dry_run": True}).get_json()["reached"] == 2
    assert api("POST", url, json=body).get_json() == {"reached": 2, "queued": 2}
    assert row_count(Delivery, Delivery.kind == "event_message") == 2
    assert api("POST", "/series/999/messages", json=body).status_code == 404
