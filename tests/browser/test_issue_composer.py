"""An editor composes an issue in Chromium, previews and tests it, sends it to the
subscribers and watches the progress page reach "sent" by itself; then the issue is in
the public archive. Every page passes axe-core."""

from __future__ import annotations

import io
import re
import time

import sqlalchemy as sa
from PIL import Image as PILImage
from playwright.sync_api import expect

from kkp.extensions import db
from newsletter.models import Issue
from tests.browser.conftest import assert_accessible
from tests.newsletter.conftest import add_confirmed


def log_in(page, editor) -> None:
    page.goto("/admin/login")
    page.get_by_label("E-Mail-Adresse").fill(editor["email"])
    page.get_by_label("Passwort").fill(editor["password"])
    page.get_by_role("button", name="Anmelden").click()


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (120, 80), (30, 107, 53)).save(out, "PNG")
    return out.getvalue()


def test_compose_preview_test_send_and_watch(page, editor, lists, mail, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 4)
    log_in(page, editor)

    page.goto("/admin/issues")
    assert_accessible(page)
    page.locator('main a[href="/admin/issues/new"]').click()
    assert page.url.endswith("/admin/issues/new")
    assert_accessible(page)

    # The issue and its first article, then "Add article" for the second.
    page.locator("#number").fill("7/2026")
    page.locator("#title").fill("Sicher unterwegs")
    page.locator("#intro").fill("Liebe Netzwerkpartner,\n\nheute zwei **Themen**.")
    page.get_by_label("KKP Kompakt", exact=True).check()
    page.locator("#articles-0-title").fill("Schulwegsicherheit")
    page.locator("#articles-0-body").fill("Eltern und Schulen *gemeinsam*.")
    page.locator("#articles-0-links").fill("Leitfaden | https://example.org/leitfaden")
    page.locator('button[value="add"]').click()
    page.wait_for_url(re.compile(r"/admin/issues/\d+\?add=1"))
    assert page.locator("#articles-0-title").input_value() == "Schulwegsicherheit"
    page.locator("#articles-1-title").fill("Fahrradcodierung")
    page.locator("#articles-1-body").fill("Am Samstag auf dem Marktplatz.")
    page.locator("#articles-1-image").set_input_files(
        files=[{"name": "fahrrad.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.locator("#articles-1-image_alt").fill("Ein codiertes Fahrrad")
    page.locator('button[value="save"]').first.click()
    page.wait_for_url(re.compile(r"/admin/issues/\d+$"))
    db.session.rollback()
    issue = db.session.scalar(sa.select(Issue).where(Issue.number == "7/2026"))
    assert page.url.endswith(f"/admin/issues/{issue.id}")
    assert [a.title for a in issue.articles] == ["Schulwegsicherheit", "Fahrradcodierung"]
    thumb = page.locator('img[alt="Ein codiertes Fahrrad"]')
    expect(thumb).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", thumb.element_handle()) == 120
    assert_accessible(page)

    # Preview: both widths, side by side on a wide screen; the test mail.
    page.locator(f'a[href="/admin/issues/{issue.id}/preview"]').first.click()
    desktop, phone = page.locator("#preview-desktop"), page.locator("#preview-phone")
    expect(desktop).to_be_visible()
    expect(phone).to_be_visible()
    big, small = desktop.bounding_box(), phone.bounding_box()
    assert round(big["width"]) in range(700, 704) and round(small["width"]) in range(375, 379)
    assert abs(big["y"] - small["y"]) < 5 and small["x"] > big["x"] + 690
    for frame in ("#preview-desktop", "#preview-phone"):
        content = page.frame_locator(frame)
        expect(content.get_by_text("Fahrradcodierung")).to_be_visible()
        # the intro greets the readers itself, so the mail greets once, in its words
        expect(content.get_by_text("Liebe Netzwerkpartner,")).to_be_visible()
        expect(content.get_by_text("Guten Tag Max Mustermann,")).to_have_count(0)
    # the mail fits a phone: nothing wider than the screen, the picture scaled down
    mail_on_phone = phone.element_handle().content_frame()
    assert mail_on_phone.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    ), "the mail scrolls sideways on a phone"
    assert mail_on_phone.evaluate(
        "[...document.images].every(i => i.getBoundingClientRect().right <= window.innerWidth)"
    )
    assert_accessible(page)
    page.locator("#addresses").fill("test-a@example.org, test-b@example.org")
    page.locator('form[action$="/test#test"] button[type=submit]').click()
    expect(page.locator(".flash-success")).to_be_visible()
    received = mail.wait_for(2)
    assert sorted(m["to"][0] for m in received) == ["test-a@example.org", "test-b@example.org"]
    drain()
    mail.clear()

    # Send: the page names the recipients; each mail takes a while, so that the
    # progress page is seen moving by itself.
    page.goto(f"/admin/issues/{issue.id}/send")
    assert page.locator("#recipient-count").text_content() == "4"
    assert_accessible(page)
    mail.answer = lambda envelope: time.sleep(0.8)
    # the page asks first in a dialog, naming the issue and how many get it
    page.locator("#send-now").click()
    dialog = page.get_by_role("dialog", name="Jetzt versenden")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(
        "7/2026 jetzt an 4 Empfängerinnen und Empfänger senden? "
        "Das lässt sich nicht rückgängig machen."
    )
    assert_accessible(page)
    dialog.get_by_role("button", name="Ja, jetzt an 4 Empfänger/innen senden").click()
    page.wait_for_url(f"**/admin/issues/{issue.id}/progress")
    assert page.locator("#status-text").get_attribute("data-status") == "sending"
    badge = page.locator(".issue-meta .badge")  # the status beside the title
    expect(badge).to_have_text("Wird versandt")
    assert_accessible(page)
    page.evaluate("window.kkpNoReload = true")
    expect(page.locator("#status-text")).to_have_attribute("data-status", "sent", timeout=30_000)
    assert page.evaluate("window.kkpNoReload") is True  # updated in place
    # every status on the page says so, in German, without a reload
    expect(badge).to_have_text("Versandt")
    expect(badge).to_have_class(re.compile(r"\bbadge-issue-sent\b"))
    expect(page.locator("#status-text")).to_have_text("Versandt")
    expect(page.get_by_text("Wird versandt")).to_have_count(0)
    progress = page.request.get(f"/admin/issues/{issue.id}/progress.json").json()
    assert (progress["status"], progress["status_text"], progress["running"]) == (
        "sent",
        "Versandt",
        False,
    )
    assert page.locator("#n-sent").text_content() == "4"
    assert page.locator("#progress-bar").evaluate("bar => [bar.value, bar.max]") == [4, 4]
    assert page.locator("#pause").is_hidden() and page.locator("#cancel").is_hidden()
    assert len(mail.messages) == 4
    assert_accessible(page)
    drain()

    # The archive has it.
    db.session.rollback()
    slug = db.session.scalar(sa.select(Issue.slug).where(Issue.id == issue.id))
    page.goto(f"/newsletter/{slug}")
    expect(page.get_by_role("heading", name="Sicher unterwegs")).to_be_visible()
    expect(page.get_by_role("heading", name="Fahrradcodierung")).to_be_visible()


def test_errors_and_the_other_pages_are_accessible(page, editor, lists):
    log_in(page, editor)
    page.goto("/admin/issues/new")
    # the next number is suggested; without one, the issue is refused
    expect(page.locator("#number")).to_have_value(re.compile(r"^1/\d{4}$"))
    page.locator("#number").fill("")
    page.locator("#articles-0-title").fill("Ohne Ausgabe")
    page.locator("#articles-0-links").fill("kaputt")
    page.locator('button[value="save"]').first.click()
    expect(page.locator("#problems")).to_be_visible()
    expect(page.locator("#number-error")).to_be_visible()
    expect(page.locator("#articles-0-links-error")).to_be_visible()
    assert page.locator("#articles-0-title").input_value() == "Ohne Ausgabe"
    assert_accessible(page)
    page.goto("/admin/settings")
    assert_accessible(page)
    page.locator("#impressum_url").fill("javascript:alert(1)")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#impressum_url-error")).to_be_visible()
    assert_accessible(page)
