"""An editor moves people up from the waiting list in Chromium with the keyboard alone:
ticks rows (a section's "select all", then one box less) with Tab and Space, sees the
count, chooses the action, reads on the confirm page how many get a seat and how many
cannot, confirms, and sees the result. Every page passes axe-core at 375 and 1280 px
without sideways scrolling."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from playwright.sync_api import expect

from events.models import Event
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.browser.conftest import assert_accessible
from tests.browser.test_event_admin import kinds, log_in  # noqa: F401  (a fixture)
from tests.events.conftest import day_in


def _event_with_a_waiting_list(kinds) -> int:  # noqa: F811
    from events.operations import EventInput, create_event, publish_event
    from events.registrations import add_participant

    event = create_event(
        EventInput(
            kind_id=kinds["netzwerktreffen"],
            title="Netzwerktreffen Nord",
            summary="Austausch",
            format="in_person",
            venue="Rathaus",
            address="Markt 1, 01067 Dresden",
            start_day=day_in(14),
            start_time=time(10, 0),
            end_day=None,
            end_time=time(12, 0),
            capacity=2,
        )
    )
    publish_event(event)
    db.session.commit()
    for name in ("Anna Berger", "Ben Krüger", "Cem Yilmaz", "Dora Lange", "Emil Roth"):
        add_participant(event.id, name=name, email=name.split()[0].lower() + "@example.org")
    # one seat more: one of the three waiting can move up
    db.session.execute(sa.update(Event).where(Event.id == event.id).values(capacity=3))
    db.session.commit()
    return event.id


def _fits(page, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    assert_accessible(page)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, page.url


def _tab_to(page, selector: str, most: int = 150) -> None:
    """Press Tab until the element has the focus."""
    target = page.locator(selector)
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{selector} cannot be reached with Tab")


def test_move_up_a_selection_with_the_keyboard(page, editor, kinds, worker):  # noqa: F811
    event_id = _event_with_a_waiting_list(kinds)
    log_in(page, editor)
    url = f"/admin/events/{event_id}/participants"
    page.goto(url)
    for width in (375, 1280):
        _fits(page, width)
    waiting = page.locator("#waiting-table tbody tr")
    expect(waiting).to_have_count(3)

    # every waiting person, then one less: Tab and Space only
    _tab_to(page, "#select-all-waiting")
    page.keyboard.press("Space")
    count = page.locator("#selected-count output")
    expect(page.locator("#selected-count")).to_be_visible()
    expect(count).to_have_text("3")
    page.keyboard.press("Tab")  # the place column's sort link
    _tab_to(page, "#waiting-table tbody tr:last-child input[type=checkbox]")
    page.keyboard.press("Space")
    expect(count).to_have_text("2")
    expect(page.locator("#select-all-waiting")).not_to_be_checked()

    # the action, chosen by typing its first letter, and on
    _tab_to(page, "#bulk-action")
    page.keyboard.press("V")  # "Von der Warteliste nachrücken lassen"
    expect(page.locator("#bulk-action")).to_have_value("move_up")
    page.keyboard.press("Tab")
    expect(page.locator("#bulk-continue")).to_be_focused()
    page.keyboard.press("Enter")

    touches = page.locator("#confirm-touches")
    expect(touches).to_have_text("1 Person bekommt einen Platz und wird per E-Mail benachrichtigt.")
    expect(page.get_by_text("1 Person kann nicht nachrücken", exact=False)).to_be_visible()
    for width in (375, 1280):
        _fits(page, width)
    _tab_to(page, "main form button[type=submit]")
    page.keyboard.press("Enter")

    page.wait_for_url(f"**{url}")
    expect(
        page.get_by_text(
            "1 Person ist von der Warteliste nachgerückt und wird per E-Mail benachrichtigt."
        )
    ).to_be_visible()
    expect(
        page.get_by_text("1 Person konnte nicht nachrücken, weil die Veranstaltung ausgebucht ist.")
    ).to_be_visible()
    expect(
        page.locator("#confirmed-table").get_by_role("cell", name="Cem Yilmaz", exact=True)
    ).to_be_visible()
    expect(waiting).to_have_count(2)
    for width in (375, 1280):
        _fits(page, width)


def test_a_message_to_the_confirmed(page, editor, kinds):  # noqa: F811
    event_id = _event_with_a_waiting_list(kinds)
    log_in(page, editor)
    page.goto(f"/admin/events/{event_id}/participants")
    _tab_to(page, "#select-all-confirmed")
    page.keyboard.press("Space")
    expect(page.locator("#selected-count output")).to_have_text("2")
    _tab_to(page, "#bulk-action")
    page.keyboard.press("N")  # "Nachricht schicken"
    expect(page.locator("#bulk-action")).to_have_value("message")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.locator("#message-touches")).to_have_text(
        "2 Personen bekommen diese Nachricht per E-Mail."
    )
    for width in (375, 1280):
        _fits(page, width)
    page.locator("#message-continue").click()  # nothing written: every mistake shown
    expect(page.locator("#subject-error")).to_be_visible()
    expect(page.locator("#text-error")).to_be_visible()
    for width in (375, 1280):
        _fits(page, width)
    page.locator("#subject").fill("Neuer Raum")
    page.locator("#text").fill("Wir treffen uns in **Raum 2**.\n\nBitte pünktlich.")
    page.locator("#message-continue").click()
    expect(page.locator("#confirm-touches")).to_have_text(
        "2 Personen bekommen diese Nachricht per E-Mail."
    )
    for width in (375, 1280):
        _fits(page, width)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_text("Die Nachricht geht an 2 Personen.")).to_be_visible()
    # the text went through the confirm page's hidden field with its paragraphs
    db.session.remove()
    texts = db.session.scalars(
        sa.select(Delivery.params).where(Delivery.kind == "event_message")
    ).all()
    assert [p["text"] for p in texts] == ["Wir treffen uns in **Raum 2**.\n\nBitte pünktlich."] * 2
