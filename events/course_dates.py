"""Each date's registration of a course booking, kept in step with the booking: a
confirmed booking has a confirmed :class:`~events.models.Registration` (`booking_id`)
on every published date still to come, and that date's calendar entry goes out; any
other booking has none. Dates that began keep what they had (their attendance)."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa

from events.course_models import CourseBooking
from events.course_seats import course_dates, is_course, lock_series
from events.models import EventMailKind, EventStatus, Registration, RegistrationStatus
from events.notices import queue_mail
from kkp.db import utcnow
from kkp.extensions import db


def _date_registration(booking: CourseBooking, event_id: int) -> Registration:
    registration = db.session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event_id, Registration.email == booking.email
        )
    )
    if registration is None:
        key = secrets.token_hex(16)
        registration = Registration(event_id=event_id, email=booking.email, key=key)
        db.session.add(registration)
    registration.booking_id = booking.id
    return registration


def sync_dates(
    booking: CourseBooking, now: datetime | None = None, *, only_new: bool = False
) -> None:
    """Bring the registrations of the dates still to come in step with the booking: a
    confirmed booking has a confirmed registration on each (and its calendar entry goes
    out), any other has none. Dates that began keep what they had (attendance).
    `only_new`: only dates without a registration of the booking (a date published
    later), so that one an editor took away from a single date stays away."""
    now = now or utcnow()
    children = {
        r.event_id: r
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.booking_id == booking.id)
        )
    }
    if booking.status == RegistrationStatus.CONFIRMED:
        for event in course_dates(booking.series):
            if event.starts_at <= now:
                continue
            registration = children.get(event.id)
            if registration is not None and only_new:
                continue
            registration = registration or _date_registration(booking, event.id)
            if registration.status == RegistrationStatus.CONFIRMED:
                continue
            registration.name, registration.organisation = booking.name, booking.organisation
            registration.locale, registration.source = booking.locale, booking.source
            registration.participation = booking.participation
            registration.consent_at = booking.consent_at
            registration.consent_version = booking.consent_version
            registration.status = RegistrationStatus.CONFIRMED
            registration.confirmed_at = now
            registration.cancelled_at = registration.hold_until = registration.waiting_since = None
            db.session.flush()
            queue_mail(EventMailKind.COURSE_DATE, registration, sequence=event.sequence)
        return
    for registration in children.values():
        event = registration.event
        if registration.status != RegistrationStatus.CONFIRMED or event.starts_at <= now:
            continue
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = now
        # a personal CANCEL needs a raised SEQUENCE, or calendars ignore it
        event.sequence += 1
        event.changed_at = now
        db.session.flush()
        queue_mail(
            EventMailKind.COURSE_DATE_CANCELLED,
            registration,
            sequence=event.sequence,
            had=RegistrationStatus.CONFIRMED,
        )


def sync_course_dates(series_id: int) -> int:
    """A date was published (or cancelled) in a course: every confirmed booking gets
    (or loses) its registration there. Returns how many bookings were looked at."""
    series = lock_series(series_id)
    if not is_course(series):
        return 0
    bookings = db.session.scalars(
        sa.select(CourseBooking).where(
            CourseBooking.series_id == series.id,
            CourseBooking.status == RegistrationStatus.CONFIRMED,
        )
    ).all()
    for booking in bookings:
        sync_dates(booking, only_new=True)
    return len(bookings)


def booking_dates(booking: CourseBooking) -> list:
    """The course's dates a booking covers (published, earliest first), each with the
    booking's registration there if any: [(event, registration | None)]."""
    mine = {r.event_id: r for r in booking.registrations}
    return [(e, mine.get(e.id)) for e in booking.series.events if e.status != EventStatus.DRAFT]
