"""The editor's questions in the public registration form on a phone: a question that
waits for another's answer is hidden until that answer is chosen (questions.js, no
inline script), and the form passes axe-core either way."""

from __future__ import annotations

import os
from datetime import time

from playwright.sync_api import expect

from events import questions as ops
from events.operations import EventInput, create_event, ensure_default_kinds, kinds, publish_event
from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.events.conftest import day_in


def test_conditional_question_shows_with_its_answer(page, lists):
    from newsletter.operations import publish_consent_text

    publish_consent_text("Datenschutzhinweis für Veranstaltungen.", "event_registration")
    ensure_default_kinds()
    event = create_event(
        EventInput(
            kind_id=kinds()[0].id,
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
    how = ops.save_question(
        event,
        None,
        ops.QuestionInput(
            kind="one_choice", label="Wie nehmen Sie teil?", choices=("vor Ort", "online")
        ),
    )
    ops.save_question(
        event,
        None,
        ops.QuestionInput(
            kind="choices",
            label="Essenswünsche",
            choices=("vegetarisch", "vegan"),
            shown_if_question_id=how.id,
            shown_if_value="vor Ort",
        ),
    )
    ops.save_consent(event, None, "Fotos von mir dürfen veröffentlicht werden.")
    db.session.commit()

    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/events/{event.slug}")
    food = page.get_by_role("group", name="Essenswünsche (freiwillig)")
    expect(food).to_be_hidden()
    page.get_by_label("vor Ort").check()
    expect(food).to_be_visible()
    expect(page.get_by_text("Nur wenn Ihre Antwort")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    expect(
        page.get_by_label("Auch den Newsletter „KKP Kompakt“ abonnieren", exact=False)
    ).not_to_be_checked()
    assert_accessible(page)
    if os.environ.get("KKP_SCREENSHOTS"):
        page.screenshot(path=os.environ["KKP_SCREENSHOTS"] + "/questions-375.png", full_page=True)
    page.get_by_label("online").check()
    expect(food).to_be_hidden()
