"""The API tokens page under the Content-Security-Policy: revoking asks first (a script
file of ours, not an inline handler the policy would block)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible
from tests.browser.test_issue_composer import log_in


def test_revoking_a_token_asks_first(page, editor):
    log_in(page, editor)
    page.goto("/admin/tokens")
    page.get_by_label("Name des Tokens").fill("Website")
    page.get_by_role("button", name="Token erstellen").click()
    expect(page.locator("#new-token")).to_be_visible()
    questions = []

    def answer(dialog, accept: bool):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Widerrufen").click()
    expect(page.get_by_role("button", name="Widerrufen")).to_be_visible()
    assert len(questions) == 1 and "widerrufen" in questions[0]
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Widerrufen").click()
    expect(page.get_by_text("Das Token wurde widerrufen.")).to_be_visible()
    assert len(questions) == 2
    assert_accessible(page)
