"""The public event list as cards, and its filter by kind, format and month."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from kkp.db import utcnow
from kkp.i18n import BERLIN
from tests.events.conftest import day_in
from tests.events.test_public_pages import fill, page


@pytest.fixture
def german(client):
    return client


def titles(html: str) -> list[str]:
    return re.findall(r'class="event-item-title"><a href="/events/[^"]+">([^<]+)</a>', html)


def card(html: str, title: str) -> str:
    return html.split(f">{title}</a>", 1)[1].split('class="event-item', 1)[0]


def test_each_event_is_a_card_with_date_place_seats_and_kind(german, make_event):
    full = make_event("Fortbildung voll", kind="fortbildung", days=5, capacity=1)
    fill(full, 1)
    seats = make_event("Netzwerktreffen Süd", days=6, capacity=7)
    fill(seats, 2)
    make_event("Infoabend online", kind="infoveranstaltung", days=7, format="online")
    make_event("Treffen hybrid", days=8, format="hybrid", join_url="https://meet.example.org/x")

    html = page(german, "/events/")
    assert html.count('class="event-item kern-card') == 4
    assert 'class="kern-badge kern-badge--info event-kind"' in html
    full_card = card(html, "Fortbildung voll")
    assert "Ausgebucht – Warteliste" in full_card and "Fortbildung" in html
    assert "noch 5 Plätze frei" in card(html, "Netzwerktreffen Süd")
    online = card(html, "Infoabend online")
    assert "</span>Online</li>" in online
    assert "Plätze" not in online and "Anmeldung offen" not in online  # unlimited: nothing
    hybrid = card(html, "Treffen hybrid")
    assert "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden und online" in hybrid
    start = day_in(5)
    assert f"{start.day}. " in full_card and "10:00–12:00 Uhr" in full_card
    # the calendar subscription stays on the page
    assert "Kalender abonnieren" in html and 'href="webcal://kkp.test/calendar.ics"' in html


def test_the_filter_by_format_and_month_is_kept_in_the_address(german, make_event):
    make_event("Vor-Ort-Treffen", days=3)
    make_event("Online-Sprechstunde", kind="infoveranstaltung", days=4, format="online")
    make_event("Hybride Fortbildung", kind="fortbildung", days=5, format="hybrid")
    later = day_in(70)
    make_event("Späteres Online-Treffen", days=70, format="online")

    html = page(german, "/events/?format=online")
    assert titles(html) == ["Online-Sprechstunde", "Späteres Online-Treffen"]
    assert '<option value="online" selected>Online</option>' in html
    assert '<option value="in_person">Vor Ort</option>' in html

    month = f"{later:%Y-%m}"
    html = page(german, f"/events/?kind=&format=online&month={month}")
    assert titles(html) == ["Späteres Online-Treffen"]
    assert f'<option value="{month}" selected>' in html

    html = page(german, "/events/?kind=fortbildung&format=hybrid")
    assert titles(html) == ["Hybride Fortbildung"]


def test_the_month_filter_offers_the_next_twelve_months_in_german(german, make_event):
    html = page(german, "/events/")
    today = utcnow().astimezone(BERLIN).date()
    options = re.findall(r'<option value="(\d{4}-\d{2})"', html)
    assert len(options) == 12 and options[0] == f"{today:%Y-%m}"
    months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
              "September", "Oktober", "November", "Dezember"]  # fmt: skip
    assert f">{months[today.month - 1]} {today.year}</option>" in html
    year, month = divmod(today.month - 1 + 11, 12)
    last = date(today.year + year, month + 1, 1)
    assert options[-1] == f"{last:%Y-%m}"


def test_an_empty_result_says_so_and_odd_values_do_no_harm(german, make_event):
    make_event("Vor-Ort-Treffen", days=3)
    html = page(german, "/events/?format=hybrid")
    assert titles(html) == []
    assert "Zu Ihrer Auswahl gibt es keine anstehenden Veranstaltungen." in html
    assert 'href="/events/">Alle Veranstaltungen anzeigen' in html
    # values the form never offers are left out, never an error
    for odd in ("format=%3Cscript%3E", "month=1999-01", "month=2026-13", "month=x"):
        assert titles(page(german, f"/events/?{odd}")) == ["Vor-Ort-Treffen"]


def test_the_filter_works_in_english(client, make_event):
    client.set_cookie("kkp_lang", "en")
    make_event("Vor-Ort-Treffen", days=3, capacity=3)
    html = page(client, "/events/")
    assert "3 seats left" in html
    assert '<option value="in_person">In person</option>' in html
    assert "All months" in html and "Show events" in html
    later = utcnow().astimezone(BERLIN).date() + timedelta(days=40)
    assert later.strftime("%B") in html  # month names in English
