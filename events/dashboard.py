"""What the events put on the editors' start page: the next weeks' events with their
seats and waiting lists."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from events.models import SEATED, Event, EventStatus, Registration, RegistrationStatus
from kkp.db import utcnow
from kkp.extensions import db

#: how far ahead "upcoming" reaches (days)
AHEAD_DAYS = 30


@dataclass(frozen=True)
class UpcomingEvent:
    event: Event
    #: seats taken: confirmed, and held for someone yet to confirm
    seated: int
    #: on the waiting list
    waiting: int


def upcoming_events(now: datetime | None = None) -> list[UpcomingEvent]:
    """Published events starting in the next :data:`AHEAD_DAYS` days, the soonest first,
    with their seats and waiting list counted in one query."""
    now = now or utcnow()
    events = db.session.scalars(
        sa.select(Event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.starts_at >= now,
            Event.starts_at < now + timedelta(days=AHEAD_DAYS),
        )
        .order_by(Event.starts_at, Event.id)
    ).all()
    if not events:
        return []
    counts: dict[int, dict[str, int]] = {}
    for event_id, status, n in db.session.execute(
        sa.select(Registration.event_id, Registration.status, sa.func.count())
        .where(Registration.event_id.in_([e.id for e in events]))
        .group_by(Registration.event_id, Registration.status)
    ):
        counts.setdefault(event_id, {})[status] = n
    return [
        UpcomingEvent(
            event=e,
            seated=sum(counts.get(e.id, {}).get(s, 0) for s in SEATED),
            waiting=counts.get(e.id, {}).get(RegistrationStatus.WAITING, 0),
        )
        for e in events
    ]
