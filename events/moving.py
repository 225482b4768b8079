"""One of several dates: a series whose dates offer the same event
(`RegistrationScope.ONE_OF`). A person has at most one registration across its dates;
she moves it to another date, and it stays the same registration (the same row, its
links and answers): a seat on the new date must be free, else the move is refused and
she keeps the seat she has (a move never trades a seat for a place in a queue). The
old date's seat goes to its waiting list; she gets a CANCEL for the old date and a
REQUEST for the new one."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from events.answers import carry_over
from events.errors import EventError, EventStateError
from events.models import (
    ACTIVE,
    Event,
    EventFormat,
    EventMailKind,
    EventStatus,
    Participation,
    Registration,
    RegistrationScope,
    RegistrationStatus,
)
from events.notices import queue_mail
from events.seats import has_free_seat, is_open, lock_event, require_open
from events.waiting_list import promote_waiting
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db

log = logging.getLogger(__name__)

#: confirming a registration when another date of the series has one already
ELSEWHERE = _l(
    "You are already registered for another date of this event. To change the date, "
    "please use the link to your registration."
)
#: what holds a place on a date: a seat, the waiting list, an unanswered invitation
HOLDS_A_DATE = ACTIVE + (RegistrationStatus.INVITED,)


class RegisteredElsewhere(EventStateError):
    """She has another date of the one-of series; `other` is that registration (for a
    link to it)."""

    def __init__(self, message: str, other: Registration):
        super().__init__(message)
        self.other = other


def is_one_of(event: Event) -> bool:
    return event.series is not None and event.series.registration_scope == RegistrationScope.ONE_OF


def _on_other_dates(event: Event) -> tuple:
    """What a registration on another date of `event`'s series that has not ended and
    holds its date meets (joined with :class:`Event`)."""
    return (
        Event.series_id == event.series_id,
        Event.id != event.id,
        Event.status == EventStatus.PUBLISHED,
        Event.ends_at > utcnow(),
        Registration.status.in_(HOLDS_A_DATE),
    )


def registered_elsewhere(event: Event, email: str) -> Registration | None:
    """In a series of one of several dates: her registration for another date that has
    not ended (None for other series, and when there is none)."""
    if not is_one_of(event):
        return None
    return db.session.scalar(
        sa.select(Registration)
        .join(Event, Event.id == Registration.event_id)
        .where(*_on_other_dates(event), Registration.email == email)
        .order_by(Event.starts_at)
        .limit(1)
    )


def held_elsewhere(event: Event) -> set[str]:
    """In a series of one of several dates: the addresses that hold another date that
    has not ended (a seat, the waiting list, an invitation); empty for other events."""
    if not is_one_of(event):
        return set()
    return set(
        db.session.scalars(
            sa.select(Registration.email)
            .join(Event, Event.id == Registration.event_id)
            .where(*_on_other_dates(event))
        )
    )


def dates_to_move_to(registration: Registration, *, by_editor: bool = False) -> list[Event]:
    """The other dates of her one-of series she may move to: published and not started;
    for the participant herself, open for registration too."""
    event = registration.event
    if not is_one_of(event) or registration.status not in ACTIVE:
        return []
    now = utcnow()
    return [
        other
        for other in event.series.events
        if other.id != event.id
        and other.status == EventStatus.PUBLISHED
        and other.starts_at > now
        and (by_editor or is_open(other, now))
    ]


def _participation(target: Event, registration: Registration) -> str:
    if target.format != EventFormat.HYBRID:
        return ""
    return registration.participation or Participation.ON_SITE


def _clear_the_way(target: Event, registration: Registration) -> None:
    """An old registration of hers for the target date (cancelled, lapsed, an
    unconfirmed hold) would block the move (one per event and address): it goes,
    since the registration that moves carries everything on."""
    stale = db.session.scalar(
        sa.select(Registration).where(
            Registration.event_id == target.id, Registration.email == registration.email
        )
    )
    if stale is None:
        return
    if stale.status in HOLDS_A_DATE:
        raise EventStateError(_("This person is registered for that date already."))
    db.session.delete(stale)
    db.session.flush()


def move(
    registration: Registration,
    to_event_id: int,
    *,
    by_editor: bool = False,
    now: datetime | None = None,
) -> Registration:
    """Move her registration to another date of the same one-of series; idempotent
    (moving to the date she has changes nothing). Raises :class:`EventError` (a date
    of another event) or :class:`EventStateError` (closed, full, started)."""
    now = now or utcnow()
    if registration.event_id == to_event_id:
        return registration
    if registration.status not in ACTIVE:
        raise EventStateError(_("Only a registration with a seat or on the waiting list can move."))
    old_id = registration.event_id
    locked = {event_id: lock_event(event_id) for event_id in sorted((old_id, to_event_id))}
    old, new = locked[old_id], locked[to_event_id]
    db.session.refresh(registration)
    if registration.event_id != old_id or registration.status not in ACTIVE:
        raise EventStateError(_("The registration changed meanwhile. Please try again."))
    if not is_one_of(old) or new.series_id != old.series_id:
        raise EventError(_("Please choose one of the dates shown."), "event_id")
    if old.starts_at <= now:
        raise EventStateError(_("This event has started or already taken place."))
    if by_editor:
        if new.status != EventStatus.PUBLISHED or new.starts_at <= now:
            raise EventStateError(_("Please choose a published date that has not started yet."))
    else:
        require_open(new, now)
    participation = _participation(new, registration)
    if not has_free_seat(new, participation):
        raise EventStateError(
            _(
                "The date you chose is fully booked. The registration stays as it is; "
                "please choose another date."
            )
        )
    _clear_the_way(new, registration)
    carry_over(registration, new)
    had = registration.status
    registration.event_id = new.id
    registration.event = new
    registration.participation = participation
    registration.status = RegistrationStatus.CONFIRMED
    registration.confirmed_at = now
    registration.waiting_since = None
    registration.hold_until = None
    if had == RegistrationStatus.CONFIRMED:
        # a personal CANCEL needs a raised SEQUENCE, or calendars ignore it
        old.sequence += 1
        old.changed_at = now
    db.session.flush()
    if had == RegistrationStatus.CONFIRMED:
        queue_mail(
            EventMailKind.MOVED_AWAY,
            registration,
            from_event_id=old.id,
            sequence=old.sequence,
            had=had,
        )
    queue_mail(EventMailKind.MOVED, registration, from_event_id=old.id, sequence=new.sequence)
    promote_waiting(old, now)
    audit("registration.move", registration, event_id=new.id, from_event_id=old.id)
    log.info("registration %s moved from event %s to %s", registration.id, old.id, new.id)
    return registration
