"""The local outbox as editors read it: a list (no wide table) of subject, recipient,
time and kind, 50 a page, filtered by kind and searched by recipient; a message's
headers as a definition list."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from kkp.extensions import db


def _entries(page: str) -> str:
    if '<ol class="dash-entries">' not in page:
        return ""
    part = page.split('<ol class="dash-entries">', 1)[1].split("</ol>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def _raw(subject: str, to: str, message_id: str) -> bytes:
    return (
        f"Subject: {subject}\r\nFrom: KKP <newsletter@kkp.test>\r\nTo: {to}\r\n"
        f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHallo und willkommen.\r\n"
    ).encode()


def _store(subject: str, to: str, *, kind: str | None = None, n: int = 0):
    from kkp.db import utcnow
    from kkp.mail.models import Delivery, OutboxMessage

    message_id = f"<{kind or 'x'}.{n}.{subject.replace(' ', '')}@kkp.test>"
    if kind:
        db.session.add(
            Delivery(
                kind=kind, recipient=to, status="sent", message_id=message_id, sent_at=utcnow()
            )
        )
    stored = OutboxMessage(
        envelope_from="newsletter@kkp.test",
        recipients=to,
        subject=subject,
        message_id=message_id,
        raw=_raw(subject, to, message_id),
        created_at=utcnow() - timedelta(minutes=n),
    )
    db.session.add(stored)
    return stored


def test_the_outbox_lists_subject_recipient_time_and_kind(logged_in):
    _store("Bitte bestätigen Sie Ihre Anmeldung", "neu@kkp.test", kind="subscription_confirmation")
    _store("Ohne Zustellung", "frei@kkp.test")
    db.session.commit()
    page = logged_in.get("/admin/outbox/", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert "<table" not in page
    text = _entries(page)
    assert "Bitte bestätigen Sie Ihre Anmeldung" in text
    assert "An: neu@kkp.test" in text
    assert "Art: Bestätigung einer Newsletter-Anmeldung" in text
    assert "Art: Sonstige E-Mail" in text
    assert re.search(r"Zeit: \d\d\.\d\d\.\d{4}, \d\d:\d\d", text)


def test_filter_by_kind_and_search_by_recipient(logged_in):
    _store("Bitte bestätigen", "neu@kkp.test", kind="subscription_confirmation")
    _store("Ausgabe 3/2026", "leser@kkp.test", kind="issue", n=1)
    _store("Ausgabe 3/2026", "zweite_leserin@kkp.test", kind="issue", n=2)
    db.session.commit()

    page = logged_in.get("/admin/outbox/?kind=issue").get_data(as_text=True)
    text = _entries(page)
    assert "leser@kkp.test" in text and "neu@kkp.test" not in text
    assert '<option value="issue" selected>' in page
    assert "2 Nachrichten." in page

    page = logged_in.get("/admin/outbox/?q=LESER").get_data(as_text=True)
    text = _entries(page)
    assert "leser@kkp.test" in text and "zweite_leserin@kkp.test" in text
    assert "neu@kkp.test" not in text
    assert 'value="LESER"' in page

    # the underscore is a character, not a wildcard
    text = _entries(logged_in.get("/admin/outbox/?q=e_l").get_data(as_text=True))
    assert "zweite_leserin@kkp.test" in text and "leser@kkp.test" not in text.replace(
        "zweite_leserin@kkp.test", ""
    )

    response = logged_in.get("/admin/outbox/?kind=nonsense")
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Art von E-Mail aus der Liste." in response.get_data(as_text=True)


def test_pages_of_fifty(logged_in):
    for n in range(60):
        _store(f"Nachricht {n}", f"p{n}@kkp.test", n=n)
    db.session.commit()
    page = logged_in.get("/admin/outbox/").get_data(as_text=True)
    assert page.count('class="dash-card"') == 50
    assert "60 Nachrichten." in page and "Seite 1 von 2." in page
    # newest (last stored) first
    assert ">Nachricht 59</a>" in page and ">Nachricht 0</a>" not in page
    assert 'rel="next" href="/admin/outbox/?page=2"' in page

    page = logged_in.get("/admin/outbox/?page=2").get_data(as_text=True)
    assert page.count('class="dash-card"') == 10
    assert ">Nachricht 0</a>" in page and ">Nachricht 59</a>" not in page
    assert 'rel="prev" href="/admin/outbox/?page=1"' in page


def test_a_message_shows_its_headers_as_a_definition_list(logged_in):
    stored = _store("Willkommen", "neu@kkp.test", kind="subscription_confirmation")
    db.session.commit()
    page = logged_in.get(f"/admin/outbox/{stored.id}").get_data(as_text=True)
    assert "<table" not in page
    assert "<dt>Subject:</dt><dd>Willkommen</dd>" in page
    assert "<dt>To:</dt><dd>neu@kkp.test</dd>" in page
    assert "Hallo und willkommen." in page
    assert "Art: Bestätigung einer Newsletter-Anmeldung" in page
    assert f'href="/admin/outbox/{stored.id}/raw"' in page
