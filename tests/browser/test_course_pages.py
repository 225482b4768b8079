"""A whole course on a phone: the series' page with its booking form, the booking's
own page and the editors' participants of the course at 375 px, without sideways
scrolling and with no axe-core violation."""

from __future__ import annotations

from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.browser.test_admin_pages import log_in
from tests.events.course_helpers import make_course

PHONE = "() => document.documentElement.scrollWidth"


def test_a_course_on_a_phone(page, editor):
    from events import courses
    from events.course_notices import token_for
    from events.operations import ensure_default_kinds, kinds

    ensure_default_kinds()
    series = make_course({k.slug: k.id for k in kinds()}, capacity=1)
    anna, _ = courses.add_booking(
        series.id, name="Anna Berger", email="anna@example.org", organisation="Stadt Weinsheim"
    )
    courses.add_booking(series.id, name="Bernd Kunz", email="bernd@example.org")
    db.session.commit()
    slug, series_id, token = series.slug, series.id, token_for(anna)
    page.set_viewport_size({"width": 375, "height": 740})

    page.goto(f"/events/series/{slug}")
    page.locator("#course-booking button[type=submit]").click()  # empty: every error
    page.wait_for_selector("#course-booking .field-error")
    assert page.locator("#course-booking p.error").count() >= 3
    assert_accessible(page)
    assert page.evaluate(PHONE) <= 375

    page.goto(f"/events/booking/{token}?cancel=ask")
    assert page.locator("ol.course-dates li").count() == 4
    assert_accessible(page)
    assert page.evaluate(PHONE) <= 375

    log_in(page, editor)
    page.goto(f"/admin/events/series/{series_id}/participants")
    assert page.locator("#waiting-table tbody tr").count() == 1
    assert_accessible(page)
    assert page.evaluate(PHONE) <= 375
