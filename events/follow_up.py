"""The follow-up mail after an event or a course: the titles of its materials and the
link to her own page, where they are (no attachments). The editor sends it from the
materials page to the confirmed participants, or only to those marked present; each
registration (a single event) or booking (a course) gets it once ever: its delivery
row's params name it, and whoever has one is passed over the next time.

A single event's mail goes to its own registrations; the dates of a course belong to
their bookings, which get the course's mail."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from events.course_models import CourseBooking
from events.course_notices import queue_booking_mail
from events.course_notices import token_for as booking_token_for
from events.errors import EventStateError
from events.material_models import EventMaterial
from events.materials import Owner, begins_at, booking_materials, materials_of
from events.models import (
    AttendanceStatus,
    Event,
    EventMailKind,
    Registration,
    RegistrationStatus,
)
from events.notices import queue_mail
from events.registrations import token_for
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.message import mailbox
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder
from kkp.mail.render import render_mail

log = logging.getLogger(__name__)

Recipient = Registration | CourseBooking


def _key(owner: Owner) -> str:
    return "registration_id" if isinstance(owner, Event) else "booking_id"


def _confirmed(owner: Owner, present_only: bool) -> list[Recipient]:
    if isinstance(owner, Event):
        query = sa.select(Registration).where(
            Registration.event_id == owner.id,
            Registration.booking_id.is_(None),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        if present_only:
            query = query.where(Registration.attendance == AttendanceStatus.PRESENT)
        return list(db.session.scalars(query.order_by(Registration.id)))
    query = sa.select(CourseBooking).where(
        CourseBooking.series_id == owner.id, CourseBooking.status == RegistrationStatus.CONFIRMED
    )
    if present_only:
        query = query.where(
            CourseBooking.id.in_(
                sa.select(Registration.booking_id).where(
                    Registration.attendance == AttendanceStatus.PRESENT
                )
            )
        )
    return list(db.session.scalars(query.order_by(CourseBooking.id)))


def _mailed(owner: Owner, people: list[Recipient]) -> set[int]:
    """The ids among `people` whose follow-up mail is written already."""
    if not people:
        return set()
    key = _key(owner)
    rows = db.session.execute(
        sa.select(Delivery.params).where(
            Delivery.kind == EventMailKind.FOLLOW_UP,
            Delivery.recipient.in_({person.email for person in people}),
        )
    ).all()
    ids = {person.id for person in people}
    return {(params or {}).get(key) for (params,) in rows} & ids


def recipients(owner: Owner, *, present_only: bool = False) -> list[Recipient]:
    """Who a send would mail now: confirmed (or present) and not mailed before."""
    people = _confirmed(owner, present_only)
    mailed = _mailed(owner, people)
    return [person for person in people if person.id not in mailed]


def send_follow_up(owner: Owner, now: datetime, *, present_only: bool = False) -> int:
    """Queue the follow-up mail to each of :func:`recipients` (sent after the commit);
    how many. Raises :class:`EventStateError` before the event has begun or when it
    has no materials."""
    start = begins_at(owner)
    if start is None or start > now:
        raise EventStateError(_("The follow-up mail can be sent once the event has begun."))
    if not materials_of(owner):
        raise EventStateError(_("Please add materials before sending the follow-up mail."))
    people = recipients(owner, present_only=present_only)
    for person in people:
        if isinstance(person, Registration):
            queue_mail(EventMailKind.FOLLOW_UP, person)
        else:
            queue_booking_mail(EventMailKind.FOLLOW_UP, person)
    if people:
        audit(
            "event.follow_up" if isinstance(owner, Event) else "event_series.follow_up",
            owner,
            recipients=len(people),
            # only those marked present, in the log's words for the mark
            **({"attendance": AttendanceStatus.PRESENT} if present_only else {}),
        )
    log.info("%s %s: follow-up mail to %d", type(owner).__name__, owner.id, len(people))
    return len(people)


def _page_url(person: Recipient) -> str:
    base = current_app.config["KKP_BASE_URL"]
    if isinstance(person, Registration):
        return f"{base}/registrations/{token_for(person)}"
    return f"{base}/events/booking/{booking_token_for(person)}"


def follow_up_context(person: Recipient, title: str, materials: list[EventMaterial]) -> dict:
    """What `templates/mail/event_follow_up/` needs."""
    return {
        "name": person.name,
        "title": title,
        "materials": [material.title for material in materials],
        "page_url": _page_url(person),
    }


@message_builder(EventMailKind.FOLLOW_UP)
def follow_up_message(delivery: Delivery) -> EmailMessage:
    params = delivery.params or {}
    if params.get("booking_id"):
        person = db.session.get(CourseBooking, params["booking_id"])
        if person is None:
            raise NotDeliverable("the booking was deleted")
        title, materials = person.series.title, booking_materials(person, utcnow())
    else:
        person = db.session.get(Registration, params.get("registration_id") or 0)
        if person is None:
            raise NotDeliverable("the registration was deleted")
        title, materials = person.event.title, materials_of(person.event)
    if person.status != RegistrationStatus.CONFIRMED or person.anonymised_at is not None:
        raise NotDeliverable(f"the registration or booking is {person.status} now")
    if not materials:
        raise NotDeliverable("the materials were deleted")
    locale = person.locale if person.locale in ("de", "en") else "de"
    return render_mail(
        EventMailKind.FOLLOW_UP,
        follow_up_context(person, title, materials),
        to=mailbox(person.name, delivery.recipient),
        locale=locale,
    )
