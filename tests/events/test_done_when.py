"""The issue's "Done when", through the editors' and the participants' pages:

An editor creates a training with three dates and a network meeting, publishes them,
invites the "Netzwerktreffen" list; participants register until the waiting list
fills, one cancels, the next moves up, the editor moves the meeting by an hour and
then cancels it. Every participant's mailbox shows the invitation, the update and
the cancellation with the right UID and SEQUENCE; /calendar.ics shows the changes.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from datetime import timedelta

import icalendar
import sqlalchemy as sa
import vobject
from ical.calendar_stream import IcsCalendarStream

from events.models import Event, Registration
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from tests.helpers import links, parse_mail, post_form, text_of
from tests.newsletter.conftest import add_confirmed


def _event_form(kinds, **changes) -> dict:
    day = (utcnow().astimezone(BERLIN) + timedelta(days=21)).date()
    values = {
        "kind_id": kinds["fortbildung"],
        "title": "Fortbildung: Sicherheit im Quartier",
        "summary": "Grundlagen der städtebaulichen Kriminalprävention",
        "description": "Drei Termine, aufeinander aufbauend.",
        "format": "in_person",
        "venue": "Bildungszentrum am Park",
        "address": "Parkstraße 3, 09111 Chemnitz",
        "join_url": "",
        "start_day": day.isoformat(),
        "start_time": "09:30",
        "end_day": day.isoformat(),
        "end_time": "15:30",
        "organizer_name": "Koordinierungsstelle",
        "organizer_email": "kkp@example.org",
        "audience": "Fachkräfte der Kommunen",
        "cost_note": "kostenfrei",
        "registration_mode": "open",
        "capacity": "2",
        "deadline_day": (day - timedelta(days=7)).isoformat(),
        "deadline_time": "",
        "reminder_hours": "24",
        "series_id": "0",
    }
    return {**values, **changes}


def _meeting_form(kinds, day, start: str, end: str) -> dict:
    """The network meeting: hybrid, by invitation, two seats."""
    return _event_form(
        kinds,
        kind_id=kinds["netzwerktreffen"],
        title="Netzwerktreffen Frühjahr",
        format="hybrid",
        join_url="https://meet.example.org/netzwerk",
        start_day=day.isoformat(),
        end_day=day.isoformat(),
        start_time=start,
        end_time=end,
        registration_mode="invitation",
        deadline_day="",
    )


def _calendar_of(msg) -> tuple[str, str, int]:
    """(METHOD, UID, SEQUENCE) of the mail's calendar part, read by three parsers."""
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    raw = part.get_payload(decode=True)
    IcsCalendarStream.calendar_from_ics(raw.decode())
    vobject.readOne(io.StringIO(raw.decode()))
    calendar = icalendar.Calendar.from_ical(raw)
    vevent = calendar.walk("VEVENT")[0]
    assert part.get_param("method") == str(calendar["METHOD"])
    return str(calendar["METHOD"]), str(vevent["UID"]), int(vevent.get("SEQUENCE", 0))


def test_done_when(app, logged_in, kinds, lists, worker, drain, mail):
    client = logged_in
    # -- the editor: a training in three dates and a network meeting ---------------------
    response = post_form(client, "/admin/events/new", _event_form(kinds))
    assert response.status_code == 303, response.get_data(as_text=True)
    training = db.session.scalar(sa.select(Event).order_by(Event.id.desc()))
    for weeks in (1, 2):
        day = training.first_day + timedelta(weeks=weeks)
        response = post_form(
            client,
            f"/admin/events/{training.id}/copy",
            {"copy_day": day.isoformat()},
            page=f"/admin/events/{training.id}/edit",
        )
        assert response.status_code == 303
    meeting_day = training.first_day + timedelta(days=3)
    response = post_form(
        client, "/admin/events/new", _meeting_form(kinds, meeting_day, "14:00", "16:00")
    )
    assert response.status_code == 303
    events = db.session.scalars(sa.select(Event).order_by(Event.id)).all()
    assert len(events) == 4
    meeting = events[-1]
    dates = [e for e in events if e.series_id == training.series_id]
    assert len(dates) == 3 and training.series_id is not None
    for event in events:
        response = post_form(
            client, f"/admin/events/{event.id}/publish", {}, page=f"/admin/events/{event.id}/edit"
        )
        assert response.status_code == 303
    db.session.expire_all()
    assert {e.status for e in db.session.scalars(sa.select(Event))} == {"published"}
    page = client.get("/events/").get_data(as_text=True)
    assert page.count("Fortbildung: Sicherheit im Quartier") >= 3
    assert "Netzwerktreffen Frühjahr" in page

    # -- the list is invited; three people, two seats ------------------------------------
    add_confirmed([lists["netzwerktreffen"]], 3)
    db.session.commit()
    response = post_form(
        client,
        f"/admin/events/{meeting.id}/participants/invite",
        {"list_id": str(lists["netzwerktreffen"])},
        page=f"/admin/events/{meeting.id}/participants",
    )
    assert response.status_code == 200  # the confirm page first: how many are invited
    assert re.search(
        r'id="confirm-touches">3 Personen bekommen eine Einladung', response.get_data(as_text=True)
    )
    response = post_form(
        client,
        f"/admin/events/{meeting.id}/participants/invite",
        {"list_id": str(lists["netzwerktreffen"]), "confirmed": "1"},
        page=f"/admin/events/{meeting.id}/participants",
    )
    assert response.status_code == 303
    drain()
    invitations = {m["to"][0]: parse_mail(m["data"]) for m in mail.wait_for(3)}
    assert set(invitations) == {f"person{n}@example.org" for n in range(3)}
    mailbox: dict[str, list] = defaultdict(list)
    for address, msg in invitations.items():
        mailbox[address].append(msg)
    mail.clear()

    public = app.test_client()  # participants have no editor session
    tokens = {}
    for n in range(3):
        address = f"person{n}@example.org"
        found = links(text_of(invitations[address]), "/registrations/")
        assert {link.partition("?")[2] for link in found} == {"answer=accept", "answer=decline"}
        (tokens[address],) = {link.partition("?")[0] for link in found}
        response = post_form(
            public, tokens[address], {"action": "accept", "participation": "on_site"}
        )
        assert response.status_code in (302, 303), response.get_data(as_text=True)
    statuses = dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())
    assert statuses == {
        "person0@example.org": "confirmed",
        "person1@example.org": "confirmed",
        "person2@example.org": "waiting",
    }
    # the training: register through the public form until its waiting list fills
    for n, name in enumerate(("Clara Neumann", "David Öztürk", "Emil Sauer")):
        response = post_form(
            public,
            f"/events/{training.slug}",
            {
                "name": name,
                "email": f"teilnahme{n}@example.org",
                "organisation": "Stadt Chemnitz",
                "consent": "y",
                "consent_version": "1",
            },
        )
        assert response.status_code == 303, response.get_data(as_text=True)
    outcome = public.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bitte schauen Sie in Ihr E-Mail-Postfach" in outcome  # the same for everyone
    drain()
    for item in mail.wait_for(6):  # 3 accepted invitations, 3 requests to confirm
        mailbox[item["to"][0]].append(parse_mail(item["data"]))
    mail.clear()
    for n in range(3):  # each clicks the link in the mail and the button
        (request,) = mailbox[f"teilnahme{n}@example.org"]
        (link,) = set(links(text_of(request), "/registrations/confirm/"))
        response = post_form(public, link, {})
        assert response.status_code == 303, response.get_data(as_text=True)
    outcome = public.get(response.headers["Location"]).get_data(as_text=True)
    assert "Sie stehen auf Platz 1 der Warteliste" in outcome
    drain()
    for item in mail.wait_for(3):
        mailbox[item["to"][0]].append(parse_mail(item["data"]))
    mail.clear()

    # -- one cancels, the next moves up ---------------------------------------------------
    response = post_form(public, tokens["person0@example.org"], {"action": "cancel"})
    assert response.status_code in (302, 303)
    drain()
    for item in mail.wait_for(2):
        mailbox[item["to"][0]].append(parse_mail(item["data"]))
    mail.clear()
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(Registration.status).where(Registration.email == "person2@example.org")
        )
        == "confirmed"
    )

    # -- the editor moves the meeting by an hour, then cancels it -------------------------
    meeting = db.session.get(Event, meeting.id)
    form = _meeting_form(kinds, meeting_day, "15:00", "17:00")  # an hour later
    response = post_form(client, f"/admin/events/{meeting.id}/edit", form)
    assert response.status_code == 200 and 'id="confirm-save"' in response.get_data(as_text=True)
    form["confirmed"] = "1"  # the editor confirms that the two are told
    response = post_form(client, f"/admin/events/{meeting.id}/edit", form)
    assert response.status_code == 303, response.get_data(as_text=True)
    drain()
    for item in mail.wait_for(2):
        mailbox[item["to"][0]].append(parse_mail(item["data"]))
    mail.clear()
    response = post_form(client, f"/admin/events/{meeting.id}/cancel", {})
    assert response.status_code == 303, response.get_data(as_text=True)
    drain()
    for item in mail.wait_for(2):
        mailbox[item["to"][0]].append(parse_mail(item["data"]))
    mail.clear()

    # -- every mailbox: invitation, update, cancellation, one UID, rising SEQUENCE --------
    db.session.expire_all()
    meeting = db.session.get(Event, meeting.id)
    seen = {
        address: [_calendar_of(m) for m in msgs if m.get_content_type() == "multipart/mixed"]
        for address, msgs in mailbox.items()
        if address.startswith("person")
    }
    uid = meeting.uid
    assert all(u == uid for calendars in seen.values() for _, u, _ in calendars)
    # person0: invited, accepted (confirmed), cancelled themselves
    assert [(m, s) for m, _, s in seen["person0@example.org"]] == [
        ("REQUEST", 0),
        ("REQUEST", 0),
        ("CANCEL", 1),
    ]
    # person1: invited, accepted (confirmed); the move and the cancellation
    assert [(m, s) for m, _, s in seen["person1@example.org"]] == [
        ("REQUEST", 0),
        ("REQUEST", 0),
        ("REQUEST", 2),
        ("CANCEL", 3),
    ]
    # person2: invited, waiting (no calendar), moved up, the move, the cancellation
    assert [(m, s) for m, _, s in seen["person2@example.org"]] == [
        ("REQUEST", 0),
        ("REQUEST", 1),
        ("REQUEST", 2),
        ("CANCEL", 3),
    ]
    subjects = [str(m["Subject"]) for m in mailbox["person2@example.org"]]
    assert subjects == [
        "Einladung: Netzwerktreffen Frühjahr",
        "Warteliste: Netzwerktreffen Frühjahr",
        "Ein Platz ist frei geworden, Sie sind angemeldet: Netzwerktreffen Frühjahr",
        "Geändert: Netzwerktreffen Frühjahr",
        "Abgesagt: Netzwerktreffen Frühjahr",
    ]
    assert "15:00–17:00 Uhr" in text_of(mailbox["person2@example.org"][3])
    # the training's three participants: each a request to confirm, then two
    # calendar invitations and one waiting-list mail
    training_mail = [m for a, msgs in mailbox.items() if a.startswith("teilnahme") for m in msgs]
    assert sorted(m.get_content_type() for m in training_mail) == [
        "multipart/alternative",
        "multipart/alternative",
        "multipart/alternative",
        "multipart/alternative",
        "multipart/mixed",
        "multipart/mixed",
    ]

    # -- the subscribed calendar shows the changes ----------------------------------------
    response = app.test_client().get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    calendar = icalendar.Calendar.from_ical(raw)
    vobject.readOne(io.StringIO(raw.decode()))
    IcsCalendarStream.calendar_from_ics(raw.decode())
    by_uid = {str(v["UID"]): v for v in calendar.walk("VEVENT")}
    assert len(by_uid) == 4
    moved = by_uid[uid]
    assert str(moved["STATUS"]) == "CANCELLED" and int(moved["SEQUENCE"]) == 3
    assert moved.decoded("DTSTART").astimezone(BERLIN).strftime("%H:%M") == "15:00"
    unfolded = raw.decode().replace("\r\n ", "")
    assert re.search(r"DTSTART;TZID=Europe/Berlin:\d{8}T150000", unfolded)
