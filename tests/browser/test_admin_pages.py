"""The editors' pages in Chromium: the import progress bar moves by itself (import.js
against the live server and the real worker), and every page passes axe-core."""

from __future__ import annotations

import re
import threading
import time

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from kkp.extensions import db
from newsletter import import_batch
from newsletter.operations import add_subscriber, suppress
from tests.browser.conftest import assert_accessible


def log_in(page, editor) -> None:
    page.goto("/admin/login")
    page.get_by_label("E-Mail-Adresse").fill(editor["email"])
    page.get_by_label("Passwort").fill(editor["password"])
    page.get_by_role("button", name="Anmelden").click()


def test_import_progress_in_the_browser(page, editor, lists, drain, tmp_path, monkeypatch):
    suppress("weg@example.org", "unsubscribed")
    db.session.commit()
    # A batch takes a fraction of a second now, less than import.js waits between two
    # questions: the worker takes the next batch only once the page showed the last one.
    step = threading.Semaphore(0)
    real_sort = import_batch.sort_batch

    def one_batch_per_step(people):
        step.acquire(timeout=30)
        return real_sort(people)

    monkeypatch.setattr(import_batch, "sort_batch", one_batch_per_step)
    log_in(page, editor)
    page.goto("/admin/import")
    assert_accessible(page)
    rows = "".join(f"person{i}@example.org;Person {i}\r\n" for i in range(1500))
    csv_file = tmp_path / "teilnehmende.csv"
    csv_file.write_text(
        f"E-Mail;Name\r\n{rows}kaputt;X\r\nweg@example.org;Weg\r\n", encoding="utf-8-sig"
    )
    page.locator("#file").set_input_files(str(csv_file))
    page.get_by_role("button", name="Hochladen und erste Zeilen zeigen").click()
    assert page.url.endswith("/setup")
    page.get_by_label("Fortbildungen").check()
    page.locator("#consent_evidence").fill("Teilnehmerliste Fachtag")
    page.locator("main form button[type=submit]").click()
    assert "/admin/import/" in page.url
    assert page.locator("progress#import-bar").get_attribute("max") == "1502"
    assert_accessible(page)

    texts = set()
    deadline = time.monotonic() + 60
    while not page.locator("#import-result").count():
        assert time.monotonic() < deadline, texts
        # one read in the page: the element goes when the finished page replaces it
        try:
            text = page.evaluate("() => document.getElementById('import-text')?.textContent")
        except PlaywrightError:  # the page was being replaced right then
            text = None
        if text is not None and text not in texts:
            texts.add(text)
            step.release()
        time.sleep(0.05)
    assert "0 von 1.502 Zeilen" in texts
    assert texts & {"500 von 1.502 Zeilen", "1.000 von 1.502 Zeilen", "1.500 von 1.502 Zeilen"}
    result = page.locator("#import-result").text_content()
    assert "1.500" in result and "2" in result
    assert page.locator("#rejected tbody tr").count() == 2
    assert page.locator("#rejected tbody tr").first.text_content().strip().startswith("1502")
    assert_accessible(page)
    drain()


def test_subscriber_and_list_pages_are_accessible(page, editor, lists):
    subscriber, _created = add_subscriber(
        email="anna@example.org",
        name="Anna Ärger",
        organisation="Stadt Köln",
        list_ids=[lists["fortbildungen"], lists["intern"]],
    )
    db.session.commit()
    log_in(page, editor)
    for url in (
        "/admin/subscribers",
        "/admin/subscribers?q=anna&status=pending",
        f"/admin/subscribers/{subscriber.id}",
        "/admin/subscribers/new",
        f"/admin/subscribers/{subscriber.id}/delete",
        "/admin/lists",
        f"/admin/lists/{lists['intern']}",
        "/admin/consent",
        "/admin/consent/events",
        "/admin/settings",
        "/admin/",
        "/admin/tokens",
        "/admin/account",
        "/admin/editors",
        "/admin/audit",
        "/admin/outbox/",
    ):
        page.goto(url)
        assert_accessible(page)
    # A refused form, with its errors, too.
    page.goto("/admin/subscribers/new")
    page.locator("#email").fill("kein-at-zeichen")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#email-error")).to_be_visible()
    expect(page.locator("#lists-error")).to_be_visible()
    assert_accessible(page)


def test_a_confirm_page_on_a_phone_and_with_the_keyboard(page, editor, lists):
    """The one confirm page (templates/admin/confirm.html): axe, 375 px without
    sideways scrolling, and confirmed with the keyboard alone."""
    subscriber, _ = add_subscriber(
        email="loeschen@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="Anruf"
    )
    db.session.commit()
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, editor)
    page.goto(f"/admin/subscribers/{subscriber.id}/delete")
    assert_accessible(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    button = page.locator("main form button[type=submit]")
    for _ in range(40):  # Tab through the page until the button has the focus
        page.keyboard.press("Tab")
        if button.evaluate("b => b === document.activeElement"):
            break
    else:
        raise AssertionError("the confirm button cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/admin/subscribers(\?.*)?$"))
    db.session.remove()
    assert db.session.get(type(subscriber), subscriber.id) is None
