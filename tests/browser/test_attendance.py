"""At the door, on a 375 px phone: the editor types part of a name into the attendance
page's search, the other rows go away as she types, she taps "anwesend" and the count
changes without a reload; after a reload the mark is still there. The page passes
axe-core and is never wider than the screen."""

from __future__ import annotations

import sqlalchemy as sa
from playwright.sync_api import expect

from events.models import Registration
from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.browser.test_event_admin import kinds, log_in  # noqa: F401  (a fixture)
from tests.events.conftest import make_event  # noqa: F401  (a fixture)
from tests.events.test_attendance import people, started


def _fits(page) -> None:
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, page.url


def test_search_and_tap_present_on_a_phone(page, editor, make_event):  # noqa: F811
    event = make_event("Kurs Prävention: Termin 1", days=1)
    ids = people(event.id, "Anna Berger", "Ben Krüger", "Cem Yilmaz-Oberhausen-Langname")
    started(event)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, editor)
    page.goto(f"/admin/events/{event.id}/attendance")
    assert_accessible(page)
    _fits(page)

    page.get_by_role("searchbox", name="Suche").fill("krü")
    rows = page.locator(".attendance-row:visible")
    expect(rows).to_have_count(1)
    row = page.locator(f"#r-{ids['Ben Krüger']}")
    button = row.get_by_role("button", name="anwesend")
    page.evaluate("window.sameDocument = true")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-count='present']")).to_have_text("1")
    assert page.evaluate("window.sameDocument === true"), "the page was loaded again"
    expect(rows).to_have_count(1)
    _fits(page)

    page.reload()
    row = page.locator(f"#r-{ids['Ben Krüger']}")
    expect(row.get_by_role("button", name="anwesend")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-count='present']")).to_have_text("1")
    assert_accessible(page)
    _fits(page)
    db.session.rollback()
    marked = db.session.scalar(
        sa.select(Registration.attendance).where(Registration.id == ids["Ben Krüger"])
    )
    assert marked == "present"
