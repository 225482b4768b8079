"""The public event pages: the list, one event, the start page's upcoming events."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from kkp.extensions import db
from tests.events.conftest import day_in


@pytest.fixture
def english(client):
    client.set_cookie("kkp_lang", "en")
    return client


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def fill(event, people: int) -> None:
    """Confirmed registrations (held seats are not shown as taken)."""
    from tests.events.conftest import register_confirmed

    for n in range(people):
        register_confirmed(event.id, name=f"Person {n}", email=f"p{n}@example.org")
    db.session.commit()


def test_the_list_shows_upcoming_events_soonest_first_with_their_seats(english, make_event):
    later = make_event("Netzwerktreffen Süd", days=20, capacity=3)
    soon = make_event("Fortbildung Prävention", kind="fortbildung", days=5, capacity=1)
    make_event("Entwurf Gremium", kind="gremiensitzung", status="draft")
    open_end = make_event("Infoabend online", kind="infoveranstaltung", days=9, format="online")
    fill(later, 1)
    fill(soon, 1)

    html = page(english, "/events/")
    titles = re.findall(r'class="event-item-title"><a href="/events/([^"]+)"', html)
    assert titles == [soon.slug, open_end.slug, later.slug]
    assert "Entwurf Gremium" not in html
    assert "2 seats left" in html
    assert "Fully booked – waiting list" in html
    assert "Training" in html and "Network meeting" in html
    assert "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden" in html
    item = html.split("Infoabend online", 1)[1].split('class="event-item', 1)[0]
    assert "</span>Online</li>" in item


def test_the_list_shows_the_deadline_in_berlin_time(english, make_event):
    make_event(
        "Fortbildung mit Frist",
        kind="fortbildung",
        days=30,
        capacity=10,
        deadline_day=day_in(20),
        deadline_time=time(18, 0),
    )
    html = page(english, "/events/")
    assert "Register by " in html
    assert "18:00" in html
    assert "10:00–12:00" in html


def test_the_kind_filter(english, make_event):
    make_event("Netzwerktreffen Nord")
    make_event("Fortbildung Nord", kind="fortbildung")

    html = page(english, "/events/?kind=fortbildung")
    assert "Fortbildung Nord" in html and "Netzwerktreffen Nord" not in html
    assert '<option value="fortbildung" selected>Training</option>' in html
    assert "Events: Training" in html

    empty = page(english, "/events/?kind=gremiensitzung")
    assert "There are no upcoming events of this kind at the moment." in empty
    page(english, "/events/?kind=gibt-es-nicht", status=404)


def test_a_series_is_marked_date_n_of_m_and_links_its_dates(english, make_event):
    from events.operations import copy_event, publish_event

    first = make_event("Fortbildung Gewaltprävention", kind="fortbildung", days=10)
    second = copy_event(first, start_day=day_in(17))
    publish_event(second)
    db.session.commit()

    html = page(english, "/events/")
    assert "Date 1 of 2" in html and "Date 2 of 2" in html

    detail = page(english, f"/events/{first.slug}")
    assert "Other dates of this series" in detail
    assert f'href="/events/{second.slug}"' in detail


def test_the_event_page_with_registration_hides_the_join_link(english, make_event):
    event = make_event(
        "Netzwerktreffen hybrid",
        format="hybrid",
        join_url="https://meet.example.org/geheim-123",
        capacity=20,
        audience="Netzwerkkoordinatorinnen und -koordinatoren",
        cost_note="kostenfrei",
        description="## Programm\n\n- Begrüßung\n- **Berichte** aus den Kommunen",
        deadline_day=day_in(10),
        deadline_time=time(12, 0),
    )
    html = page(english, f"/events/{event.slug}")
    assert "<h1>Netzwerktreffen hybrid</h1>" in html
    assert "Network meeting" in html
    assert "10:00–12:00" in html  # Berlin time (stored in UTC)
    assert "Rathaus, Sitzungssaal" in html and "Markt 1, 01067 Dresden" in html
    assert "meet.example.org" not in html
    assert "Registered participants receive the access link by e-mail." in html
    assert "<strong>Berichte</strong>" in html and "<h3>Programm</h3>" in html
    assert "Netzwerkkoordinatorinnen und -koordinatoren" in html
    assert "kostenfrei" in html
    assert "mailto:kkp@example.org" in html
    assert "20 seats left" in html
    assert "12:00" in html.split("Registration deadline", 1)[1][:200]
    assert 'name="email"' in html and 'name="consent"' in html
    assert f'href="/events/{event.slug}.ics"' in html
    assert "Add to calendar" in html


def test_without_registration_the_join_link_is_shown_and_no_form(english, make_event):
    event = make_event(
        "Online-Sprechstunde",
        kind="infoveranstaltung",
        format="online",
        join_url="https://meet.example.org/offen",
        registration_mode="none",
    )
    html = page(english, f"/events/{event.slug}")
    assert 'href="https://meet.example.org/offen"' in html
    assert "No registration needed." in html
    assert 'name="email"' not in html


def test_an_invitation_only_event_shows_no_form(english, make_event):
    event = make_event("Lenkungsgruppe", kind="gremiensitzung", registration_mode="invitation")
    html = page(english, f"/events/{event.slug}")
    assert "Participation by invitation only." in html
    assert 'name="email"' not in html


def test_drafts_and_unknown_events_are_not_found(english, make_event):
    draft = make_event("Noch geheim", status="draft")
    page(english, f"/events/{draft.slug}", status=404)
    page(english, "/events/gibt-es-nicht", status=404)
    assert "Noch geheim" not in page(english, "/events/")


def test_a_cancelled_event_shows_a_banner_and_no_form(english, make_event):
    from events.operations import cancel_event

    event = make_event("Abgesagtes Treffen", capacity=5)
    cancel_event(event)
    db.session.commit()
    html = page(english, f"/events/{event.slug}")
    assert "This event has been cancelled." in html
    assert 'name="email"' not in html
    assert "Abgesagtes Treffen" not in page(english, "/events/")


def test_the_subscribe_box_has_https_and_webcal_links(english, make_event):
    event = make_event("Netzwerktreffen Nord")
    for html in (page(english, "/events/"), page(english, f"/events/{event.slug}")):
        assert 'href="http://kkp.test/calendar.ics"' in html
        assert 'href="webcal://kkp.test/calendar.ics"' in html
        assert 'href="webcal://kkp.test/calendar/netzwerktreffen.ics"' in html
        assert "<summary>Outlook</summary>" in html
        assert "<summary>Google Calendar</summary>" in html
        assert "Apple Calendar" in html
        assert '<link rel="alternate" type="application/rss+xml"' in html
        assert 'href="/events/feed.atom"' in html
    listing = page(english, "/events/")
    assert 'href="webcal://kkp.test/calendar/fortbildung.ics"' in listing


def test_markup_in_title_and_description_is_escaped_or_sanitised(english, make_event):
    event = make_event(
        "<script>alert(1)</script> Treffen",
        description=(
            "Hallo <script>alert(2)</script> <img src=x onerror=alert(3)>\n\n"
            "[Klick](javascript:alert(4)) und [gut](https://example.org)"
        ),
    )
    event.summary = "<b>fett</b>"
    db.session.commit()
    for html in (page(english, f"/events/{event.slug}"), page(english, "/events/")):
        assert "<script>alert" not in html
        assert "onerror" not in html
        assert 'href="javascript:' not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Treffen" in html
        assert "<b>fett</b>" not in html
    detail = page(english, f"/events/{event.slug}")
    assert 'href="https://example.org"' in detail


def test_the_start_page_shows_at_most_five_upcoming_events(english, make_event):
    for n in range(7):
        make_event(f"Treffen Nummer {n}", days=3 + n)
    html = page(english, "/")
    assert "Upcoming events" in html
    assert html.count('class="event-item-title"') == 5
    assert "Treffen Nummer 0" in html and "Treffen Nummer 5" not in html
    assert 'href="/events/"' in html


def test_german_is_the_default(client, make_event):
    event = make_event("Netzwerktreffen Nord")
    html = page(client, f"/events/{event.slug}")
    assert '<html lang="de">' in html
    assert "10:00–12:00 Uhr" in html


def test_the_series_page_lists_its_dates(client, make_event):
    from events.operations import copy_event, publish_event
    from kkp.extensions import db

    first = make_event("Fortbildung Deeskalation", kind="fortbildung", capacity=12)
    second = copy_event(first, start_day=first.first_day + timedelta(days=7))
    third = copy_event(first, start_day=first.first_day + timedelta(days=14))
    publish_event(second)  # the third stays a draft: not shown
    db.session.commit()
    assert third.status == "draft"
    page = client.get(f"/events/{first.slug}").get_data(as_text=True)
    assert f"/events/series/{first.series.slug}" in page
    response = client.get(f"/events/series/{first.series.slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.count("Fortbildung Deeskalation") >= 3  # title, two dates
    assert f"/events/{first.slug}" in page and f"/events/{second.slug}" in page
    assert f"/events/{third.slug}" not in page
    assert client.get("/events/series/gibt-es-nicht").status_code == 404
