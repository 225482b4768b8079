"""The whole path with the keyboard alone (Tab, Shift+Tab, Enter, Space, Escape and
typing; no clicks, no filled-in fields): log in, compose an issue, preview it, send a
test, send it. Whatever has the focus shows it; the dialog before sending holds the
focus while open and gives it back to the send button when closed."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kkp.extensions import db
from newsletter.models import Issue
from tests.browser.conftest import assert_accessible
from tests.newsletter.conftest import add_confirmed

#: true when the focused element shows it: an outline or a shadow drawn around it
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return false;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return outline || (style.boxShadow && style.boxShadow !== "none");
}"""
IN_OPEN_DIALOG = "() => !!document.activeElement?.closest('dialog[open]')"


def focused(page, selector: str) -> bool:
    return page.evaluate(
        "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
    )


def tab_to(page, selector: str, *, limit: int = 150) -> None:
    """Tab forward until the element matching `selector` has the focus; it shows it."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused(page, selector):
            assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {selector}"
            return
    raise AssertionError(f"{selector} not reached with Tab on {page.url}")


def test_log_in_compose_preview_test_and_send_by_keyboard(page, editor, lists, mail, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 3)

    # -- log in ---------------------------------------------------------------------------
    page.goto("/admin/login")
    tab_to(page, "#email")
    page.keyboard.type(editor["email"])
    tab_to(page, "#password")
    page.keyboard.type(editor["password"])
    tab_to(page, "main button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/?$"))

    # -- to the issues, a new one -----------------------------------------------------------
    tab_to(page, '.side-nav-wide a[href="/admin/issues"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/issues")
    tab_to(page, 'main a[href="/admin/issues/new"]')
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/issues/new")

    tab_to(page, "#number")
    page.keyboard.press("Control+A")
    page.keyboard.type("9/2026")
    tab_to(page, "#title")
    page.keyboard.type("Mit der Tastatur")
    tab_to(page, "#intro")
    page.keyboard.type("Liebe Netzwerkpartner,\n\nheute ein Thema.")
    checkbox = 'input[type=checkbox][name="lists"]'
    for _ in range(len(lists)):
        tab_to(page, checkbox)
        if page.evaluate("() => document.activeElement.labels[0].textContent.trim()") == (
            "KKP Kompakt"
        ):
            break
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")
    tab_to(page, "#articles-0-title")
    page.keyboard.type("Schulwegsicherheit")
    tab_to(page, "#articles-0-body")
    page.keyboard.type("Eltern und Schulen gemeinsam.")
    # Shift+Tab goes back: to the title just typed
    for _ in range(10):
        page.keyboard.press("Shift+Tab")
        if focused(page, "#articles-0-title"):
            break
    assert focused(page, "#articles-0-title") and page.evaluate(FOCUS_SHOWN)
    tab_to(page, 'button[name=action][value="save"]')
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/issues/\d+$"))
    db.session.rollback()
    issue = db.session.scalar(sa.select(Issue).where(Issue.number == "9/2026"))
    assert issue.title == "Mit der Tastatur" and [m.slug for m in issue.lists] == ["kkp-kompakt"]
    assert [a.title for a in issue.articles] == ["Schulwegsicherheit"]

    # -- preview and a test to oneself ---------------------------------------------------
    tab_to(page, f'a[href="/admin/issues/{issue.id}/preview"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/issues/{issue.id}/preview")
    tab_to(page, "#addresses")  # the editor's own address is there already
    assert page.evaluate("() => document.activeElement.value") == editor["email"]
    # (which ends in .test, a domain no mail reaches: one that does, typed over it)
    page.keyboard.press("Control+A")
    page.keyboard.type("redaktion@example.org")
    tab_to(page, 'form[action$="/test#test"] button[type=submit]')
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash-success")
    assert [m["to"][0] for m in mail.wait_for(1)] == ["redaktion@example.org"]
    drain()
    mail.clear()

    # -- the send page: the dialog asks, holds the focus, gives it back -----------------
    tab_to(page, f'a[href="/admin/issues/{issue.id}/send"]')
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/issues/{issue.id}/send")
    tab_to(page, "#send-now")
    page.keyboard.press("Enter")
    dialog = page.locator("#send-dialog")
    assert dialog.evaluate("d => d.open")
    assert "an 3 Empfängerinnen und Empfänger senden?" in dialog.inner_text()
    assert page.evaluate(IN_OPEN_DIALOG) and page.evaluate(FOCUS_SHOWN)
    assert_accessible(page)
    seen = set()
    for key in ["Tab"] * 5 + ["Shift+Tab"] * 5:
        page.keyboard.press(key)
        assert page.evaluate(IN_OPEN_DIALOG), f"the focus left the dialog after {key}"
        assert page.evaluate(FOCUS_SHOWN)
        seen.add(page.evaluate("() => document.activeElement.textContent.trim()"))
    assert seen == {"Abbrechen", "Ja, jetzt an 3 Empfänger/innen senden"}
    page.keyboard.press("Escape")
    assert not dialog.evaluate("d => d.open")
    assert focused(page, "#send-now") and page.evaluate(FOCUS_SHOWN)
    assert page.url.endswith(f"/admin/issues/{issue.id}/send")  # nothing was sent
    db.session.rollback()
    assert db.session.get(Issue, issue.id).status == "draft"

    # asked again before the closing's "close" event came: the new question stays open
    still_open = page.evaluate(
        """async () => {
            const dialog = document.getElementById("send-dialog");
            document.getElementById("send-now").click();
            dialog.close();
            document.getElementById("send-now").click();
            await new Promise((done) => setTimeout(done, 100));
            const open = dialog.open;
            dialog.querySelector("[data-dialog-cancel]").click();
            return open;
        }"""
    )
    assert still_open, "a late close event shut the dialog asked again"
    page.locator("#send-now").focus()

    page.keyboard.press("Enter")
    assert dialog.evaluate("d => d.open")
    page.wait_for_function(IN_OPEN_DIALOG)
    tab_to(page, "#send-dialog [data-dialog-confirm]", limit=3)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/admin/issues/{issue.id}/progress")
    assert page.locator("#status-text").get_attribute("data-status") in ("sending", "sent")
    drain()
    assert len(mail.wait_for(3)) == 3
