"""The office's name as the editors set it (/admin/settings/branding) names the office
everywhere the service shows it: the subscribed calendars (their name, the organizer
of events without one of their own), one event's .ics, the feeds of upcoming events
and the archive's feeds; a cached calendar is built again when it changes, and a
hostile name stays text."""

from __future__ import annotations

import io
from email.utils import parsedate_to_datetime

import feedparser
import vobject
from ical.calendar_stream import IcsCalendarStream

from tests.newsletter.test_branding import post

NAME = "Präventionsrat Musterstadt"


def _calendar(raw: bytes):
    """The calendar as vobject reads it, after `ical` read it too."""
    IcsCalendarStream.calendar_from_ics(raw.decode())
    return vobject.readOne(io.StringIO(raw.decode()))


def _organizers(raw: bytes) -> dict[str, str]:
    """Each event's ORGANIZER CN by SUMMARY."""
    return {
        vevent.summary.value: vevent.organizer.params["CN"][0]
        for vevent in _calendar(raw).contents["vevent"]
    }


def _without_organizer(make_event, title: str):
    """An event whose editors named no organizer: the office is it."""
    from kkp.extensions import db

    event = make_event(title)
    event.organizer_name = ""
    db.session.commit()
    return event


def _office_changed_at():
    from kkp.office import current_office_name

    return current_office_name().changed_at.replace(microsecond=0)


def test_the_name_from_the_branding_page_names_calendars_and_feeds(logged_in, make_event, app, ctx):
    from events.calendar_cache import calendar_name

    make_event("Netzwerktreffen Nord")  # the organizer its editors named
    event = _without_organizer(make_event, "Sprechstunde")
    public = app.test_client()
    configured = app.config["KKP_OFFICE_NAME"]
    before = public.get("/calendar.ics")
    assert _calendar(before.data).x_wr_calname.value.startswith(f"{configured} – ")
    assert _organizers(before.data)["Sprechstunde"] == configured

    assert post(logged_in, office_name=NAME).status_code == 303
    assert calendar_name() == f"{NAME} – Veranstaltungen"

    calendar = public.get("/calendar.ics", headers={"If-None-Match": before.headers["ETag"]})
    assert calendar.status_code == 200
    parsed = _calendar(calendar.data)
    assert parsed.x_wr_calname.value == f"{NAME} – Veranstaltungen"
    assert parsed.contents["name"][0].value == f"{NAME} – Veranstaltungen"
    assert NAME in parsed.x_wr_caldesc.value
    assert _organizers(calendar.data) == {
        "Sprechstunde": NAME,
        "Netzwerktreffen Nord": "Koordinierungsstelle",
    }
    # the name changed after the events: a calendar app asking by date gets it too
    last_modified = parsedate_to_datetime(calendar.headers["Last-Modified"])
    assert last_modified == _office_changed_at()

    kind = _calendar(public.get("/calendar/netzwerktreffen.ics").data)
    assert kind.x_wr_calname.value == f"{NAME} – Netzwerktreffen"

    single = public.get(f"/events/{event.slug}.ics")
    assert _organizers(single.data) == {"Sprechstunde": NAME}
    assert NAME in _calendar(single.data).x_wr_caldesc.value
    assert parsedate_to_datetime(single.headers["Last-Modified"]) == _office_changed_at()

    # Atom's author (RSS has none without an e-mail address); the events' feeds' title
    for url in ("/events/feed.atom", "/newsletter/feed.atom"):
        feed = feedparser.parse(public.get(url).data)
        assert not feed.bozo, url
        assert feed.feed.author_detail.name == NAME, url
    for url in ("/events/feed.atom", "/events/feed.rss"):
        feed = feedparser.parse(public.get(url).data)
        assert feed.feed.title == f"{NAME} – Veranstaltungen", url
        assert NAME in feed.feed.subtitle, url

    # emptied: the configured name again
    assert post(logged_in, office_name="").status_code == 303
    assert _organizers(public.get("/calendar.ics").data)["Sprechstunde"] == configured
    atom = feedparser.parse(public.get("/newsletter/feed.atom").data)
    assert atom.feed.author_detail.name == configured


def test_a_cached_calendar_is_built_again_when_the_name_changes(ctx, make_event, app):
    from events.calendar_cache import CalendarCache, build
    from kkp.extensions import db
    from kkp.office import current_office_name
    from newsletter.branding import save_branding

    _without_organizer(make_event, "Sprechstunde")
    make_event("Netzwerktreffen Nord")
    seconds = [100.0]
    cache = CalendarCache(clock=lambda: seconds[0])
    first = cache.get(recheck=1)
    assert _organizers(first.body)["Sprechstunde"] == app.config["KKP_OFFICE_NAME"]

    save_branding(
        office_name=NAME, postal_address="", accent_colour="", logo=None, remove_logo=False
    )
    db.session.commit()
    seconds[0] += 0.5  # within the interval: what the process has, without a query
    assert cache.get(recheck=1) is first
    seconds[0] += 0.6  # past it: the name is read again, the calendar built again
    renamed = cache.get(recheck=1)
    assert renamed.etag != first.etag
    assert _calendar(renamed.body).x_wr_calname.value == f"{NAME} – Veranstaltungen"
    # the remembered conversion of the event is not reused with the old name
    assert _organizers(renamed.body)["Sprechstunde"] == NAME
    assert renamed.body == build()[0]
    assert renamed.last_modified == current_office_name().changed_at
    seconds[0] += 2  # checked again, nothing changed: the same bytes
    assert cache.get(recheck=1).body == renamed.body


def test_a_hostile_name_stays_one_parameter_and_one_line(client, make_event, app):
    from kkp.extensions import db
    from newsletter.branding import save_branding

    event = _without_organizer(make_event, "Sprechstunde")
    # the form refuses line breaks and control characters; the calendars must not rely on it
    hostile = 'Rat "Nord"; Süd\r\nATTENDEE:mailto:x@example.org\rX-EVIL:1\x07'
    save_branding(
        office_name=hostile, postal_address="", accent_colour="", logo=None, remove_logo=False
    )
    db.session.commit()

    for url in ("/calendar.ics", f"/events/{event.slug}.ics", "/calendar/netzwerktreffen.ics"):
        raw = client.get(url).data
        assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
        assert b"\x07" not in raw
        lines = raw.decode().replace("\r\n ", "").split("\r\n")
        properties = {line.split(":", 1)[0].split(";", 1)[0] for line in lines}
        assert "ATTENDEE" not in properties and "X-EVIL" not in properties
        organizer = next(line for line in lines if line.startswith("ORGANIZER"))
        assert organizer.startswith(
            "ORGANIZER;CN=\"Rat 'Nord'; Süd ATTENDEE:mailto:x@example.org X-EVIL:1\":"
        )
        parsed = _calendar(raw)
        assert _organizers(raw) == {
            "Sprechstunde": "Rat 'Nord'; Süd ATTENDEE:mailto:x@example.org X-EVIL:1"
        }
        if url != f"/events/{event.slug}.ics":
            assert parsed.x_wr_calname.value.startswith(
                'Rat "Nord"; Süd ATTENDEE:mailto:x@example.org X-EVIL:1 – '
            )
    for url in ("/events/feed.atom", "/newsletter/feed.atom"):
        feed = feedparser.parse(client.get(url).data)
        assert not feed.bozo, url
        assert feed.feed.author_detail.name.startswith('Rat "Nord"; Süd'), url


def test_the_calendar_builder_keeps_a_hostile_name_one_line():
    """Whoever calls it: the builder cleans the calendar's name and description too."""
    from events.ical import calendar_feed

    raw = calendar_feed([], name="Rat\r\nX-EVIL:1\rY\x07", description="a\rX-BAD:2")
    assert b"\r" not in raw.replace(b"\r\n", b"") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.decode().replace("\r\n ", "").split("\r\n")
    assert "X-WR-CALNAME:Rat X-EVIL:1 Y" in lines and "NAME:Rat X-EVIL:1 Y" in lines
    assert "X-WR-CALDESC:a\\nX-BAD:2" in lines
    assert not any(line.startswith(("X-EVIL", "X-BAD")) for line in lines)
