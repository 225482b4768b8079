"""The API tokens page under the Content-Security-Policy: revoking asks first in a
dialog (a script file of ours, not an inline handler the policy would block)."""

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
    revoke = page.get_by_role("button", name="Widerrufen", exact=True)
    dialog = page.get_by_role("dialog", name="Token widerrufen")
    # the page asks in a dialog; "Abbrechen" keeps the token and gives focus back
    revoke.click()
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Dieses Token widerrufen?")
    assert_accessible(page)
    dialog.get_by_role("button", name="Abbrechen").click()
    expect(dialog).to_be_hidden()
    expect(revoke).to_be_focused()
    expect(page.get_by_text("Das Token wurde widerrufen.")).to_have_count(0)
    revoke.click()
    dialog.get_by_role("button", name="Ja, Token widerrufen").click()
    expect(page.get_by_text("Das Token wurde widerrufen.")).to_be_visible()
    assert_accessible(page)


def test_confirming_sends_the_form_once(page, editor):
    log_in(page, editor)
    page.goto("/admin/tokens")
    page.get_by_label("Name des Tokens").fill("Website")
    page.get_by_role("button", name="Token erstellen").click()
    expect(page.locator("#new-token")).to_be_visible()
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    page.get_by_role("button", name="Widerrufen", exact=True).click()
    # confirmed, then sent twice more at once (a double press): one POST goes out, and
    # the dialog does not ask again
    asked_again = page.evaluate(
        """() => {
        const form = document.querySelector("form[data-confirm-dialog]");
        document.querySelector("#revoke-dialog [data-dialog-confirm]").click();
        form.requestSubmit();
        form.requestSubmit();
        return document.querySelector("#revoke-dialog").open;
    }"""
    )
    assert asked_again is False
    expect(page.get_by_text("Das Token wurde widerrufen.")).to_be_visible()
    assert len([u for u in posts if u.endswith("/revoke")]) == 1, posts
