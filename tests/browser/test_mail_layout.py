"""Mail as a phone shows it: the HTML part of real mail, laid out by Chromium at
375 px (an iPhone's width)."""

from __future__ import annotations

from events.registrations import register
from kkp.extensions import db
from tests.events import conftest as event_fixtures
from tests.helpers import html_of, parse_mail

# the events' factory fixtures, shared with this directory
kinds = event_fixtures.kinds
make_event = event_fixtures.make_event

#: how many lines each element's text takes, from the boxes of its text
LINES = """els => els.map(el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
    return [el.textContent.trim(), tops.size];
})"""


def _phone(chromium, html: str):
    page = chromium.new_page(viewport={"width": 375, "height": 800})
    page.set_content(html)
    return page


def test_event_mail_labels_keep_to_one_line_on_a_phone(chromium, make_event, mail, drain):
    event = make_event(
        "Fortbildung: Gesprächsführung in schwierigen Situationen",
        format="hybrid",
        join_url="https://meet.example.org/r/42-sehr-langer-raumname-ohne-leerzeichen",
        cost_note="kostenfrei; Reisekosten werden nicht erstattet",
    )
    register(
        event.id, name="Anna Berger", email="anna@example.org", consent=True, participation="online"
    )
    db.session.commit()
    drain()
    (sent,) = mail.wait_for(1)
    page = _phone(chromium, html_of(parse_mail(sent["data"])))
    try:
        lines = page.eval_on_selector_all("th", LINES)
    finally:
        page.close()
    # online: the join link, not the address
    assert [label for label, _n in lines] == ["Wann", "Online", "Kosten", "Kontakt"]
    assert all(n == 1 for _label, n in lines), lines
