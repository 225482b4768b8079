"""A data subject request on a phone: the editor finds an address across newsletter and
events, the page fits 375 px and passes axe-core, and the erasure asks first."""

from __future__ import annotations

from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.browser.test_admin_pages import log_in
from tests.events.conftest import kinds, make_event, register_confirmed  # noqa: F401

LONG = "teilnehmerin.mit.einem.sehr.langen.namen@kriminalpraevention-beispielkommune.example.org"


def test_a_data_request_on_a_phone(page, editor, lists, make_event):  # noqa: F811
    from newsletter.operations import add_subscriber

    add_subscriber(
        email=LONG, name="Lange Adresse", list_ids=[lists["kkp-kompakt"]], consent_evidence="Bogen"
    )
    event = make_event("Fortbildung: Gesprächsführung in schwierigen Situationen", days=5)
    register_confirmed(event.id, name="Lange Adresse", email=LONG)
    db.session.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, editor)
    search(page)
    assert page.locator("#registrations").get_by_text("Gesprächsführung").count() == 1
    fits(page)
    assert_accessible(page)
    page.get_by_role("button", name="Seite zum Drucken").click()
    assert "Gesprächsführung" in page.locator("main").inner_text()
    fits(page)
    assert_accessible(page)
    search(page)
    page.get_by_role("button", name="Alles löschen …").click()
    assert "Alles über" in page.locator("h1").inner_text()
    fits(page)
    assert_accessible(page)
    page.get_by_role("button", name="Endgültig löschen").click()
    assert "Alles über die Adresse wurde gelöscht" in page.locator("main").inner_text()


def fits(page) -> None:
    """No sideways scrolling at 375 px; else the elements that overflow."""
    page.wait_for_load_state("load")  # the page's style sheets applied (a search reloads it)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375, page.evaluate(
        """() => [...document.querySelectorAll('main *')]
            .filter(e => e.scrollWidth > e.clientWidth + 1 && e.tagName != 'INPUT')
            .map(e => e.tagName + '#' + e.id)"""
    )


def search(page) -> None:
    page.goto("/admin/data-requests")
    page.get_by_label("E-Mail-Adresse").fill(LONG)
    page.get_by_role("button", name="Suche", exact=True).click()
    page.wait_for_load_state("load")
