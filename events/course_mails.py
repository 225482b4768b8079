"""Mail about a whole course, one builder per kind (see :mod:`events.mails` for a
single date's). The course's mails list every date; each date's calendar entry (a
REQUEST, or a CANCEL when the booking ends) is a mail of its own, since a mail carries
one calendar object and clients take one event from it. A builder reads the booking
and the dates as they are when the mail is sent."""

from __future__ import annotations

import math

from flask import current_app

from events import ical
from events.calendars import calendar_event
from events.course_dates import booking_dates
from events.course_models import CourseBooking
from events.course_notices import confirm_token_for, token_for
from events.course_seats import waiting_place
from events.dates import instant_text, when
from events.mails import mail_context, shows_place_and_link
from events.models import (
    ACTIVE,
    UNCONFIRMED,
    EventMailKind,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.message import add_calendar, mailbox
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder
from kkp.mail.render import render_mail

#: the booking statuses for which a course mail still makes sense when it is sent
COURSE_KINDS = {
    EventMailKind.COURSE_REQUEST: UNCONFIRMED,
    EventMailKind.COURSE_LINK: ACTIVE,
    EventMailKind.COURSE_CONFIRMATION: (RegistrationStatus.CONFIRMED,),
    EventMailKind.COURSE_WAITING: (RegistrationStatus.WAITING,),
    EventMailKind.COURSE_PROMOTED: (RegistrationStatus.CONFIRMED,),
    EventMailKind.COURSE_CANCELLED: (RegistrationStatus.CANCELLED,),
}
#: the kinds that show the join links (only to those with a seat)
SHOWS_JOIN_LINK = (EventMailKind.COURSE_CONFIRMATION, EventMailKind.COURSE_PROMOTED)


def booking_url(booking: CourseBooking) -> str:
    return f"{current_app.config['KKP_BASE_URL']}/events/booking/{token_for(booking)}"


def course_context(kind: str, booking: CourseBooking, params: dict | None = None) -> dict:
    """What the templates of course mail `kind` need (`templates/mail/<kind>/`)."""
    base = current_app.config["KKP_BASE_URL"]
    locale = booking.locale if booking.locale in ("de", "en") else "de"
    series = booking.series
    dates = [
        {
            "when": when(event, locale),
            "place": event.place if on_site else "",
            "online": online,
            "join_url": event.join_url if online else "",
        }
        for event, _registration in booking_dates(booking)
        if event.status == EventStatus.PUBLISHED
        # a hybrid course: on site the address, online the link (as for a single date)
        for on_site, online in [shows_place_and_link(event, booking.participation)]
    ]
    context = {
        "booking": booking,
        "series": series,
        "dates": dates,
        "cost_note": next((e.cost_note for e in series.events if e.cost_note), ""),
        "show_join": kind in SHOWS_JOIN_LINK,
        "course_url": f"{base}/events/series/{series.slug}",
        "booking_url": booking_url(booking),
        "place_in_line": waiting_place(booking),
        "had": (params or {}).get("had"),
        "confirm_url": "",
        "hold_minutes": 0,
        "hold_until": "",
    }
    if booking.status in UNCONFIRMED and booking.hold_until is not None:
        left = (booking.hold_until - utcnow()).total_seconds()
        context.update(
            confirm_url=f"{base}/events/booking/confirm/{confirm_token_for(booking)}",
            hold_minutes=max(1, math.ceil(left / 60)),
            hold_until=instant_text(booking.hold_until, locale),
        )
    return context


def _build_course(kind: str, delivery: Delivery):
    booking = db.session.get(CourseBooking, delivery.params.get("booking_id") or 0)
    if booking is None:
        raise NotDeliverable("the booking was deleted")
    if booking.status not in COURSE_KINDS[kind]:
        raise NotDeliverable(f"the booking is {booking.status} now")
    locale = booking.locale if booking.locale in ("de", "en") else "de"
    context = course_context(kind, booking, delivery.params)
    return render_mail(kind, context, to=mailbox(booking.name, booking.email), locale=locale)


def _build_date(kind: str, delivery: Delivery):
    """One date's calendar entry (REQUEST) or its removal (CANCEL)."""
    registration = db.session.get(Registration, delivery.params.get("registration_id") or 0)
    if registration is None or registration.booking is None:
        raise NotDeliverable("the registration was deleted")
    adds = kind == EventMailKind.COURSE_DATE
    wanted = RegistrationStatus.CONFIRMED if adds else RegistrationStatus.CANCELLED
    if registration.status != wanted:
        raise NotDeliverable(f"the registration is {registration.status} now")
    event = registration.event
    if event.status == EventStatus.CANCELLED:
        raise NotDeliverable("the event was cancelled")
    booking = registration.booking
    locale = registration.locale if registration.locale in ("de", "en") else "de"
    method = "REQUEST" if adds else "CANCEL"
    like = EventMailKind.CONFIRMATION if adds else EventMailKind.REGISTRATION_CANCELLED
    context = mail_context(like, registration, event, removes_calendar_entry=not adds)
    dates = [e.id for e, _r in booking_dates(booking)]
    context.update(
        manage_url=booking_url(booking),
        date_number=dates.index(event.id) + 1 if event.id in dates else 1,
        date_total=len(dates),
    )
    msg = render_mail(
        kind, context, to=mailbox(registration.name, registration.email), locale=locale
    )
    ics = ical.invitation(
        calendar_event(event, for_participant=True, participation=registration.participation),
        attendee_name=registration.name,
        attendee_email=registration.email,
        method=method,
    )
    add_calendar(
        msg, ics, method=method, filename="einladung.ics" if locale == "de" else "invite.ics"
    )
    return msg


#: the mails a person waits for right after she booked, confirmed or cancelled (a
#: confirmed booking's dates come with its confirmation): the interactive lane
INTERACTIVE = {
    EventMailKind.COURSE_REQUEST,
    EventMailKind.COURSE_LINK,
    EventMailKind.COURSE_CONFIRMATION,
    EventMailKind.COURSE_WAITING,
    EventMailKind.COURSE_CANCELLED,
    EventMailKind.COURSE_DATE,
    EventMailKind.COURSE_DATE_CANCELLED,
}


def _register(kind: str, build) -> None:
    message_builder(kind, interactive=kind in INTERACTIVE)(lambda delivery: build(kind, delivery))


for _kind in COURSE_KINDS:
    _register(_kind, _build_course)
for _kind in (EventMailKind.COURSE_DATE, EventMailKind.COURSE_DATE_CANCELLED):
    _register(_kind, _build_date)
