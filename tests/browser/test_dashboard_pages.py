"""The start page, the audit log and the outbox in Chromium: at 375 and 1280 px the
page never scrolls sideways (long addresses wrap), and every page passes axe-core."""

from __future__ import annotations

import pytest

from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.browser.test_admin_pages import log_in
from tests.kkp.test_dashboard import make_busy_office

LONG = (
    "eine.sehr.lange.adresse.der.koordinierungsstelle.kriminalpraevention"
    "@kreisverwaltung-beispielstadt.example.org"
)


def _outbox_message() -> int:
    from kkp.mail.models import OutboxMessage

    raw = (
        f"Subject: Ihre Anmeldung zum Netzwerktreffen Nord mit einem recht langen Betreff\r\n"
        f"From: KKP <newsletter@kkp.test>\r\nTo: {LONG}\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Hallo, hier ist ein Link: https://kkp.example/{'x' * 120}\r\n"
    ).encode()
    stored = OutboxMessage(
        envelope_from="newsletter@kkp.test",
        recipients=f"{LONG}, zweite@kkp.test",
        subject="Ihre Anmeldung zum Netzwerktreffen Nord mit einem recht langen Betreff",
        raw=raw,
    )
    db.session.add(stored)
    db.session.flush()
    return stored.id


@pytest.mark.parametrize("width", [375, 1280])
def test_dashboard_audit_and_outbox_fit_and_pass_axe(page, editor, lists, width):
    from kkp.auth.operations import audit

    ids = make_busy_office()
    message_id = _outbox_message()
    audit("settings.change", None, keys=["impressum_text", "privacy_text", "sender_name"])
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, editor)
    for url in (
        "/admin/",
        "/admin/audit",
        "/admin/audit?type=Issue&from=2026-13-01",  # a refused filter, with its errors
        "/admin/outbox/",
        f"/admin/outbox/{message_id}",
    ):
        page.goto(url)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width, url
        assert_accessible(page)
    page.goto("/admin/")
    assert page.locator(f"#dash-progress-{ids['running']}").get_attribute("value") == "1234"
    assert "1.234 von 5.000" in page.locator(f"#dash-progress-{ids['running']}-text").inner_text()
