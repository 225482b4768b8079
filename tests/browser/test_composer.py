"""The composer's script in Chromium (kkp/static/composer.js): the live preview beside
the Markdown text, the toolbar, autosave of a draft, moving articles by keyboard and by
dragging without a reload; the page passes axe and fits a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kkp.extensions import db
from newsletter import issues
from newsletter.models import Issue
from tests.browser.conftest import assert_accessible
from tests.browser.test_issue_composer import log_in


@pytest.fixture
def issue_id(ctx, lists) -> int:
    issue = issues.create_issue(number="3/2026", title="Sicher im Quartier", intro="Hallo")
    for n in (1, 2, 3):
        issues.add_article(issue, title=f"Thema {n}", body=f"Text {n}")
    db.session.commit()
    return issue.id


def titles(issue_id: int) -> list[str]:
    db.session.rollback()
    db.session.expire_all()
    return [a.title for a in db.session.get(Issue, issue_id).articles]


def legends(page) -> list[str]:
    return page.locator(".article-form legend .article-name").all_text_contents()


def test_preview_and_toolbar(page, editor, issue_id):
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    intro, preview = page.locator("#intro"), page.locator("#intro-preview")
    expect(preview).to_have_text("Hallo")  # shown at once
    intro.fill("Liebe Kolleginnen,\n\nheute **drei** Themen:\n\n- eins\n- zwei")
    expect(preview.locator("strong")).to_have_text("drei")
    expect(preview.locator("li")).to_have_count(2)

    # the toolbar wraps the selection; Ctrl+I too
    intro.fill("wichtig")
    intro.select_text()
    page.get_by_role("group", name="Formatierung für „Einleitung“").get_by_role(
        "button", name="Fett (Strg+B)"
    ).click()
    expect(intro).to_have_value("**wichtig**")
    expect(preview.locator("strong")).to_have_text("wichtig")
    intro.fill("leise")
    intro.select_text()
    intro.press("Control+i")
    expect(intro).to_have_value("*leise*")
    expect(preview.locator("em")).to_have_text("leise")
    body = page.locator("#articles-1-body")
    body.fill("eins\nzwei")
    body.select_text()
    page.locator('.md-toolbar[data-for="articles-1-body"] button[data-md="numbers"]').click()
    expect(body).to_have_value("1. eins\n2. zwei")
    expect(page.locator("#articles-1-body-preview ol li")).to_have_count(2)


def test_autosave_keeps_the_text(page, editor, issue_id):
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    status = page.locator("#composer-status")
    page.locator("#intro").fill("Automatisch gespeichert")
    page.locator("#articles-2-title").fill("Thema drei, geändert")
    page.keyboard.press("Tab")  # leaving a field saves at once
    expect(status).to_have_text(re.compile(r"^Gespeichert \d\d:\d\d$"), timeout=15_000)
    page.reload()
    expect(page.locator("#intro")).to_have_value("Automatisch gespeichert")
    expect(page.locator("#articles-2-title")).to_have_value("Thema drei, geändert")

    # a refusal says why, and nothing is stored
    page.locator("#title").fill("")
    page.locator("#intro").focus()  # leaving the field saves at once
    expect(status).to_have_text("Nicht gespeichert: Bitte füllen Sie dieses Feld aus.")
    assert db.session.get(Issue, issue_id).title == "Sicher im Quartier"


def test_move_by_keyboard_without_a_reload(page, editor, issue_id):
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    page.evaluate("window.kkpNoReload = true")
    first = page.locator(".article-form").first
    expect(first.locator(".move-up")).to_be_hidden()
    down = first.locator(".move-down")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-status")).to_have_text(
        "Beitrag an Position 2 verschoben; die Reihenfolge wurde gespeichert."
    )
    assert titles(issue_id) == ["Thema 2", "Thema 1", "Thema 3"]
    assert legends(page) == ["Beitrag 1", "Beitrag 2", "Beitrag 3"]
    moved = page.locator(".article-form").nth(1)
    expect(moved.locator("#articles-0-title")).to_have_value("Thema 1")
    expect(moved.locator(".move-down")).to_be_focused()  # the keyboard stays where it was
    page.keyboard.press("Enter")
    expect(page.locator("#composer-status")).to_have_text(re.compile("^Beitrag an Position 3"))
    assert titles(issue_id) == ["Thema 2", "Thema 3", "Thema 1"]
    last = page.locator(".article-form").nth(2)
    expect(last.locator(".move-down")).to_be_hidden()
    expect(last.locator(".move-up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#composer-status")).to_have_text(re.compile("^Beitrag an Position 2"))
    assert titles(issue_id) == ["Thema 2", "Thema 1", "Thema 3"]
    assert page.evaluate("window.kkpNoReload") is True

    # the form still saves what was typed into the moved articles, in their place
    moved.locator("#articles-0-body").fill("Text eins, neu")
    page.locator('button[value="save"]').first.click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert titles(issue_id) == ["Thema 2", "Thema 1", "Thema 3"]
    expect(page.locator(".article-form").nth(1).locator("textarea").first).to_have_value(
        "Text eins, neu"
    )


def test_drag_to_reorder(page, editor, issue_id):
    page.set_viewport_size({"width": 1280, "height": 4000})  # every article in sight
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    handles = page.locator(".article-form .drag-handle")
    expect(handles.first).to_be_visible()
    start = handles.nth(2).bounding_box()
    target = page.locator(".article-form").first.bounding_box()
    page.mouse.move(start["x"] + 4, start["y"] + 4)
    page.mouse.down()
    page.mouse.move(target["x"] + 20, target["y"] + 5, steps=20)
    page.mouse.up()
    expect(page.locator("#composer-status")).to_have_text(re.compile("^Beitrag an Position 1"))
    assert titles(issue_id) == ["Thema 3", "Thema 1", "Thema 2"]


@pytest.mark.parametrize("width", [1280, 375])
def test_composer_is_accessible_and_fits(page, editor, issue_id, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}")
    expect(page.locator("#intro-preview")).to_have_text("Hallo")
    area = page.locator("#intro").bounding_box()
    pane = page.locator("#intro-preview").bounding_box()
    if width >= 1024:  # side by side
        assert pane["x"] > area["x"] + area["width"] - 1 and abs(pane["y"] - area["y"]) < 80
    else:  # below
        assert pane["y"] > area["y"] + area["height"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    assert_accessible(page)
