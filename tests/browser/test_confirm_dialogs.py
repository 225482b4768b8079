"""The questions before a mass action, on the pages besides "send now" (see
test_keyboard_path.py): cancelling a sending names the figures as the page shows them,
scheduling names the recipients, moving an event names the participants told; each
passes axe-core while it asks."""

from __future__ import annotations

from datetime import time, timedelta

from playwright.sync_api import expect

from events.models import Event
from events.operations import EventInput, create_event, ensure_default_kinds, kinds, publish_event
from events.registrations import add_participant
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from newsletter import issues, sending
from newsletter.models import Issue
from tests.browser.conftest import assert_accessible
from tests.browser.test_issue_composer import log_in
from tests.events.conftest import day_in
from tests.newsletter.conftest import add_confirmed


def _issue(lists) -> int:
    issue = issues.create_issue(
        number="5/2026", title="Abbrechen", intro="Hallo.", list_ids=[lists["kkp-kompakt"]]
    )
    issues.add_article(issue, title="Ein Artikel", body="Text.", links="")
    db.session.commit()
    return issue.id


def _status(issue_id: int) -> str:
    db.session.rollback()
    return db.session.get(Issue, issue_id).status


def test_cancelling_a_sending_asks_in_a_dialog(page, editor, lists):
    add_confirmed([lists["kkp-kompakt"]], 3)
    issue_id = _issue(lists)
    sending.start_sending(db.session.get(Issue, issue_id))  # no worker: it stays at 0 of 3
    db.session.commit()
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}/progress")
    cancel = page.locator("#cancel")
    dialog = page.get_by_role("dialog", name="Versand abbrechen")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(
        "Versand von 5/2026 abbrechen? Niemand sonst erhält die Ausgabe: 3 noch wartende "
        "Empfänger/innen gehen leer aus; die 0, die sie schon haben, behalten sie."
    )
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(cancel).to_be_focused()
    assert _status(issue_id) == "sending"

    page.keyboard.press("Enter")
    dialog.get_by_role("button", name="Ja, Versand abbrechen").click()
    expect(page.get_by_text("Der Versand wurde abgebrochen")).to_be_visible()
    assert _status(issue_id) == "cancelled"


def test_scheduling_asks_in_a_dialog(page, editor, lists):
    add_confirmed([lists["kkp-kompakt"]], 2)
    issue_id = _issue(lists)
    log_in(page, editor)
    page.goto(f"/admin/issues/{issue_id}/send")
    tomorrow = (utcnow().astimezone(BERLIN) + timedelta(days=1)).date()
    page.locator("#day").fill(tomorrow.isoformat())
    page.locator("#time").fill("09:30")
    page.locator("#schedule-button").click()
    dialog = page.get_by_role("dialog", name="Später versenden")
    expect(dialog).to_contain_text("Heute ginge sie an 2 Empfänger/innen")
    assert_accessible(page)
    dialog.get_by_role("button", name="Abbrechen").click()
    expect(page.locator("#schedule-button")).to_be_focused()
    assert _status(issue_id) == "draft"
    page.locator("#schedule-button").click()
    dialog.get_by_role("button", name="Ja, planen").click()
    expect(page.locator("#scheduled")).to_be_visible()
    assert _status(issue_id) == "scheduled"


def test_a_new_time_asks_first_on_an_accessible_page(page, editor):
    """The event editor's question (server-side, no JavaScript needed) at both widths."""
    ensure_default_kinds()
    kind = next(k.id for k in kinds() if k.slug == "fortbildung")
    event = create_event(
        EventInput(
            kind_id=kind,
            title="Fortbildung Prävention",
            format="in_person",
            venue="Rathaus",
            start_day=day_in(14),
            start_time=time(10, 0),
            end_time=time(12, 0),
            organizer_name="Koordinierungsstelle",
            organizer_email="kkp@example.org",
        )
    )
    publish_event(event)
    db.session.commit()
    for n in range(2):
        add_participant(event.id, name=f"Person {n}", email=f"p{n}@example.org")
    db.session.commit()
    log_in(page, editor)
    page.goto(f"/admin/events/{event.id}/edit")
    page.locator("#start_time").fill("11:00")
    page.locator("#save").click()
    box = page.locator("#confirm-change")
    expect(box).to_contain_text("2 Teilnehmende erhalten eine Mail")
    for width in (375, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    db.session.rollback()
    assert db.session.get(Event, event.id).sequence == 0
    page.locator("#confirm-save").focus()
    page.keyboard.press("Enter")
    expect(
        page.get_by_text("Eine Aktualisierung wurde an 2 Teilnehmende verschickt.")
    ).to_be_visible()
    db.session.rollback()
    assert db.session.get(Event, event.id).sequence == 1
