"""Mail to participants as Outlook, Gmail and Apple Mail need it (STANDARDS.md,
"Invitations by mail"): read back with Python's `email` parser and three calendar
parsers that did not write the calendar."""

from __future__ import annotations

import io
from datetime import time, timedelta

import icalendar
import vobject
from ical.calendar_stream import IcsCalendarStream

from kkp.db import utcnow
from kkp.extensions import db
from tests.events.conftest import register_confirmed
from tests.helpers import parse_mail, text_of

ATTACKER = "Anna\r\nATTENDEE:mailto:x@evil.example"


def _calendar_part(msg):
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    return parts[0]


def _calendar(msg) -> tuple[str, icalendar.Calendar]:
    part = _calendar_part(msg)
    raw = part.get_payload(decode=True)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    IcsCalendarStream.calendar_from_ics(raw.decode())
    vobject.readOne(io.StringIO(raw.decode()))
    return raw.decode().replace("\r\n ", ""), icalendar.Calendar.from_ical(raw)


def _mails_to(mail, address: str, count: int = 1):
    found = []
    for item in mail.wait_for(count):
        if address in item["to"]:
            found.append(parse_mail(item["data"]))
    return found


def _register(event, email, name="Anna Berger", **kwargs):
    registration, outcome = register_confirmed(event.id, name=name, email=email, **kwargs)
    db.session.commit()
    return registration, outcome


def test_confirmation_is_an_invitation_clients_show(make_event, mail, drain):
    event = make_event(
        "Fortbildung: Gesprächsführung", format="hybrid", join_url="https://meet.example.org/r/42"
    )
    _register(event, "anna@example.org", participation="on_site")
    drain()
    (msg,) = _mails_to(mail, "anna@example.org")

    # multipart/mixed > multipart/alternative (text, html, calendar) + .ics
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert attachment.get_content_type() == "application/ics"
    assert attachment.get_filename() == "einladung.ics"
    calendar_part = _calendar_part(msg)
    assert calendar_part.get_param("method") == "REQUEST"
    assert calendar_part.get_param("charset").upper() == "UTF-8"

    text, parsed = _calendar(msg)
    assert "METHOD:REQUEST" in text and "VERSION:2.0" in text and "PRODID:" in text
    assert text.count("UID:") == 1 and f"UID:{event.uid}" in text
    assert "DTSTART;TZID=Europe/Berlin:" in text and "BEGIN:VTIMEZONE" in text
    assert "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU" in text
    assert "ORGANIZER;CN=Koordinierungsstelle:mailto:kkp@example.org" in text
    attendees = [line for line in text.split("\r\n") if line.startswith("ATTENDEE")]
    assert len(attendees) == 1  # only the recipient
    assert "PARTSTAT=NEEDS-ACTION" in attendees[0] and "RSVP=TRUE" in attendees[0]
    assert attendees[0].endswith("mailto:anna@example.org")
    assert "SEQUENCE" not in text  # 0 is left out
    assert not ("DTEND" in text and "DURATION" in text)
    vevent = parsed.walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == "Fortbildung: Gesprächsführung"

    # the body shows date and place (Outlook shows the body, not DESCRIPTION); who
    # takes part on site gets no join link
    body = text_of(msg)
    assert "10:00–12:00 Uhr" in body
    assert "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden" in body
    assert "https://meet.example.org/r/42" not in body
    assert "/registrations/" in body
    assert msg["Subject"] == "Anmeldung bestätigt: Fortbildung: Gesprächsführung"


def test_waiting_list_mail_has_no_invitation_and_promotion_has_one(make_event, mail, drain):
    from events.registrations import cancel

    event = make_event(capacity=1)
    first, _ = _register(event, "erste@example.org", "Erste")
    _second, outcome = _register(event, "zweite@example.org", "Zweite")
    assert outcome == "waiting"
    drain()
    (waiting,) = _mails_to(mail, "zweite@example.org", 2)
    assert all(p.get_content_type() != "text/calendar" for p in waiting.walk())
    assert "Platz 1" in text_of(waiting)
    mail.clear()

    cancel(first)
    db.session.commit()
    drain()
    messages = mail.wait_for(2)
    by_address = {m["to"][0]: parse_mail(m["data"]) for m in messages}
    cancelled = by_address["erste@example.org"]
    text, _ = _calendar(cancelled)
    assert _calendar_part(cancelled).get_param("method") == "CANCEL"
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text and "SEQUENCE:1" in text
    assert "VALARM" not in text
    promoted = by_address["zweite@example.org"]
    text, _ = _calendar(promoted)
    assert "METHOD:REQUEST" in text and f"UID:{event.uid}" in text
    assert "Platz" in promoted["Subject"]


def test_update_and_cancellation_keep_the_uid_and_raise_the_sequence(make_event, mail, drain):
    from events.operations import cancel_event, input_from, update_event

    event = make_event(capacity=1)
    _register(event, "anna@example.org")
    _register(event, "bernd@example.org", "Bernd")  # waiting
    drain()
    mail.wait_for(2)
    mail.clear()

    data = input_from(event)
    data.start_time, data.end_time = time(11, 0), time(13, 0)
    assert update_event(event, data) == ["starts_at", "ends_at"]
    db.session.commit()
    drain()
    (update,) = mail.wait_for(1)
    assert update["to"] == ["anna@example.org"]  # the waiting list has no calendar entry
    msg = parse_mail(update["data"])
    text, _ = _calendar(msg)
    assert "METHOD:REQUEST" in text and "SEQUENCE:1" in text and f"UID:{event.uid}" in text
    assert "T110000" in text
    assert "11:00–13:00 Uhr" in text_of(msg)
    mail.clear()

    cancel_event(event)
    db.session.commit()
    drain()
    messages = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(2)}
    text, _ = _calendar(messages["anna@example.org"])
    assert "METHOD:CANCEL" in text and "SEQUENCE:2" in text and "STATUS:CANCELLED" in text
    waiting = messages["bernd@example.org"]
    assert all(p.get_content_type() != "text/calendar" for p in waiting.walk())
    assert waiting["Subject"].startswith("Abgesagt")


def test_a_title_change_moves_dtstamp_but_sends_nothing(make_event, mail, drain):
    from events.operations import input_from, update_event

    event = make_event()
    _register(event, "anna@example.org")
    drain()
    mail.wait_for(1)
    mail.clear()
    before = event.changed_at
    data = input_from(event)
    data.title = "Netzwerktreffen Nord (Frühjahr)"
    assert update_event(event, data) == []
    db.session.commit()
    drain()
    assert event.sequence == 0 and event.changed_at > before
    assert mail.messages == []


def test_names_never_inject_headers_or_calendar_properties(make_event, mail, drain):
    event = make_event("Treffen; Teil 1, Raum: 2")
    from events.registrations import add_participant

    # a form refuses CR/LF; an editor's add refuses it too
    try:
        add_participant(event.id, name=ATTACKER, email="anna@example.org")
    except ValueError as exc:
        assert "Zeilenumbrüche" in str(exc)
    else:
        raise AssertionError("a name with CR/LF was accepted")
    db.session.rollback()
    # text that is legitimate but full of calendar syntax is escaped
    _register(event, "anna@example.org", 'Anna "die Erste"; Berger, Dr.: X')
    drain()
    (msg,) = _mails_to(mail, "anna@example.org")
    assert msg["To"].addresses[0].username == "anna"
    text, parsed = _calendar(msg)
    attendees = [line for line in text.split("\r\n") if line.startswith("ATTENDEE")]
    assert len(attendees) == 1
    assert str(parsed.walk("VEVENT")[0]["SUMMARY"]) == "Treffen; Teil 1, Raum: 2"
    assert "SUMMARY:Treffen\\; Teil 1\\, Raum: 2" in text


def test_reminders_go_out_once_from_the_tick(app, make_event, mail, drain):
    from events.models import Event
    from service.schedule import run_due

    event = make_event(
        "Online-Infoveranstaltung",
        format="online",
        join_url="https://meet.example.org/info",
        days=3,
    )
    _register(event, "anna@example.org")
    drain()
    mail.wait_for(1)
    mail.clear()
    assert event.reminder_due_at is not None
    db.session.get(Event, event.id).reminder_due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    run_due()
    run_due()  # a second tick sends nothing twice
    drain()
    (reminder,) = mail.wait_for(1)
    msg = parse_mail(reminder["data"])
    assert msg["Subject"] == "Erinnerung: Online-Infoveranstaltung"
    assert "https://meet.example.org/info" in text_of(msg)
    assert len(mail.messages) == 1


def test_moving_the_event_replans_the_reminder(make_event):
    from events.operations import input_from, update_event

    event = make_event(days=10)
    due = event.reminder_due_at
    data = input_from(event)
    data.start_day = data.end_day = data.start_day + timedelta(days=2)
    update_event(event, data)
    assert event.reminder_due_at == due + timedelta(days=2)


def test_english_participants_get_english_mail(make_event, mail, drain):
    event = make_event()
    register_confirmed(event.id, name="Ann", email="ann@example.org", locale="en")
    db.session.commit()
    drain()
    (msg,) = _mails_to(mail, "ann@example.org")
    assert msg["Subject"] == "Registration confirmed: Netzwerktreffen Nord"
    assert _calendar_part(msg).get_param("method") == "REQUEST"
    assert [p.get_filename() for p in msg.walk() if p.get_filename()] == ["invite.ics"]


def test_labels_of_the_details_never_break(make_event, mail, drain):
    """Mail programs break a narrow label column anywhere ("Kost en"): each label
    keeps to one line (`nowrap`, also for Outlook, which ignores CSS there)."""
    from tests.helpers import elements, html_of, style_of

    event = make_event(
        "Fortbildung: Gesprächsführung",
        format="hybrid",
        join_url="https://meet.example.org/r/42-sehr-langer-raumname-ohne-leerzeichen",
        cost_note="kostenfrei; Reisekosten werden nicht erstattet",
    )
    _register(event, "anna@example.org", participation="online")
    drain()
    (msg,) = _mails_to(mail, "anna@example.org")
    labels = elements(html_of(msg), "th")
    assert [text for _attrs, text in labels] == ["Wann", "Online", "Kosten", "Kontakt"]
    for attrs, text in labels:
        assert "nowrap" in attrs, text
        style = style_of(attrs)
        assert style.get("white-space") == "nowrap", text
        assert "word-break" not in style and "overflow-wrap" not in style, text
