"""Seats: counting them under the event's lock, and whether registration is open.

Everything that hands out a seat first locks the event row (`SELECT … FOR UPDATE`
on PostgreSQL; a write on SQLite, which takes the database's write lock), then
counts: two people can never take the last seat together.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from events.errors import EventError, EventStateError
from events.models import (
    SEATED,
    Event,
    EventStatus,
    Registration,
    RegistrationMode,
    RegistrationStatus,
)
from kkp.db import utcnow
from kkp.extensions import db


class RegistrationClosed(EventStateError):
    """Registration is not (or no longer) possible for this event."""


def lock_event(event_id: int) -> Event:
    """The event, locked against other registrations until the transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(Event.id).where(Event.id == event_id).with_for_update())
    else:  # SQLite: the first write takes the database's write lock
        db.session.execute(sa.update(Event).where(Event.id == event_id).values(id=Event.id))
    event = db.session.get(Event, event_id, populate_existing=True)
    if event is None:
        raise EventError(_("This event does not exist."))
    return event


def confirmed_count(event_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event_id, Registration.status == RegistrationStatus.CONFIRMED
        )
    )


def seated_count(event_id: int) -> int:
    """Seats taken: confirmed, and held for someone who has yet to confirm."""
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status.in_(SEATED))
    )


def public_seats_left(event: Event) -> int | None:
    """Free seats as the public pages show them: capacity less confirmed seats. Seats
    held for people yet to confirm are left out, so that what a stranger types into
    the form (a known address changes nothing, a new one holds a seat) never shows."""
    if event.capacity is None:
        return None
    confirmed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED
        )
    )
    return max(0, event.capacity - confirmed)


def waiting_count(event_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITING)
    )


def seats_left(event: Event) -> int | None:
    """Free seats, or None when there is no limit."""
    if event.capacity is None:
        return None
    return max(0, event.capacity - seated_count(event.id))


def waiting_place(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            sa.or_(
                Registration.waiting_since < registration.waiting_since,
                sa.and_(
                    Registration.waiting_since == registration.waiting_since,
                    Registration.id <= registration.id,
                ),
            ),
        )
    )


def has_free_seat(event: Event) -> bool:
    """A seat for a newcomer: free, and nobody waiting before them."""
    if event.capacity is None:
        return True
    return seated_count(event.id) < event.capacity and waiting_count(event.id) == 0


def is_open(event: Event, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        event.status == EventStatus.PUBLISHED
        and event.registration_mode == RegistrationMode.OPEN
        and now < event.registration_closes_at()
    )


def require_open(event: Event, now: datetime, *, invited: bool = False) -> None:
    if event.status == EventStatus.CANCELLED:
        raise RegistrationClosed(_("This event has been cancelled."))
    if event.status != EventStatus.PUBLISHED:
        raise RegistrationClosed(_("This event is not open for registration."))
    if event.registration_mode == RegistrationMode.NONE:
        raise RegistrationClosed(_("This event needs no registration."))
    if event.registration_mode == RegistrationMode.INVITATION and not invited:
        raise RegistrationClosed(_("This event is by invitation only."))
    if now >= event.registration_closes_at():
        raise RegistrationClosed(_("The registration deadline has passed."))
