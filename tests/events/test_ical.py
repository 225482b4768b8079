"""The calendar builders, read back by three parsers that did not write them
(icalendar, ical, vobject), and the raw text checked for what STANDARDS.md asks."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

from events.ical import CalendarEvent, calendar_feed, invitation
from kkp.i18n import BERLIN

CHANGED = datetime(2026, 11, 2, 9, 15, tzinfo=UTC)


def _event(**changes) -> CalendarEvent:
    values = {
        "uid": "event-17@kkp.test",
        "sequence": 0,
        "summary": "Netzwerktreffen Kommunale Kriminalprävention",
        "start": datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN),
        "end": datetime(2026, 12, 3, 16, 30, tzinfo=BERLIN),
        "changed": CHANGED,
        "description": "Tagesordnung:\n1. Begrüßung; 2. Berichte, Ausblick",
        "location": "Rathaus, Saal 2; Marktplatz 1, 12345 Bachtal",
        "url": "https://kkp.test/events/netzwerktreffen-dezember",
        "organizer_name": "Geschäftsstelle KKP",
        "organizer_email": "kkp@kkp.test",
    }
    return CalendarEvent(**{**values, **changes})


def _lines(raw: bytes) -> list[bytes]:
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    return raw.split(b"\r\n")[:-1]


def _unfolded(raw: bytes) -> str:
    return raw.decode().replace("\r\n ", "")


def _parse_all(raw: bytes):
    parsed = icalendar.Calendar.from_ical(raw)
    IcsCalendarStream.calendar_from_ics(raw.decode())
    vcal = vobject.readOne(io.StringIO(raw.decode()))
    return parsed, vcal


def test_a_request_has_what_clients_need():
    raw = invitation(_event(), attendee_name="Anna Berger", attendee_email="anna@example.org")
    assert all(len(line) <= 75 for line in _lines(raw))
    text = _unfolded(raw)
    for needed in ("METHOD:REQUEST", "VERSION:2.0", "PRODID:", "UID:event-17@kkp.test",
                   "DTSTAMP:20261102T091500Z", "DTSTART;TZID=Europe/Berlin:20261203T140000",
                   "DTEND;TZID=Europe/Berlin:20261203T163000", "BEGIN:VTIMEZONE",
                   "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "ORGANIZER;CN=",
                   "mailto:kkp@kkp.test", "PARTSTAT=NEEDS-ACTION", "RSVP=TRUE",
                   "mailto:anna@example.org"):  # fmt: skip
        assert needed in text, needed
    assert "SEQUENCE" not in text and "DURATION" not in text and "RDATE" not in text
    assert "LOCATION:Rathaus\\, Saal 2\\; Marktplatz 1\\, 12345 Bachtal" in text
    assert "DESCRIPTION:Tagesordnung:\\n1. Begrüßung\\; 2. Berichte\\, Ausblick" in text
    parsed, vcal = _parse_all(raw)
    [vevent] = parsed.walk("VEVENT")
    assert vevent["DTSTART"].dt == datetime(2026, 12, 3, 14, 0, tzinfo=BERLIN)
    assert str(vevent["LOCATION"]) == "Rathaus, Saal 2; Marktplatz 1, 12345 Bachtal"
    assert vcal.vevent.dtstart.value.astimezone(UTC) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)


def test_the_same_data_gives_the_same_bytes_and_an_update_raises_the_sequence():
    first = invitation(_event(), attendee_name="A", attendee_email="a@example.org")
    again = invitation(_event(), attendee_name="A", attendee_email="a@example.org")
    assert first == again
    moved = invitation(
        _event(sequence=1, start=datetime(2026, 12, 3, 15, 0, tzinfo=BERLIN)),
        attendee_name="A",
        attendee_email="a@example.org",
    )
    assert "SEQUENCE:1" in _unfolded(moved) and "UID:event-17@kkp.test" in _unfolded(moved)


def test_a_cancel_is_marked_and_keeps_the_uid():
    raw = invitation(
        _event(sequence=2), attendee_name="A", attendee_email="a@example.org", method="CANCEL"
    )
    text = _unfolded(raw)
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text and "SEQUENCE:2" in text
    assert "VALARM" not in text and "RSVP" not in text
    _parse_all(raw)


def test_names_and_titles_never_inject_a_property():
    raw = invitation(
        _event(
            summary="Treffen\r\nATTENDEE:mailto:evil@example.org",
            location="Saal\nORGANIZER:mailto:evil@example.org",
            organizer_name='KKP"; X-EVIL=1',
        ),
        attendee_name="Anna\r\nATTENDEE:mailto:x@example.org",
        attendee_email="anna@example.org",
    )
    lines = _unfolded(raw).split("\r\n")
    assert not any(line.startswith(("ATTENDEE:", "ORGANIZER:mailto:evil")) for line in lines)
    parsed, _ = _parse_all(raw)
    [vevent] = parsed.walk("VEVENT")
    attendees = vevent.get("ATTENDEE")
    assert str(attendees) == "mailto:anna@example.org"
    assert str(vevent["SUMMARY"]) == "Treffen\nATTENDEE:mailto:evil@example.org"


def test_folding_never_splits_a_character():
    raw = invitation(
        _event(description="Prävention " * 40 + "äöüß€" * 30),
        attendee_name="Jörg Müller-Lüdenscheidt",
        attendee_email="j@example.org",
    )
    for line in _lines(raw):
        assert len(line) <= 75
        line.decode("utf-8")  # each physical line is whole UTF-8
    _parse_all(raw)


def test_the_second_of_two_equal_october_times_is_written_in_utc():
    second = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN, fold=1)
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    raw = invitation(
        _event(start=second, end=datetime(2026, 10, 25, 4, 0, tzinfo=BERLIN)),
        attendee_name="A",
        attendee_email="a@example.org",
    )
    assert "DTSTART:20261025T013000Z" in _unfolded(raw)
    raw = invitation(
        _event(start=first, end=datetime(2026, 10, 25, 4, 0, tzinfo=BERLIN)),
        attendee_name="A",
        attendee_email="a@example.org",
    )
    assert "DTSTART;TZID=Europe/Berlin:20261025T023000" in _unfolded(raw)
    parsed, _ = _parse_all(raw)
    [vevent] = parsed.walk("VEVENT")
    assert vevent["DTSTART"].dt.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_an_all_day_event_has_dates_and_an_exclusive_end():
    raw = invitation(
        _event(start=date(2026, 9, 14), end=date(2026, 9, 15)),
        attendee_name="A",
        attendee_email="a@example.org",
    )
    text = _unfolded(raw)
    assert "DTSTART;VALUE=DATE:20260914" in text and "DTEND;VALUE=DATE:20260916" in text
    assert "BEGIN:VTIMEZONE" not in text
    _parse_all(raw)


def test_the_subscribable_calendar():
    events = [
        _event(uid="b@kkp.test", start=datetime(2027, 1, 5, 10, tzinfo=BERLIN),
               end=datetime(2027, 1, 5, 12, tzinfo=BERLIN)),
        _event(uid="a@kkp.test", status="CANCELLED", sequence=3),
    ]  # fmt: skip
    raw = calendar_feed(events, name="KKP Bachtal: Veranstaltungen")
    assert raw == calendar_feed(list(reversed(events)), name="KKP Bachtal: Veranstaltungen")
    text = _unfolded(raw)
    assert "METHOD" not in text and "ATTENDEE" not in text
    for needed in ("NAME:KKP Bachtal: Veranstaltungen", "X-WR-CALNAME:KKP Bachtal",
                   "X-WR-TIMEZONE:Europe/Berlin", "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
                   "X-PUBLISHED-TTL:PT1H", "STATUS:CANCELLED"):  # fmt: skip
        assert needed in text, needed
    assert text.index("UID:a@kkp.test") < text.index("UID:b@kkp.test")  # by start
    parsed, vcal = _parse_all(raw)
    assert len(parsed.walk("VEVENT")) == 2
    assert len(list(vcal.vevent_list)) == 2
