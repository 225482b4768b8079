"""The editors' event pages through HTTP: one form for an event, refusals at their
fields with everything typed kept, publishing, updates and cancellations that reach
participants' calendars (Redis, the Dramatiq worker and a real SMTP server), drafts
deleted, further dates of a series, kinds."""

from __future__ import annotations

import html
import re
from datetime import date, time

import pytest
import sqlalchemy as sa

from events import series_table
from events.models import Event, EventKind, EventSeries
from kkp.extensions import db
from tests.events.conftest import day_in
from tests.helpers import csrf_token, parse_mail, post_form


@pytest.fixture
def english(logged_in):
    """Messages are checked in English: the German catalog is filled in separately."""
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def fresh(event_id: int) -> Event | None:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Event, event_id)


def form_data(kinds, **changes) -> dict:
    """The editor's fields as the browser sends them (unchecked boxes left out)."""
    data = {
        "kind_id": str(kinds["fortbildung"]),
        "title": "Fortbildung: Gesprächsführung",
        "summary": "Grundlagen für Koordinierende",
        "description": "Mit **Übungen**.",
        "format": "in_person",
        "venue": "Rathaus, Sitzungssaal",
        "address": "Markt 1, 01067 Dresden",
        "join_url": "",
        "start_day": day_in(30).isoformat(),
        "start_time": "10:00",
        "end_day": "",
        "end_time": "16:00",
        "organizer_name": "Koordinierungsstelle",
        "organizer_email": "kkp@example.org",
        "audience": "Netzwerkpartner",
        "cost_note": "kostenfrei",
        "registration_mode": "open",
        "capacity": "20",
        "deadline_day": "",
        "deadline_time": "",
        "reminder_hours": "24",
        "series_id": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def error_at(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert match, f"no error at {field}"
    return html.unescape(match.group(1))


def create(client, kinds, **changes):
    return post_form(client, "/admin/events/new", form_data(kinds, **changes))


# -- access --------------------------------------------------------------------------------


def test_pages_need_a_login(client, make_event):
    event = make_event()
    for url in ("/admin/events/", "/admin/events/new", f"/admin/events/{event.id}/edit"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/admin/login"), url


def test_posts_need_the_forms_token(english, make_event, kinds):
    event = make_event(status="draft")
    for url in (
        "/admin/events/new",
        f"/admin/events/{event.id}/publish",
        f"/admin/events/{event.id}/delete",
        "/admin/events/kinds",
    ):
        assert english.post(url, data=form_data(kinds)).status_code == 400, url
    assert count(Event) == 1
    assert fresh(event.id).status == "draft"


# -- creating ------------------------------------------------------------------------------


def test_create_an_event_as_a_draft(english, kinds):
    response = create(english, kinds, deadline_day=day_in(20).isoformat())
    assert response.status_code == 303
    event = db.session.scalars(sa.select(Event)).one()
    assert response.headers["Location"].endswith(f"/admin/events/{event.id}/edit")
    assert event.status == "draft" and event.capacity == 20
    assert event.title == "Fortbildung: Gesprächsführung"
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event was saved as a draft." in page
    assert 'value="Fortbildung: Gesprächsführung"' in page
    assert 'value="10:00"' in page and 'value="16:00"' in page


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_time": "09:00"}, "end_time", "The end must be after the start."),
        (
            {"deadline_day": day_in(31).isoformat()},
            "deadline_day",
            "The registration deadline must not be after the start.",
        ),
        (
            {"format": "online", "join_url": "javascript:alert(1)"},
            "join_url",
            "The join link must be a web address starting with https://.",
        ),
        (
            {"title": "Fortbildung\r\nBcc: viele@example.org"},
            "title",
            "Line breaks and control characters are not allowed.",
        ),
        ({"title": ""}, "title", "Please fill in this field."),
        ({"kind_id": "0"}, "kind_id", "Please choose a kind of event."),
        ({"venue": "", "address": ""}, "venue", "Please enter the venue or its address."),
        ({"capacity": "0"}, "capacity", "Seats: a number from 1 to 100000"),
        ({"start_time": ""}, "start_time", "Please enter the time"),
    ],
)
def test_a_mistake_is_shown_at_its_field_and_nothing_is_stored(
    english, kinds, changes, field, message
):
    response = create(english, kinds, summary="Kein Verlust <b>des Textes</b>", **changes)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in error_at(page, field)
    assert "Nothing was saved." in page
    # what was typed is still there, escaped
    assert "Kein Verlust &lt;b&gt;des Textes&lt;/b&gt;" in page
    assert 'value="Rathaus, Sitzungssaal"' in page or "venue" in changes
    assert count(Event) == 0


def test_the_dangerous_join_link_is_kept_but_not_as_a_link(english, kinds):
    response = create(english, kinds, format="online", join_url="javascript:alert(1)")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="javascript:alert(1)"' in page
    assert 'href="javascript:' not in page


def test_a_time_the_clocks_skip_is_refused(english, kinds):
    response = create(english, kinds, start_day="2026-03-29", start_time="02:30", end_time="04:00")
    assert response.status_code == 422
    message = error_at(response.get_data(as_text=True), "start_time")
    assert "02:30 does not exist on 29.03.2026" in message
    assert "clocks go forward" in message
    assert count(Event) == 0


def test_a_time_that_happens_twice_is_taken_in_summer_time_with_a_note(english, kinds):
    response = create(english, kinds, start_day="2026-10-25", start_time="02:30", end_time="04:00")
    assert response.status_code == 303
    event = db.session.scalars(sa.select(Event)).one()
    assert event.starts_at.isoformat() == "2026-10-25T00:30:00+00:00"  # 02:30 CEST
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "02:30 occurs twice on 25.10.2026" in html.unescape(page)


def test_a_date_that_is_no_date_is_refused(english, kinds):
    response = create(english, kinds, start_day="31.02.2027")
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), "start_day")
    assert count(Event) == 0


# -- editing -------------------------------------------------------------------------------


def test_seats_cannot_go_below_the_confirmed(english, kinds, make_event):
    from events.registrations import add_participant

    event = make_event(capacity=5)
    for n in range(3):
        add_participant(event.id, name=f"Person {n}", email=f"p{n}@example.org")
    db.session.commit()
    url = f"/admin/events/{event.id}/edit"
    data = form_data(kinds, title="Geändert", capacity="2")
    response = post_form(english, url, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "3 people are already confirmed" in error_at(page, "capacity")
    assert 'value="Geändert"' in page
    stored = fresh(event.id)
    assert stored.capacity == 5 and stored.title == "Netzwerktreffen Nord"


def test_the_edit_form_shows_the_stored_event(english, make_event):
    event = make_event(capacity=12, deadline_day=day_in(10), deadline_time=time(18, 0))
    page = english.get(f"/admin/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="Netzwerktreffen Nord"' in page
    assert f'value="{day_in(14).isoformat()}"' in page
    assert 'value="10:00"' in page and 'value="12:00"' in page and 'value="18:00"' in page
    assert 'value="12"' in page
    assert re.search(
        r'<input[^>]*checked[^>]*value="in_person"|value="in_person"[^>]*checked', page
    )


def test_publish_a_draft(english, make_event):
    event = make_event(status="draft")
    response = post_form(
        english, f"/admin/events/{event.id}/publish", {}, page=f"/admin/events/{event.id}/edit"
    )
    assert response.status_code == 303
    assert fresh(event.id).status == "published"
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "The event is published" in page
    assert 'id="publish"' not in page
    listed = english.get("/admin/events/").get_data(as_text=True)
    assert "Netzwerktreffen Nord" in listed


def _calendar(msg) -> str:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), part.get_payload(decode=True).decode().replace("\r\n ", "")


def test_a_new_time_sends_an_update_with_a_raised_sequence(english, kinds, make_event, mail, drain):
    from events.registrations import add_participant

    event = make_event("Fortbildung Prävention", kind="fortbildung", capacity=10)
    for n in range(2):
        add_participant(event.id, name=f"Person {n}", email=f"p{n}@example.org")
    db.session.commit()
    drain()
    mail.wait_for(2)
    mail.clear()

    url = f"/admin/events/{event.id}/edit"
    data = form_data(
        kinds, title="Fortbildung Prävention", start_day=day_in(14).isoformat(), start_time="11:00"
    )
    response = post_form(english, url, data)  # asks first (tests/events/test_change_asks_first.py)
    assert response.status_code == 200 and 'id="confirm-save"' in response.get_data(as_text=True)
    response = post_form(english, url, {**data, "confirmed": "1"})
    assert response.status_code == 303
    page = english.get(url).get_data(as_text=True)
    assert "An update went to 2 participants." in page
    assert fresh(event.id).sequence == 1

    drain()
    messages = [parse_mail(m["data"]) for m in mail.wait_for(2)]
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "p0@example.org",
        "p1@example.org",
    ]
    for msg in messages:
        assert msg["Subject"].startswith(("Changed:", "Geändert:"))
        method, ics = _calendar(msg)
        assert method == "REQUEST"
        assert "METHOD:REQUEST" in ics and "SEQUENCE:1" in ics
        assert "DTSTART;TZID=Europe/Berlin:" in ics and "T110000" in ics


def test_a_new_title_sends_no_update(english, kinds, make_event, mail, drain):
    from events.registrations import add_participant

    event = make_event(capacity=10)
    add_participant(event.id, name="Anna", email="anna@example.org")
    db.session.commit()
    drain()
    mail.wait_for(1)
    data = form_data(
        kinds,
        kind_id=str(kinds["netzwerktreffen"]),
        title="Netzwerktreffen Nord (neuer Titel)",
        start_day=day_in(14).isoformat(),
        end_time="12:00",
    )
    response = post_form(english, f"/admin/events/{event.id}/edit", data)
    assert response.status_code == 303
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "An update went" not in page
    assert fresh(event.id).sequence == 0


def test_cancel_after_confirmation_sends_cancel(english, make_event, mail, drain):
    from events.registrations import add_participant

    event = make_event(capacity=1)
    add_participant(event.id, name="Anna", email="anna@example.org")
    add_participant(event.id, name="Ben", email="ben@example.org")  # waiting
    db.session.commit()
    drain()
    mail.wait_for(2)
    mail.clear()

    url = f"/admin/events/{event.id}/cancel"
    page = english.get(url).get_data(as_text=True)
    assert "1 participant gets a cancellation" in page
    assert "The 1 person on the waiting list is told." in page
    assert fresh(event.id).status == "published"  # a GET changes nothing

    response = post_form(english, url, {})
    assert response.status_code == 303
    assert fresh(event.id).status == "cancelled"
    assert "2 people are told" in english.get(response.headers["Location"]).get_data(as_text=True)
    drain()
    messages = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(2)}
    method, ics = _calendar(messages["anna@example.org"])
    assert method == "CANCEL"
    assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:1" in ics
    assert not [
        p for p in messages["ben@example.org"].walk() if p.get_content_type() == "text/calendar"
    ]

    # a cancelled event can be neither changed nor published
    edit = post_form(english, f"/admin/events/{event.id}/edit", {"title": "X"})
    assert edit.status_code in (409, 422)
    publish = post_form(
        english, f"/admin/events/{event.id}/publish", {}, page=f"/admin/events/{event.id}/edit"
    )
    assert publish.status_code == 409
    assert "cannot be published again" in publish.get_data(as_text=True)


def test_a_changed_cancelled_event_answers_409(english, kinds, make_event):
    event = make_event()
    from events.operations import cancel_event

    cancel_event(event)
    db.session.commit()
    response = post_form(english, f"/admin/events/{event.id}/edit", form_data(kinds))
    assert response.status_code == 409
    assert "A cancelled event cannot be changed." in response.get_data(as_text=True)


def test_delete_a_draft_after_confirmation(english, make_event):
    event = make_event(status="draft")
    url = f"/admin/events/{event.id}/delete"
    assert "Delete the draft" in english.get(url).get_data(as_text=True)
    assert fresh(event.id) is not None
    response = post_form(english, url, {})
    assert response.status_code == 303
    assert fresh(event.id) is None


def test_a_published_event_is_not_deleted(english, make_event):
    event = make_event()
    response = english.get(f"/admin/events/{event.id}/delete")
    assert response.status_code == 409
    assert "Only drafts can be deleted." in response.get_data(as_text=True)
    assert fresh(event.id) is not None


def test_add_another_date_makes_a_series(english, make_event):
    event = make_event("Fortbildung Kinderschutz", kind="fortbildung", capacity=15)
    url = f"/admin/events/{event.id}/copy"
    response = post_form(
        english, url, {"copy_day": day_in(21).isoformat()}, page=f"/admin/events/{event.id}/edit"
    )
    assert response.status_code == 303
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "was added to the series “Fortbildung Kinderschutz”" in html.unescape(page)

    series = db.session.scalars(sa.select(EventSeries)).one()
    dates = db.session.scalars(
        sa.select(Event).where(Event.series_id == series.id).order_by(Event.starts_at)
    ).all()
    assert len(dates) == 2
    assert [d.first_day for d in dates] == [day_in(14), day_in(21)]
    assert dates[1].status == "draft" and dates[1].capacity == 15
    assert dates[1].starts_at.astimezone(dates[0].starts_at.tzinfo).hour == (
        dates[0].starts_at.hour
    )
    assert "Fortbildung Kinderschutz" in english.get("/admin/events/series").get_data(as_text=True)


def test_another_date_needs_a_date(english, make_event):
    event = make_event()
    response = post_form(
        english,
        f"/admin/events/{event.id}/copy",
        {"copy_day": ""},
        page=f"/admin/events/{event.id}/edit",
    )
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), "copy_day") == "Please choose a date."
    assert count(Event) == 1


def test_the_list_filters_by_status(english, make_event):
    make_event("Kommend", capacity=8)
    make_event("Entwurf", status="draft")
    make_event("Vorbei", days=-3)
    cancelled = make_event("Abgesagt")
    from events.operations import cancel_event

    cancel_event(db.session.get(Event, cancelled.id))
    db.session.commit()
    shown = {
        tab: english.get(f"/admin/events/?show={tab}").get_data(as_text=True)
        for tab in ("upcoming", "past", "drafts", "cancelled")
    }
    for tab, title in (
        ("upcoming", "Kommend"),
        ("drafts", "Entwurf"),
        ("past", "Vorbei"),
        ("cancelled", "Abgesagt"),
    ):
        assert f">{title}</a>" in shown[tab], tab
        others = {"Kommend", "Entwurf", "Vorbei", "Abgesagt"} - {title}
        assert not any(f">{o}</a>" in shown[tab] for o in others), tab
    assert "0 / 8" in shown["upcoming"]


def test_add_a_kind(english, kinds):
    response = post_form(english, "/admin/events/kinds", {"name": "Fachtag", "name_en": "Forum"})
    assert response.status_code == 303
    kind = db.session.scalars(sa.select(EventKind).where(EventKind.name == "Fachtag")).one()
    assert kind.slug == "fachtag"
    page = english.get("/admin/events/kinds").get_data(as_text=True)
    assert "/calendar/fachtag.ics" in page
    assert f'<option value="{kind.id}">' in english.get("/admin/events/new").get_data(as_text=True)
    again = post_form(english, "/admin/events/kinds", {"name": "Fachtag"})
    assert again.status_code == 422
    assert "This kind exists already." in again.get_data(as_text=True)


def test_series_title_and_description(english, make_event):
    response = post_form(english, "/admin/events/series", {"title": "Grundkurs", "description": ""})
    assert response.status_code == 303
    series = db.session.scalars(sa.select(EventSeries)).one()
    url = f"/admin/events/series/{series.id}"
    response = post_form(english, url, {"title": "Grundkurs 2027", "description": "Drei Termine"})
    assert response.status_code == 303
    db.session.expire_all()
    assert series.title == "Grundkurs 2027" and series.description == "Drei Termine"
    bad = post_form(english, url, {"title": "Zeile\nZwei"})
    assert bad.status_code == 422
    assert "Line breaks" in bad.get_data(as_text=True)


def test_preview_of_a_draft(english, make_event):
    event = make_event(status="draft", description="**fett**\n\n<script>alert(1)</script>")
    page = english.get(f"/admin/events/{event.id}/preview").get_data(as_text=True)
    assert "<strong>fett</strong>" in page
    assert "<script>alert(1)" not in page


def test_dates_are_shown_in_berlin_time(english, kinds):
    create(english, kinds, start_day="2027-01-15", start_time="09:30", end_time="11:00")
    event = db.session.scalars(sa.select(Event)).one()
    assert event.starts_at.isoformat() == "2027-01-15T08:30:00+00:00"
    assert event.first_day == date(2027, 1, 15)
    page = english.get("/admin/events/?show=drafts").get_data(as_text=True)
    assert "09:30–11:00" in page
    assert csrf_token(english.get(f"/admin/events/{event.id}/edit").get_data(as_text=True))


def test_the_series_are_searched_sorted_and_paged(english, make_event, monkeypatch):
    monkeypatch.setattr(series_table, "PAGE_SIZE", 2)
    dates = {"Aufbaukurs": [30], "Basiskurs": [10, 40], "Chefsache": []}
    for title, days in dates.items():
        series = EventSeries(title=title, slug=title.lower())
        db.session.add(series)
        db.session.flush()
        for n in days:
            make_event("Termin", days=n).series_id = series.id
    db.session.commit()

    def table(address: str) -> str:
        return english.get(address).get_data(as_text=True).split('id="result-count"')[1]

    page = table("/admin/events/series?q=KURS")
    assert "2 series." in page and "Basiskurs" in page and "Chefsache" not in page
    page = table("/admin/events/series?sort=title&dir=asc")
    assert page.index("Aufbaukurs") < page.index("Basiskurs") and "Chefsache" not in page
    assert 'aria-sort="ascending"' in page
    assert 'href="/admin/events/series?sort=title&amp;dir=desc"' in page
    assert 'rel="next" href="/admin/events/series?page=2&amp;sort=title&amp;dir=asc"' in page
    page = table("/admin/events/series?sort=title&dir=asc&page=2")
    assert "Chefsache" in page and "Aufbaukurs" not in page and "Page 2 of 2" in page
    page = table("/admin/events/series?sort=dates&dir=desc")
    assert page.index("Basiskurs") < page.index("Aufbaukurs") and "Chefsache" not in page
    assert 'aria-sort="descending"' in page
    # by the first date; a series without dates last, either way round
    page = table("/admin/events/series?sort=first&dir=asc")
    assert page.index("Basiskurs") < page.index("Aufbaukurs")
    page = table("/admin/events/series?sort=first&dir=desc")
    assert page.index("Aufbaukurs") < page.index("Basiskurs")
    assert "Chefsache" in table("/admin/events/series?sort=first&dir=desc&page=2")
    assert "q=kurs" in table("/admin/events/series?q=kurs&sort=title&dir=asc")  # kept
    # the newest first without a choice; nonsense in the address is ignored
    response = english.get("/admin/events/series?sort=nonsense&dir=up&page=-3&q=%00")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index("Chefsache") < page.index("Basiskurs") and "aria-sort" not in page
    assert "No series match." in table("/admin/events/series?q=zzz")
