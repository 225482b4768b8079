"""The composer's "Insert image" and event search in Chromium (kkp/static/composer.js,
kkp/static/event_search.js): a picture uploaded from the toolbar shows in the live
preview; an event is found by part of its title and chosen with the keyboard; both
pass axe."""

from __future__ import annotations

import io
import re
from datetime import time, timedelta

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from newsletter import issues
from newsletter.models import Issue
from tests.browser.conftest import assert_accessible
from tests.browser.test_issue_composer import log_in


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (300, 120), (30, 107, 53)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def issue_id(ctx, lists) -> int:
    issue = issues.create_issue(number="3/2026", title="Sicher im Quartier", intro="Hallo")
    issues.add_article(issue, title="Thema 1", body="Erster Absatz")
    db.session.commit()
    return issue.id


@pytest.fixture
def events(ctx) -> dict[str, int]:
    from events.operations import (
        EventInput,
        create_event,
        ensure_default_kinds,
        kinds,
        publish_event,
    )

    ensure_default_kinds()
    kind_id = {k.slug: k.id for k in kinds()}["netzwerktreffen"]
    made = {}
    for days, title in ((7, "Fachtag Gewaltprävention"), (12, "Netzwerktreffen Nord")):
        day = (utcnow().astimezone(BERLIN) + timedelta(days=days)).date()
        event = create_event(
            EventInput(
                kind_id=kind_id,
                title=title,
                format="in_person",
                venue="Bürgerhaus Lindenau",
                address="Marktstraße 4, 04177 Leipzig",
                start_day=day,
                start_time=time(10, 0),
                end_time=time(12, 0),
            )
        )
        publish_event(event)
        made[title] = event.id
    db.session.commit()
    return made


def stored(issue_id: int) -> Issue:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Issue, issue_id)


def test_insert_an_image_from_the_toolbar(page, editor, issue_id):
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    body = page.locator("#articles-0-body")
    expect(page.locator("#articles-0-body-preview")).to_have_text("Erster Absatz")
    body.focus()
    page.keyboard.press("End")
    page.locator('.md-toolbar[data-for="articles-0-body"]').get_by_role(
        "button", name="Bild einfügen"
    ).click()
    dialog = page.get_by_role("dialog", name="Bild einfügen")
    expect(dialog).to_be_visible()
    assert_accessible(page)

    # words are required, and a file that is no picture is refused in words
    dialog.get_by_label("Bild", exact=True).set_input_files(
        files=[{"name": "brief.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4"}]
    )
    dialog.get_by_role("button", name="Einfügen").click()
    expect(dialog.get_by_role("alert")).to_have_text("Bitte beschreiben Sie, was das Bild zeigt.")
    dialog.get_by_label("Beschreibung des Bildes").fill("Plakat [Aktionswoche]")
    dialog.get_by_role("button", name="Einfügen").click()
    expect(dialog.get_by_role("alert")).to_contain_text("kein verwendbares Bild")

    dialog.get_by_label("Bild", exact=True).set_input_files(
        files=[{"name": "plakat.png", "mimeType": "image/png", "buffer": png()}]
    )
    dialog.get_by_role("button", name="Einfügen").click()
    expect(dialog).to_be_hidden()
    expect(body).to_have_value(
        re.compile(
            r"^Erster Absatz\n\n!\[Plakat \\\[Aktionswoche\\\]\]"
            r"\(/newsletter/image/\d+-[0-9a-f]{16}\.png\)$"
        )
    )
    expect(body).to_be_focused()
    picture = page.locator("#articles-0-body-preview img")
    expect(picture).to_have_attribute("alt", "Plakat [Aktionswoche]")
    expect(picture).to_have_js_property("naturalWidth", 300)  # loaded from our server
    with page.expect_navigation():  # the page after the save, not the one before it
        page.locator('button[value="save"]').first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert "/newsletter/image/" in stored(issue_id).articles[0].body

    # cancelling leaves the text as it was
    page.locator('.md-toolbar[data-for="intro"]').get_by_role(
        "button", name="Bild einfügen"
    ).click()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#intro")).to_have_value("Hallo")
    expect(page.locator("#intro")).to_be_focused()


def test_choose_an_event_by_typing_and_the_keyboard(page, editor, issue_id, events):
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    expect(page.locator("#articles-0-event_id")).to_be_hidden()  # the select stays, unseen
    search = page.get_by_role("combobox", name="Verknüpfte Veranstaltung")
    search.fill("gewalt")
    listbox = page.get_by_role("listbox")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option")).to_contain_text("Fachtag Gewaltprävention")
    assert_accessible(page)
    search.press("ArrowDown")
    expect(listbox.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    search.press("Enter")  # chooses; it does not submit the form
    expect(listbox).to_be_hidden()
    expect(search).to_have_value(re.compile(r"^\d\d\.\d\d\.\d{4} · Fachtag Gewaltprävention$"))
    expect(page.locator("#articles-0-event_id")).to_have_value(
        str(events["Fachtag Gewaltprävention"])
    )
    with page.expect_navigation():  # the page after the save, not the one before it
        page.locator('button[value="save"]').first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert stored(issue_id).articles[0].event_id == events["Fachtag Gewaltprävention"]

    # Escape closes the list; typing without choosing keeps the choice; empty: none
    search = page.get_by_role("combobox", name="Verknüpfte Veranstaltung")
    expect(search).to_have_value(re.compile("Fachtag Gewaltprävention$"))
    search.fill("nord")
    expect(page.get_by_role("option")).to_have_count(1)
    search.press("Escape")
    expect(page.get_by_role("listbox")).to_be_hidden()
    page.locator("#articles-0-title").focus()
    expect(search).to_have_value(re.compile("Fachtag Gewaltprävention$"))
    search.fill("")
    expect(page.locator("#articles-0-event_id")).to_have_value("")
    with page.expect_navigation():  # the page after the save, not the one before it
        page.locator('button[value="save"]').first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert stored(issue_id).articles[0].event_id is None


@pytest.mark.parametrize("width", [1280, 375])
def test_template_buttons_are_accessible(page, editor, issue_id, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    page.get_by_role("button", name="Als Vorlage verwenden").click()
    expect(page.locator(".flash-success")).to_contain_text("jetzt die Vorlage")
    page.goto("/admin/issues")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
    page.get_by_role("button", name="Neue Ausgabe aus Vorlage").click()
    expect(page.locator(".flash-success")).to_contain_text("aus der Vorlage")
    expect(page.locator("#title")).to_have_value("Sicher im Quartier")
    expect(page.locator("#articles-0-title")).to_have_value("Thema 1")
