"""The subscribable calendars (/calendar.ics, /calendar/<kind>.ics) and one event's
.ics: read back by three parsers that did not write them (icalendar, ical, vobject),
the raw text checked for what calendar apps need, conditional GET, the same bytes for
the same data, and which events they show (drafts never, cancelled ones for 30 days)."""

from __future__ import annotations

import io
from datetime import UTC, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

ICS_TYPE = "text/calendar; charset=utf-8"


def _get(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code in (200, 304), (url, response.status_code)
    return response


def _lines(raw: bytes) -> list[bytes]:
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "CRLF only"
    lines = raw.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in lines), "lines of at most 75 octets"
    return lines


def _unfolded(raw: bytes) -> str:
    return raw.decode().replace("\r\n ", "")


def _parse_all(raw: bytes) -> dict[str, icalendar.Event]:
    """The events by SUMMARY, after all three parsers read the calendar."""
    parsed = icalendar.Calendar.from_ical(raw)
    stream = IcsCalendarStream.calendar_from_ics(raw.decode())
    vcal = vobject.readOne(io.StringIO(raw.decode()))
    vevents = list(parsed.walk("VEVENT"))
    assert len(stream.events) == len(vevents)
    assert len(vcal.contents.get("vevent", [])) == len(vevents)
    return {str(v["SUMMARY"]): v for v in vevents}


def _properties(raw: bytes) -> list[str]:
    """The names of the properties, one per unfolded line."""
    return [line.split(":", 1)[0].split(";", 1)[0] for line in _unfolded(raw).split("\r\n")]


def test_the_calendar_has_what_subscribing_apps_need(client, make_event, app):
    from events.calendar_cache import calendar_name

    make_event("Netzwerktreffen Nord", days=3)
    make_event("Fortbildung Deeskalation", kind="fortbildung", days=10)
    make_event("Geheimer Entwurf", status="draft")

    response = client.get("/calendar.ics")  # no Accept header, as calendar apps send
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ICS_TYPE
    assert "Content-Disposition" not in response.headers
    raw = response.data
    _lines(raw)
    text = _unfolded(raw)
    name = calendar_name()
    assert name.startswith(f"{app.config['KKP_OFFICE_NAME']} – ")
    for needed in (f"NAME:{name}", f"X-WR-CALNAME:{name}", "X-WR-TIMEZONE:Europe/Berlin",
                   "REFRESH-INTERVAL;VALUE=DURATION:PT1H", "X-PUBLISHED-TTL:PT1H",
                   "BEGIN:VTIMEZONE", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
                   "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"):  # fmt: skip
        assert needed in text, needed
    assert "METHOD" not in _properties(raw) and "RDATE" not in text
    assert "ATTENDEE" not in _properties(raw)

    events = _parse_all(raw)
    assert sorted(events) == ["Fortbildung Deeskalation", "Netzwerktreffen Nord"]
    first = list(icalendar.Calendar.from_ical(raw).walk("VEVENT"))[0]
    assert str(first["SUMMARY"]) == "Netzwerktreffen Nord"  # soonest first
    assert str(first["URL"]).startswith("http://kkp.test/events/")
    assert str(first["STATUS"]) == "CONFIRMED"


def test_hostile_text_is_escaped_never_a_property_of_its_own(client, make_event):
    from kkp.extensions import db

    event = make_event("Treffen; Teil 1, Raum: A")
    # the form refuses line breaks in a title; the calendar must not rely on that
    event.title = "Treffen; Teil 1, Raum: A\nATTENDEE:mailto:title@example.org"
    event.organizer_name = "Anna\r\nATTENDEE:mailto:x"
    event.summary = "Zeile eins\r\nEND:VEVENT\r\nBEGIN:VEVENT"
    db.session.commit()

    for url in ("/calendar.ics", f"/events/{event.slug}.ics"):
        raw = client.get(url).data
        _lines(raw)
        props = _properties(raw)
        assert "ATTENDEE" not in props
        assert props.count("BEGIN") == props.count("END")
        text = _unfolded(raw)
        assert text.split("\r\n").count("BEGIN:VEVENT") == 1
        assert "SUMMARY:Treffen\\; Teil 1\\, Raum: A\\nATTENDEE:mailto:title@example.org" in text
        assert 'ORGANIZER;CN="Anna ATTENDEE:mailto:x":mailto:kkp@example.org' in text
        [vevent] = _parse_all(raw).values()
        assert str(vevent["SUMMARY"]) == (
            "Treffen; Teil 1, Raum: A\nATTENDEE:mailto:title@example.org"
        )
        assert "Zeile eins\nEND:VEVENT\nBEGIN:VEVENT" in str(vevent["DESCRIPTION"])


def test_conditional_get(client, make_event):
    make_event("Netzwerktreffen Nord")
    newest = make_event("Fortbildung", kind="fortbildung")
    full = _get(client, "/calendar.ics")
    etag = full.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")  # strong
    last_modified = parsedate_to_datetime(full.headers["Last-Modified"])
    assert last_modified == newest.changed_at.replace(microsecond=0)

    assert _get(client, "/calendar.ics", **{"If-None-Match": etag}).status_code == 304
    since = full.headers["Last-Modified"]
    assert _get(client, "/calendar.ics", **{"If-Modified-Since": since}).status_code == 304
    # If-None-Match is asked first: a stale ETag gets the calendar whatever the date says
    later = format_datetime(last_modified + timedelta(days=1), usegmt=True)
    stale = _get(
        client, "/calendar.ics", **{"If-None-Match": '"stale"', "If-Modified-Since": later}
    )
    assert stale.status_code == 200 and stale.data == full.data
    for bad in ("gestern", "Mon, 99 Foo 2026 25:61:00 GMT", ""):
        answer = _get(client, "/calendar.ics", **{"If-Modified-Since": bad})
        assert answer.status_code == 200 and answer.data == full.data
    earlier = format_datetime(last_modified - timedelta(seconds=1), usegmt=True)
    assert _get(client, "/calendar.ics", **{"If-Modified-Since": earlier}).status_code == 200


def test_same_data_same_bytes_and_an_edit_changes_them(client, make_event, app):
    from events.calendar_cache import CalendarCache, build
    from events.operations import input_from, update_event
    from kkp.extensions import db

    event = make_event("Netzwerktreffen Nord")
    make_event("Fortbildung", kind="fortbildung")
    first = _get(client, "/calendar.ics")
    again = _get(client, "/calendar.ics")
    assert first.data == again.data and first.headers["ETag"] == again.headers["ETag"]
    # another process (a cache of its own) and no cache at all: the same bytes
    assert CalendarCache().get().body == first.data == build()[0]

    data = input_from(event)
    data.title = "Netzwerktreffen Nord (neuer Raum)"
    update_event(event, data)
    db.session.commit()
    edited = _get(client, "/calendar.ics", **{"If-None-Match": first.headers["ETag"]})
    assert edited.status_code == 200
    assert edited.headers["ETag"] != first.headers["ETag"]
    assert "Netzwerktreffen Nord (neuer Raum)" in _parse_all(edited.data)
    assert parsedate_to_datetime(edited.headers["Last-Modified"]) == event.changed_at.replace(
        microsecond=0
    )


def test_a_kind_calendar_has_only_its_kind(client, make_event, kinds):
    from events.calendar_cache import calendar_name
    from events.models import EventKind
    from kkp.extensions import db

    make_event("Netzwerktreffen Nord")
    make_event("Fortbildung Deeskalation", kind="fortbildung")
    make_event("Fortbildung Entwurf", kind="fortbildung", status="draft")

    response = client.get("/calendar/fortbildung.ics")
    assert response.status_code == 200 and response.headers["Content-Type"] == ICS_TYPE
    assert sorted(_parse_all(response.data)) == ["Fortbildung Deeskalation"]
    name = calendar_name(db.session.get(EventKind, kinds["fortbildung"]))
    assert name.endswith(" – Fortbildung")
    assert f"X-WR-CALNAME:{name}" in _unfolded(response.data)
    assert _get(client, "/calendar/fortbildung.ics", **{"If-None-Match": response.headers["ETag"]})
    assert client.get("/calendar/netzwerktreffen.ics").data != response.data

    empty = client.get("/calendar/gremiensitzung.ics")
    assert empty.status_code == 200 and _parse_all(empty.data) == {}
    assert client.get("/calendar/gibt-es-nicht.ics").status_code == 404


def test_cancelled_events_stay_marked_for_30_days_then_go(client, make_event, kinds):
    from events.calendar_cache import CalendarCache, build, calendar_events
    from events.calendars import CANCELLED_KEPT
    from events.models import EventKind
    from events.operations import cancel_event
    from kkp.extensions import db

    kept = make_event("Bleibt", days=60)
    event = make_event("Fällt aus", days=60)
    before = _parse_all(client.get("/calendar.ics").data)["Fällt aus"]
    sequence = int(before.get("SEQUENCE", 0))

    cancel_event(event)
    db.session.commit()
    raw = client.get("/calendar.ics").data
    cancelled = _parse_all(raw)["Fällt aus"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) > sequence
    assert str(_parse_all(raw)["Bleibt"]["STATUS"]) == "CONFIRMED"
    single = client.get(f"/events/{event.slug}.ics")
    assert single.status_code == 200 and "STATUS:CANCELLED" in _unfolded(single.data)

    # the clock moves on: passed in, never patched
    day_29 = event.cancelled_at + CANCELLED_KEPT - timedelta(days=1)
    day_31 = event.cancelled_at + timedelta(days=31)
    assert [e.title for e in calendar_events(now=day_29)] == ["Bleibt", "Fällt aus"]
    assert [e.title for e in calendar_events(now=day_31)] == ["Bleibt"]
    body, last_modified = build(now=day_31)
    assert sorted(_parse_all(body)) == ["Bleibt"]
    # it left the calendar 30 days after the cancellation: that is the calendar's last change
    assert last_modified == event.cancelled_at + CANCELLED_KEPT
    kind = db.session.get(EventKind, kinds["netzwerktreffen"])
    assert sorted(_parse_all(build(kind, now=day_31)[0])) == ["Bleibt"]

    # a cache built before the 30 days were up notices that the event has gone
    cache = CalendarCache()
    assert "Fällt aus" in _parse_all(cache.get(now=day_29).body)
    assert sorted(_parse_all(cache.get(now=day_31).body)) == ["Bleibt"]
    assert kept.status == "published"


def test_events_that_ended_a_year_ago_are_left_out_drafts_never_shown(client, make_event):
    from events.calendar_cache import calendar_events
    from events.calendars import PAST_KEPT

    event = make_event("Vor langer Zeit", days=2)
    draft = make_event("Entwurf", status="draft")
    assert [e.title for e in calendar_events()] == ["Vor langer Zeit"]
    assert [e.title for e in calendar_events(now=event.ends_at + PAST_KEPT - timedelta(hours=1))]
    assert calendar_events(now=event.ends_at + PAST_KEPT) == []
    assert client.get(f"/events/{draft.slug}.ics").status_code == 404
    assert client.get("/events/gibt-es-nicht.ics").status_code == 404


def test_join_links_only_for_events_without_registration(client, make_event):
    common = {"format": "online", "venue": "", "address": ""}
    make_event("Offen", registration_mode="none", join_url="https://meet.example.org/offen",
               **common)  # fmt: skip
    make_event("Mit Anmeldung", registration_mode="open",
               join_url="https://meet.example.org/geheim", **common)  # fmt: skip
    raw = client.get("/calendar.ics").data
    events = _parse_all(raw)
    assert "https://meet.example.org/offen" in _unfolded(raw)
    assert "https://meet.example.org/geheim" not in _unfolded(raw)
    assert str(events["Mit Anmeldung"]["LOCATION"]) == "Online"


def test_one_event_as_a_download(client, make_event):
    event = make_event("Netzwerktreffen Nord")
    response = client.get(f"/events/{event.slug}.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ICS_TYPE
    assert response.headers["Content-Disposition"] == f'attachment; filename="{event.slug}.ics"'
    _lines(response.data)
    assert "METHOD" not in _properties(response.data)
    [vevent] = _parse_all(response.data).values()
    assert str(vevent["UID"]) == event.uid
    assert vevent["DTSTART"].dt.astimezone(UTC) == event.starts_at
    assert parsedate_to_datetime(response.headers["Last-Modified"]) == event.changed_at.replace(
        microsecond=0
    )
    again = client.get(
        f"/events/{event.slug}.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


def test_gzipped_to_clients_that_accept_it(client, make_event):
    import gzip

    make_event("Netzwerktreffen Nord")
    plain = client.get("/calendar.ics")
    packed = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.status_code == 200 and packed.headers["Content-Type"] == ICS_TYPE
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain.headers
    assert (
        "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    )
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data)
    # each encoding its own strong ETag, each answered with 304
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(
        "/calendar.ics",
        headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]},
    )
    assert again.status_code == 304
    assert client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"}).data == packed.data


def test_a_process_asks_the_database_again_after_the_recheck_interval(
    ctx, make_event, app, monkeypatch
):
    from events.calendar_cache import CalendarCache, build
    from events.operations import input_from, update_event
    from kkp.extensions import db

    event = make_event("Netzwerktreffen Nord")
    make_event("Fortbildung", kind="fortbildung")
    seconds = [100.0]
    cache = CalendarCache(clock=lambda: seconds[0])
    first = cache.get(recheck=1)
    data = input_from(event)
    data.title = "Netzwerktreffen Süd"
    update_event(event, data)
    db.session.commit()

    seconds[0] += 0.5  # within the interval: what the process has
    assert cache.get(recheck=1) is first
    seconds[0] += 0.6  # past it: the fingerprint moved, the calendar is built again
    edited = cache.get(recheck=1)
    assert "Netzwerktreffen Süd" in _parse_all(edited.body) and edited.etag != first.etag
    assert edited.body == build()[0]  # the remembered conversions of the other events
    # a change of settings shows at once, whatever the interval
    monkeypatch.setitem(app.config, "KKP_BASE_URL", "https://kkp.example.org")
    assert b"https://kkp.example.org/events/" in cache.get(recheck=60).body


def test_opening_registration_or_moving_kind_counts_as_a_change(client, make_event, kinds):
    from events.operations import input_from, update_event
    from kkp.db import utcnow
    from kkp.extensions import db

    event = make_event("Sprechstunde", format="online", venue="", address="",
                       join_url="https://meet.example.org/s", registration_mode="open")  # fmt: skip
    before = client.get("/calendar.ics")
    assert "meet.example.org" not in _unfolded(before.data)
    data = input_from(event)
    data.registration_mode = "none"  # now anyone may join: the link goes public
    started = utcnow()
    update_event(event, data)
    db.session.commit()
    assert event.changed_at >= started  # DTSTAMP and Last-Modified move with it
    after = client.get("/calendar.ics")
    assert "https://meet.example.org/s" in _unfolded(after.data)
    assert parsedate_to_datetime(after.headers["Last-Modified"]) == event.changed_at.replace(
        microsecond=0
    )

    data = input_from(event)
    data.kind_id = kinds["fortbildung"]
    update_event(event, data)
    db.session.commit()
    assert list(_parse_all(client.get("/calendar/fortbildung.ics").data)) == ["Sprechstunde"]
    assert _parse_all(client.get("/calendar/netzwerktreffen.ics").data) == {}
