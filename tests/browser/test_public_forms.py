"""The public pages' forms in Chromium, without JavaScript doing anything: the event
filter and the archive search keep their values in the address, and the barrier report
shows its errors next to the fields; each passes axe-core and fits a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_layout import overflow


@pytest.fixture
def demo(ctx):
    from service.demo import seed

    seed()


@pytest.mark.parametrize("width", [375, 1280], ids=["phone", "desktop"])
def test_the_event_filter_and_the_archive_search(page, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/events/")
    page.get_by_label("Format").select_option("hybrid")
    page.get_by_role("button", name="Veranstaltungen zeigen").click()
    assert "format=hybrid" in page.url
    expect(page.get_by_label("Format")).to_have_value("hybrid")
    cards = page.locator(".event-list .kern-card")
    empty = page.locator(".event-empty")
    expect(cards.first.or_(empty)).to_be_visible()
    assert not overflow(page)
    assert_accessible(page)

    page.goto("/newsletter/")
    page.get_by_label("Archiv durchsuchen").fill("Prävention")
    page.get_by_role("button", name="Suche", exact=True).click()
    assert "q=Pr%C3%A4vention" in page.url
    expect(page.get_by_label("Archiv durchsuchen")).to_have_value("Prävention")
    expect(page.get_by_role("status")).to_contain_text("„Prävention“")
    assert not overflow(page)
    assert_accessible(page)


@pytest.mark.parametrize("width", [375, 1280], ids=["phone", "desktop"])
def test_the_barrier_report_with_errors_then_sent(page, lists, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/barrierefreiheit")
    page.get_by_label("E-Mail-Adresse (freiwillig)").fill("kaputt@")
    page.get_by_role("button", name="Meldung senden").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Bitte korrigieren Sie die markierten Felder."
    )
    expect(page.locator("#message-error")).to_be_visible()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.get_by_label("E-Mail-Adresse (freiwillig)")).to_have_value("kaputt@")
    assert not overflow(page)
    assert_accessible(page)

    page.get_by_label("E-Mail-Adresse (freiwillig)").fill("")
    page.get_by_label("Ihre Nachricht").fill("Der Kontrast der Knöpfe ist zu schwach.")
    page.get_by_role("button", name="Meldung senden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihre Meldung")
    assert_accessible(page)
