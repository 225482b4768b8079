"""A whole course's seats: counted per series against `EventSeries.capacity`, under
the series row's lock, the way :mod:`events.seats` counts a single date's.

Everything that hands out a course seat first locks the series row (`SELECT … FOR
UPDATE` on PostgreSQL; a write on SQLite, which takes the database's write lock),
then counts bookings: two people can never take the last seat together.

A course whose dates are hybrid has two pools of seats, counted apart as a hybrid
date's are (:func:`events.seats.hybrid_pool`): on site (`EventSeries.capacity`) and
online (`EventSeries.capacity_online`), each with its own waiting list. Functions
taking a series take the booking's `participation`; those taking a series id take the
pool already worked out (None: the whole course).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from events.course_models import CourseBooking
from events.errors import EventError
from events.models import (
    SEATED,
    Event,
    EventFormat,
    EventSeries,
    EventStatus,
    Participation,
    RegistrationScope,
    RegistrationStatus,
)
from events.seats import RegistrationClosed, checked_choice, hybrid_pool, hybrid_pools, in_pool
from kkp.db import utcnow
from kkp.extensions import db


class CourseOnly(RegistrationClosed):
    """A date of a whole-course series: people book the course, not the date."""


def lock_series(series_id: int) -> EventSeries:
    """The series, locked against other bookings until the transaction ends."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(EventSeries.id).where(EventSeries.id == series_id).with_for_update()
        )
    else:  # SQLite: the first write takes the database's write lock
        db.session.execute(
            sa.update(EventSeries).where(EventSeries.id == series_id).values(id=EventSeries.id)
        )
    series = db.session.get(EventSeries, series_id, populate_existing=True)
    if series is None:
        raise EventError(_("This course does not exist."))
    return series


def is_course(series: EventSeries | None) -> bool:
    return series is not None and series.registration_scope == RegistrationScope.COURSE


def refuse_course_date(event: Event) -> None:
    """Raise :class:`CourseOnly` for a date of a whole-course series (the single-date
    registration and an editor adding someone to one date call this)."""
    if is_course(event.series):
        raise CourseOnly(
            _(
                "This date belongs to the course “%(title)s”: please book the whole course "
                "on its page.",
                title=event.series.title,
            )
        )


def course_dates(series: EventSeries) -> list[Event]:
    """The dates a booking covers: published, not cancelled, earliest first (asked of
    the database: a date published in this transaction counts)."""
    return list(
        db.session.scalars(
            sa.select(Event)
            .where(Event.series_id == series.id, Event.status == EventStatus.PUBLISHED)
            .order_by(Event.starts_at, Event.id)
        )
    )


def closes_at(series: EventSeries) -> datetime | None:
    """Booking closes at the deadline, else at the first date's start (None: no dates)."""
    if series.registration_deadline is not None:
        return series.registration_deadline
    dates = course_dates(series)
    return dates[0].starts_at if dates else None


def is_open(series: EventSeries, now: datetime | None = None) -> bool:
    now = now or utcnow()
    closes = closes_at(series)
    return is_course(series) and closes is not None and now < closes


def require_open(series: EventSeries, now: datetime) -> None:
    if not is_course(series):
        raise RegistrationClosed(_("This series is not booked as a whole course."))
    closes = closes_at(series)
    if closes is None:
        raise RegistrationClosed(_("This course has no dates yet."))
    if now >= closes:
        raise RegistrationClosed(_("The registration deadline has passed."))


def is_hybrid(series: EventSeries) -> bool:
    """A course whose dates (not cancelled) are hybrid: its bookings choose on site or
    online, and the seats are counted per choice."""
    return any(
        e.format == EventFormat.HYBRID for e in series.events if e.status != EventStatus.CANCELLED
    )


def pool(series: EventSeries, participation: str | None) -> str | None:
    """The pool of seats a booking with `participation` takes (None: the whole course)."""
    return hybrid_pool(is_hybrid(series), participation)


def pools(series: EventSeries) -> tuple[str | None, ...]:
    return hybrid_pools(is_hybrid(series))


def checked_participation(series: EventSeries, participation: str | None) -> str:
    """What a booking stores: the choice, required for a hybrid course; else empty."""
    return checked_choice(is_hybrid(series), participation)


def capacity_for(series: EventSeries, participation: str | None = None) -> int | None:
    """The seats of the pool; None: no limit."""
    if pool(series, participation) == Participation.ONLINE:
        return series.capacity_online
    return series.capacity


def _count(series_id: int, statuses, kind: str | None = None) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CourseBooking)
        .where(
            CourseBooking.series_id == series_id,
            CourseBooking.status.in_(statuses),
            *in_pool(kind, CourseBooking.participation),
        )
    )


def seated_count(series_id: int, kind: str | None = None) -> int:
    """Seats taken (of the pool `kind`): confirmed, and held for someone who has yet to
    confirm."""
    return _count(series_id, SEATED, kind)


def confirmed_count(series_id: int, kind: str | None = None) -> int:
    return _count(series_id, (RegistrationStatus.CONFIRMED,), kind)


def waiting_count(series_id: int, kind: str | None = None) -> int:
    return _count(series_id, (RegistrationStatus.WAITING,), kind)


def _left(series: EventSeries, participation: str | None, count) -> int | None:
    if participation is None and is_hybrid(series):
        left = [_left(series, kind, count) for kind in pools(series)]
        return None if None in left else sum(left)
    capacity = capacity_for(series, participation)
    if capacity is None:
        return None
    return max(0, capacity - count(series.id, pool(series, participation)))


def seats_left(series: EventSeries, participation: str | None = None) -> int | None:
    """Free seats of the pool, or None when there is no limit (a hybrid course without
    `participation`: both pools together)."""
    return _left(series, participation, seated_count)


def public_seats_left(series: EventSeries, participation: str | None = None) -> int | None:
    """Free seats as the public page shows them: held seats left out, so that what a
    stranger types into the form never shows (see :func:`events.seats.public_seats_left`)."""
    return _left(series, participation, confirmed_count)


def public_seats_by_kind(series: EventSeries) -> dict[str, int | None]:
    """A hybrid course's seats left on site and online (None: no limit); else empty."""
    if not is_hybrid(series):
        return {}
    return {kind: public_seats_left(series, kind) for kind in pools(series)}


def has_free_seat(series: EventSeries, participation: str | None = None) -> bool:
    """A seat for a newcomer (of a hybrid course: in her pool): free, and nobody
    waiting before them."""
    capacity = capacity_for(series, participation)
    if capacity is None:
        return True
    kind = pool(series, participation)
    return seated_count(series.id, kind) < capacity and waiting_count(series.id, kind) == 0


def waiting_place(booking: CourseBooking) -> int | None:
    """1 for the first on the course's (pool's) waiting list; None when not waiting."""
    if booking.status != RegistrationStatus.WAITING:
        return None
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CourseBooking)
        .where(
            CourseBooking.series_id == booking.series_id,
            CourseBooking.status == RegistrationStatus.WAITING,
            *in_pool(pool(booking.series, booking.participation), CourseBooking.participation),
            sa.or_(
                CourseBooking.waiting_since < booking.waiting_since,
                sa.and_(
                    CourseBooking.waiting_since == booking.waiting_since,
                    CourseBooking.id <= booking.id,
                ),
            ),
        )
    )


def waiting_places(series: EventSeries) -> dict[int, int]:
    """Each waiting booking's place in its line (a hybrid course: its kind's), by id."""
    places: dict[int, int] = {}
    for kind in pools(series):
        ids = db.session.scalars(
            sa.select(CourseBooking.id)
            .where(
                CourseBooking.series_id == series.id,
                CourseBooking.status == RegistrationStatus.WAITING,
                *in_pool(kind, CourseBooking.participation),
            )
            .order_by(CourseBooking.waiting_since, CourseBooking.id)
        )
        places.update({booking_id: n for n, booking_id in enumerate(ids, start=1)})
    return places
