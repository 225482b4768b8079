"""iCalendar (RFC 5545) for events: invitations by mail (iTIP, RFC 5546) and the
subscribable calendars. Pure builders: data in, bytes out, the same bytes for the
same data.

Times are written with `TZID=Europe/Berlin` and a VTIMEZONE in RRULE form (Outlook
misreads the RDATE form that `icalendar` generates itself). The second of two equal
wall-clock times in October cannot be named that way, so such a time is written in
UTC. All-day events are dates, their DTEND the day after the last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

from kkp.i18n import BERLIN

PRODID = "-//KKP Kompakt//Veranstaltungen//DE"
TZID = "Europe/Berlin"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Europe/Berlin since 1996: CEST from the last Sunday in March, CET from the last
# Sunday in October, in the RRULE form every client reads.
VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Berlin\r\n"
    "BEGIN:DAYLIGHT\r\n"
    "TZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\n"
    "TZNAME:CEST\r\n"
    "DTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
    "END:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0200\r\n"
    "TZOFFSETTO:+0100\r\n"
    "TZNAME:CET\r\n"
    "DTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
    "END:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
)


@dataclass(frozen=True)
class CalendarEvent:
    """What a calendar needs of an event; `start`/`end` are aware datetimes, or dates
    for all-day events (`end` the last day)."""

    uid: str
    sequence: int
    summary: str
    start: datetime | date
    end: datetime | date
    #: the event's last change (UTC): DTSTAMP and LAST-MODIFIED, never "now"
    changed: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    organizer_name: str = ""
    organizer_email: str = ""
    #: "CONFIRMED" or "CANCELLED"
    status: str = "CONFIRMED"


def clean(text: str) -> str:
    """Text for a property: control characters out (line breaks stay, escaped as \\n
    by the writer); CR/LF normalised, so nothing can start a property of its own."""
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text)


def _name(text: str) -> str:
    """A parameter value (CN): one line, no double quotes."""
    return " ".join(clean(text).replace('"', "'").split())[:200]


def _address(email: str, name: str = "", **params: str) -> vCalAddress:
    address = vCalAddress("mailto:" + "".join(clean(email).split()))
    if name:
        address.params["CN"] = _name(name)
    for key, value in params.items():
        address.params[key] = value
    return address


def _when(value: datetime | date) -> datetime | date:
    """A datetime in Berlin time (written with TZID), in UTC if the wall-clock time
    exists twice and this is the second one."""
    if not isinstance(value, datetime):
        return value
    local = value.astimezone(BERLIN)  # sets fold=1 on the second of two equal times
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return value.astimezone(UTC)
    return local


def _vevent(event: CalendarEvent, *, attendee: tuple[str, str] | None, method: str) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.changed.astimezone(UTC))
    vevent.add("last-modified", event.changed.astimezone(UTC))
    if event.sequence:
        vevent.add("sequence", event.sequence)
    if isinstance(event.start, datetime):
        vevent.add("dtstart", _when(event.start))
        vevent.add("dtend", _when(event.end))
    else:
        vevent.add("dtstart", event.start)
        vevent.add("dtend", event.end + timedelta(days=1))  # exclusive
    vevent.add("summary", vText(clean(event.summary)))
    if event.description:
        vevent.add("description", vText(clean(event.description)))
    if event.location:
        vevent.add("location", vText(clean(event.location)))
    if event.url:
        vevent.add("url", clean(event.url).strip())
    status = "CANCELLED" if method == "CANCEL" else event.status
    vevent.add("status", status)
    vevent.add("transp", "OPAQUE")
    if event.organizer_email:
        vevent.add("organizer", _address(event.organizer_email, event.organizer_name))
    if attendee is not None:
        name, email = attendee
        params = {"ROLE": "REQ-PARTICIPANT", "CUTYPE": "INDIVIDUAL"}
        if method == "REQUEST":
            params |= {"PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}
        vevent.add("attendee", _address(email, name, **params))
    return vevent


def _calendar(method: str | None, extra: dict[str, str] | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    for key, value in (extra or {}).items():
        calendar.add(key, value)
    return calendar


def _with_timezone(calendar: Calendar, events: list[Event]) -> bytes:
    """The calendar's bytes with the hand-written VTIMEZONE before the events."""
    head = calendar.to_ical().decode()
    assert head.endswith("END:VCALENDAR\r\n")
    body = "".join(e.to_ical().decode() for e in events)
    needs_zone = "TZID=Europe/Berlin" in body
    return (
        head[: -len("END:VCALENDAR\r\n")]
        + (VTIMEZONE if needs_zone else "")
        + body
        + "END:VCALENDAR\r\n"
    ).encode()


def invitation(
    event: CalendarEvent, *, attendee_name: str, attendee_email: str, method: str = "REQUEST"
) -> bytes:
    """An iTIP message for one participant: REQUEST (new or changed) or CANCEL."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"method must be REQUEST or CANCEL, not {method!r}")
    vevent = _vevent(event, attendee=(attendee_name, attendee_email), method=method)
    return _with_timezone(_calendar(method), [vevent])


def calendar_feed(events: list[CalendarEvent], *, name: str, description: str = "") -> bytes:
    """A subscribable calendar (no METHOD): name, refresh interval, events in order.

    name: one line (line breaks become spaces); both are text the editors set (the
    office's name), cleaned as every property is.
    """
    name = " ".join(clean(name).split())
    extra = {
        "name": vText(name),
        "x-wr-calname": vText(name),
        "x-wr-timezone": TZID,
        "x-published-ttl": "PT1H",
    }
    if description:
        extra["x-wr-caldesc"] = vText(clean(description))
    calendar = _calendar(None, extra)
    calendar.add("refresh-interval", "PT1H", parameters={"VALUE": "DURATION"})
    ordered = sorted(events, key=lambda e: (_sort_key(e.start), e.uid))
    return _with_timezone(calendar, [_vevent(e, attendee=None, method="PUBLISH") for e in ordered])


def _sort_key(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=BERLIN).astimezone(UTC)
