"""Seats: counting them under the event's lock, and whether registration is open.

Everything that hands out a seat first locks the event row (`SELECT … FOR UPDATE`
on PostgreSQL; a write on SQLite, which takes the database's write lock), then
counts: two people can never take the last seat together.

A hybrid event has two pools of seats, counted apart: on site (`Event.capacity`)
and online (`Event.capacity_online`); its waiting list is one per pool. The
functions below take the pool as `participation` (see :func:`pool`): None counts the
whole event, as for events that are only one or the other.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from events.errors import EventError, EventStateError
from events.models import (
    PARTICIPATIONS,
    SEATED,
    Event,
    EventFormat,
    EventStatus,
    Participation,
    Registration,
    RegistrationMode,
    RegistrationStatus,
)
from kkp.db import utcnow
from kkp.extensions import db

#: the answer when a hybrid event's registration lacks the choice
PARTICIPATION_MISSING = _l("Please choose whether you take part on site or online.")


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


def hybrid_pool(hybrid: bool, participation: str | None) -> str | None:
    """The pool of seats `participation` takes: None (all seats) unless `hybrid`;
    there, "online" or "on_site" (no choice, from before, counts on site). A whole
    course's seats (:mod:`events.course_seats`) are pooled the same way."""
    if not hybrid:
        return None
    return Participation.ONLINE if participation == Participation.ONLINE else Participation.ON_SITE


def hybrid_pools(hybrid: bool) -> tuple[str | None, ...]:
    """Every pool: both kinds when `hybrid`, else all seats as one."""
    return (Participation.ON_SITE, Participation.ONLINE) if hybrid else (None,)


def checked_choice(hybrid: bool, participation: str | None) -> str:
    """What to store as a participation: the choice, required when `hybrid`; empty
    otherwise."""
    if not hybrid:
        return ""
    if participation not in PARTICIPATIONS:
        raise EventError(str(PARTICIPATION_MISSING), "participation")
    return participation


def pool(event: Event, participation: str | None) -> str | None:
    """The pool of seats a registration with `participation` takes (see
    :func:`hybrid_pool`)."""
    return hybrid_pool(event.format == EventFormat.HYBRID, participation)


def pools(event: Event) -> tuple[str | None, ...]:
    """Every pool of the event: both kinds for a hybrid event, else the whole event."""
    return hybrid_pools(event.format == EventFormat.HYBRID)


def checked_participation(event: Event, participation: str | None) -> str:
    """What to store as a registration's participation: the choice, required for a
    hybrid event; empty for any other."""
    return checked_choice(event.format == EventFormat.HYBRID, participation)


def capacity_for(event: Event, participation: str | None = None) -> int | None:
    """The seats of the pool; None: no limit."""
    if pool(event, participation) == Participation.ONLINE:
        return event.capacity_online
    return event.capacity


def in_pool(participation: str | None, column=Registration.participation) -> list:
    """The conditions on :class:`Registration` (or on another `participation` column,
    such as a course booking's) that select a pool (see :func:`pool`)."""
    if participation is None:
        return []
    if participation == Participation.ONLINE:
        return [column == Participation.ONLINE]
    return [column != Participation.ONLINE]


def _count(event_id: int, statuses, participation: str | None) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == event_id,
            Registration.status.in_(statuses),
            *in_pool(participation),
        )
    )


def confirmed_count(event_id: int, participation: str | None = None) -> int:
    return _count(event_id, (RegistrationStatus.CONFIRMED,), participation)


def seated_count(event_id: int, participation: str | None = None) -> int:
    """Seats taken: confirmed, and held for someone who has yet to confirm."""
    return _count(event_id, SEATED, participation)


def public_seats_left(event: Event, participation: str | None = None) -> int | None:
    """Free seats as the public pages show them: capacity less confirmed seats. Seats
    held for people yet to confirm are left out, so that what a stranger types into
    the form (a known address changes nothing, a new one holds a seat) never shows.
    A hybrid event without `participation`: both pools together (None if either has
    no limit)."""
    if participation is None and event.format == EventFormat.HYBRID:
        left = [public_seats_left(event, kind) for kind in pools(event)]
        return None if None in left else sum(left)
    capacity = capacity_for(event, participation)
    if capacity is None:
        return None
    return max(0, capacity - confirmed_count(event.id, pool(event, participation)))


def public_seats_by_kind(event: Event) -> dict[str, int | None]:
    """A hybrid event's seats left on site and online, as the public pages show them
    (None: no limit); empty for other events."""
    if event.format != EventFormat.HYBRID:
        return {}
    return {kind: public_seats_left(event, kind) for kind in PARTICIPATIONS}


def waiting_count(event_id: int, participation: str | None = None) -> int:
    return _count(event_id, (RegistrationStatus.WAITING,), participation)


def seats_left(event: Event, participation: str | None = None) -> int | None:
    """Free seats of the pool, or None when there is no limit (a hybrid event without
    `participation`: both pools together)."""
    if participation is None and event.format == EventFormat.HYBRID:
        left = [seats_left(event, kind) for kind in pools(event)]
        return None if None in left else sum(left)
    capacity = capacity_for(event, participation)
    if capacity is None:
        return None
    return max(0, capacity - seated_count(event.id, pool(event, participation)))


def waiting_place(registration: Registration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status != RegistrationStatus.WAITING:
        return None
    event = db.session.get(Event, registration.event_id)
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(
            Registration.event_id == registration.event_id,
            Registration.status == RegistrationStatus.WAITING,
            *in_pool(pool(event, registration.participation)),
            sa.or_(
                Registration.waiting_since < registration.waiting_since,
                sa.and_(
                    Registration.waiting_since == registration.waiting_since,
                    Registration.id <= registration.id,
                ),
            ),
        )
    )


def has_free_seat(event: Event, participation: str | None = None) -> bool:
    """A seat for a newcomer (of a hybrid event: on site or online, as
    `participation` says): free, and nobody waiting before them."""
    capacity = capacity_for(event, participation)
    if capacity is None:
        return True
    kind = pool(event, participation)
    return seated_count(event.id, kind) < capacity and waiting_count(event.id, kind) == 0


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
