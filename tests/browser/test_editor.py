"""An editor logs in and out in Chromium."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible


def test_editor_login(page, editor):
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Anmeldung für die Redaktion")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(editor["email"])
    page.get_by_label("Passwort").fill("falsch-falsch")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text("E-Mail-Adresse oder Passwort ist falsch.")).to_be_visible()
    page.get_by_label("Passwort").fill(editor["password"])
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_text(re.compile("Angemeldet als redaktion@kkp.test"))).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Abmelden").click()
    expect(page.get_by_text("Sie sind abgemeldet.")).to_be_visible()
