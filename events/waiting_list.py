"""The waiting list: free seats go to the first in line, and an editor moves someone
up. A hybrid event has a waiting list per pool of seats (on site, online; see
:mod:`events.seats`): an online seat freed goes to the first online waiter.
Call these with the event locked (:func:`events.seats.lock_event`)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from events.errors import EventStateError
from events.models import Event, EventMailKind, EventStatus, Registration, RegistrationStatus
from events.notices import queue_mail
from events.seats import capacity_for, in_pool, lock_event, pool, pools, seated_count
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db

log = logging.getLogger(__name__)


def _promote_pool(event: Event, kind: str | None, now: datetime) -> list[Registration]:
    capacity = capacity_for(event, kind)
    free = None if capacity is None else capacity - seated_count(event.id, kind)
    if free is not None and free <= 0:
        return []
    query = (
        sa.select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.status == RegistrationStatus.WAITING,
            *in_pool(kind),
        )
        .order_by(Registration.waiting_since, Registration.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query).all())
    for registration in promoted:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.waiting_since = None
        queue_mail(EventMailKind.PROMOTED, registration, sequence=event.sequence)
    return promoted


def promote_waiting(event: Event, now: datetime | None = None) -> list[Registration]:
    """Give free seats to the waiting list in order, pool by pool; each promoted person
    is told. Call with the event locked (or from an operation that locked it)."""
    now = now or utcnow()
    if event.status != EventStatus.PUBLISHED or event.starts_at <= now:
        return []
    promoted: list[Registration] = []
    for kind in pools(event):
        promoted += _promote_pool(event, kind, now)
    db.session.flush()
    if promoted:
        log.info("event %s: %d moved up from the waiting list", event.id, len(promoted))
    return promoted


def move_up(registration: Registration) -> str:
    """An editor moves someone from the waiting list up: a free seat (of her pool) if
    there is one, otherwise the first place on her waiting list."""
    if registration.status != RegistrationStatus.WAITING:
        raise EventStateError(_("Only people on the waiting list can be moved up."))
    event = lock_event(registration.event_id)
    db.session.refresh(registration)  # she may have left meanwhile: her choice stands
    if registration.status != RegistrationStatus.WAITING:
        raise EventStateError(_("Only people on the waiting list can be moved up."))
    kind = pool(event, registration.participation)
    capacity = capacity_for(event, kind)
    if capacity is None or seated_count(event.id, kind) < capacity:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = utcnow()
        registration.waiting_since = None
        db.session.flush()
        queue_mail(EventMailKind.PROMOTED, registration, sequence=event.sequence)
    else:
        first = db.session.scalar(
            sa.select(sa.func.min(Registration.waiting_since)).where(
                Registration.event_id == event.id,
                Registration.status == RegistrationStatus.WAITING,
                *in_pool(kind),
            )
        )
        registration.waiting_since = first - timedelta(microseconds=1)
        db.session.flush()
    audit("registration.move_up", registration, event_id=event.id, status=registration.status)
    return registration.status
