"""A whole course's seats: counted per series against `EventSeries.capacity`, under
the series row's lock, the way :mod:`events.seats` counts a single date's.

Everything that hands out a course seat first locks the series row (`SELECT … FOR
UPDATE` on PostgreSQL; a write on SQLite, which takes the database's write lock),
then counts bookings: two people can never take the last seat together.
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
    EventSeries,
    EventStatus,
    RegistrationScope,
    RegistrationStatus,
)
from events.seats import RegistrationClosed
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


def _count(series_id: int, statuses) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CourseBooking)
        .where(CourseBooking.series_id == series_id, CourseBooking.status.in_(statuses))
    )


def seated_count(series_id: int) -> int:
    """Seats taken: confirmed, and held for someone who has yet to confirm."""
    return _count(series_id, SEATED)


def confirmed_count(series_id: int) -> int:
    return _count(series_id, (RegistrationStatus.CONFIRMED,))


def waiting_count(series_id: int) -> int:
    return _count(series_id, (RegistrationStatus.WAITING,))


def seats_left(series: EventSeries) -> int | None:
    """Free seats, or None when there is no limit."""
    if series.capacity is None:
        return None
    return max(0, series.capacity - seated_count(series.id))


def public_seats_left(series: EventSeries) -> int | None:
    """Free seats as the public page shows them: held seats left out, so that what a
    stranger types into the form never shows (see :func:`events.seats.public_seats_left`)."""
    if series.capacity is None:
        return None
    return max(0, series.capacity - confirmed_count(series.id))


def has_free_seat(series: EventSeries) -> bool:
    """A seat for a newcomer: free, and nobody waiting before them."""
    if series.capacity is None:
        return True
    return seated_count(series.id) < series.capacity and waiting_count(series.id) == 0


def waiting_place(booking: CourseBooking) -> int | None:
    """1 for the first on the course's waiting list; None when not waiting."""
    if booking.status != RegistrationStatus.WAITING:
        return None
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CourseBooking)
        .where(
            CourseBooking.series_id == booking.series_id,
            CourseBooking.status == RegistrationStatus.WAITING,
            sa.or_(
                CourseBooking.waiting_since < booking.waiting_since,
                sa.and_(
                    CourseBooking.waiting_since == booking.waiting_since,
                    CourseBooking.id <= booking.id,
                ),
            ),
        )
    )
