"""A sent issue's report in Chromium on a phone: the figures and the reasons' table fit
375 px (a long server answer wraps or scrolls inside its box, never the page), and the
page passes axe-core."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_layout import log_in, overflow, widest
from tests.newsletter.reports import LONG_ANSWER, make_sent_issue


def test_the_report_on_a_phone(page, editor, lists):
    issue_id = make_sent_issue(lists, answer=LONG_ANSWER)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    page.get_by_role("link", name="Bericht über den Versand ansehen").click()
    expect(page.get_by_role("heading", name="Bericht über den Versand")).to_be_visible()
    expect(page.locator("#r-delivered")).to_have_text("1.200")
    expect(page.locator("#r-unsubscribed")).to_have_text("2")
    expect(page.locator("#failure-reasons")).to_contain_text("Recipient address rejected")
    expect(page.locator("#no-tracking")).to_contain_text("keine Zählpixel")
    assert overflow(page) == 0, widest(page)
    assert_accessible(page)
