"""Booking a whole course (`EventSeries.registration_scope` "course"): one booking
for all dates, its seats and waiting list counted per course (:mod:`events.course_seats`).

The rules are a single date's (:mod:`events.registrations`): the public form makes a
*pending* booking that holds a seat (or, when the course is full, waits to join the
waiting list) until its owner clicks the link in the mail, and the form answers every
address alike; editors and the API seat at once. A confirmed booking has one
:class:`~events.models.Registration` per published date still to come (`booking_id`),
confirmed with it and cancelled with it, so each date's participant list, reminders,
updates and attendance work as for anyone; each gets that date's calendar entry, and
the person one mail listing every date. Only confirmed bookings have such
registrations: pending and waiting ones are the course's business alone. A course
whose dates are hybrid asks each booking on site or online: seats, waiting list and
promotion are that kind's (see :mod:`events.course_seats`), and each date's
registration carries the choice.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from events.course_dates import sync_dates
from events.course_models import CourseBooking
from events.course_notices import queue_booking_mail, queue_public_booking_mail
from events.course_seats import (
    capacity_for,
    checked_participation,
    course_dates,
    has_free_seat,
    is_course,
    lock_series,
    pool,
    pools,
    require_open,
    seated_count,
)
from events.errors import EventError, EventStateError
from events.models import (
    ACTIVE,
    REGISTRATION_SOURCES,
    UNCONFIRMED,
    EventMailKind,
    EventSeries,
    RegistrationSource,
    RegistrationStatus,
)
from events.notices import lock_address, public_mail_allowed
from events.registrations import _person as checked_person  # the same rules as a date's
from events.seats import in_pool
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db

log = logging.getLogger(__name__)


# -- booking -------------------------------------------------------------------------------


def _confirm_seat(booking: CourseBooking, now: datetime, kind: str) -> None:
    booking.status = RegistrationStatus.CONFIRMED
    booking.confirmed_at = now
    booking.waiting_since = booking.hold_until = None
    db.session.flush()
    sync_dates(booking, now)
    queue_booking_mail(kind, booking)


def _seat(series: EventSeries, booking: CourseBooking, now: datetime) -> str:
    """Confirm, or put at the end of the waiting list; queue the matching mail."""
    with db.session.no_autoflush:  # the new row has no status yet
        free = has_free_seat(series, booking.participation)
    if free:
        _confirm_seat(booking, now, EventMailKind.COURSE_CONFIRMATION)
    else:
        booking.status = RegistrationStatus.WAITING
        booking.waiting_since = now
        db.session.flush()
        queue_booking_mail(EventMailKind.COURSE_WAITING, booking)
    return booking.status


def _booking(series: EventSeries, email: str) -> CourseBooking | None:
    return db.session.scalar(
        sa.select(CourseBooking).where(
            CourseBooking.series_id == series.id, CourseBooking.email == email
        )
    )


def book(
    series_id: int,
    *,
    name: str,
    email: str,
    organisation: str = "",
    consent: bool = False,
    consent_version: int | None = None,
    participation: str | None = None,
    locale: str = "de",
    now: datetime | None = None,
) -> tuple[CourseBooking | None, str]:
    """Book the whole course through the public form. Returns the booking and what
    happened: "pending" (a seat held until the owner of the address confirms),
    "pending_waiting" (full: the waiting list once confirmed), "already" (known
    before: the mail says so, nothing changes) or "limited" (the address had its mails
    this hour: nothing happens, and the booking is None). The caller must answer all
    alike. A hybrid course requires `participation` (on site or online): the seat and
    the waiting list are that pool's. Extra input of the form (answers, consents)
    belongs beside this call."""
    now = now or utcnow()
    name, email, organisation = checked_person(name, email, organisation)
    if not consent:
        raise EventError(_("Please agree to the processing of your data."), "consent")
    series = lock_series(series_id)
    require_open(series, now)
    participation = checked_participation(series, participation)
    lock_address(email)
    if not public_mail_allowed(email, now):
        log.info("course %s: mail limit for an address reached, nothing done", series.id)
        return None, "limited"
    booking = _booking(series, email)
    if booking is not None and booking.status in UNCONFIRMED:
        queue_public_booking_mail(EventMailKind.COURSE_REQUEST, booking, now)
        return booking, "already"
    if booking is not None and booking.status in ACTIVE:
        queue_public_booking_mail(EventMailKind.COURSE_LINK, booking, now)
        return booking, "already"
    if booking is None:
        booking = CourseBooking(series_id=series.id, email=email, key=secrets.token_hex(16))
        db.session.add(booking)
    else:  # a cancelled or lapsed booking taken up again: old links must not confirm it
        booking.key = secrets.token_hex(16)
    booking.name, booking.organisation = name, organisation
    booking.participation = participation
    booking.locale = locale if locale in ("de", "en") else "de"
    booking.source = RegistrationSource.FORM
    booking.cancelled_at = booking.confirmed_at = booking.waiting_since = None
    booking.consent_at, booking.consent_version = now, consent_version
    with db.session.no_autoflush:
        free = has_free_seat(series, participation)
    booking.status = RegistrationStatus.PENDING if free else RegistrationStatus.PENDING_WAITING
    booking.hold_until = now + timedelta(
        minutes=current_app.config["KKP_REGISTRATION_HOLD_MINUTES"]
    )
    db.session.flush()
    queue_public_booking_mail(EventMailKind.COURSE_REQUEST, booking, now)
    log.info("booking %s for course %s: %s", booking.id, series.id, booking.status)
    return booking, booking.status


def _upcoming(series: EventSeries, now: datetime) -> bool:
    return any(e.starts_at > now for e in course_dates(series))


def confirm_booking(booking: CourseBooking, now: datetime | None = None) -> str:
    """The owner of the address clicked the link in the mail: a held seat becomes
    theirs (with a calendar entry per date); someone who asked while the course was
    full takes a free seat if there is one, else joins the waiting list now.
    Idempotent; returns the status afterwards."""
    now = now or utcnow()
    if booking.status not in UNCONFIRMED:
        if booking.status in ACTIVE:
            return booking.status
        raise EventStateError(
            _("This link has expired. If you still want to take part, please book again.")
        )
    series = lock_series(booking.series_id)
    db.session.refresh(booking)
    if booking.status not in UNCONFIRMED:  # confirmed or lapsed meanwhile
        return confirm_booking(booking, now)
    if not _upcoming(series, now):
        raise EventStateError(_("This course has already taken place."))
    held = booking.status == RegistrationStatus.PENDING
    booking.hold_until = None
    capacity = capacity_for(series, booking.participation)
    kind = pool(series, booking.participation)
    if held and capacity is not None and seated_count(series.id, kind) > capacity:
        held = False  # the editor lowered the seats meanwhile: queue like anyone
        booking.status = RegistrationStatus.PENDING_WAITING
        db.session.flush()
    if held:
        _confirm_seat(booking, now, EventMailKind.COURSE_CONFIRMATION)
    else:
        _seat(series, booking, now)
    log.info("booking %s confirmed: %s", booking.id, booking.status)
    return booking.status


def add_booking(
    series_id: int,
    *,
    name: str,
    email: str,
    organisation: str = "",
    over_capacity: bool = False,
    participation: str | None = None,
    source: str = RegistrationSource.EDITOR,
) -> tuple[CourseBooking, str]:
    """An editor (or the API) books someone who agreed elsewhere: a seat (of her pool,
    on site or online, for a hybrid course) at once when one is free (or with
    `over_capacity`), else the waiting list."""
    now = utcnow()
    name, email, organisation = checked_person(name, email, organisation)
    series = lock_series(series_id)
    if not is_course(series):
        raise EventStateError(_("This series is not booked as a whole course."))
    if not _upcoming(series, now):
        raise EventStateError(_("This course has no dates to come."))
    participation = checked_participation(series, participation)
    booking = _booking(series, email)
    if booking is not None and booking.status in ACTIVE:
        raise EventError(_("This person has booked the course already."), "email")
    if booking is None:
        booking = CourseBooking(series_id=series.id, email=email, key=secrets.token_hex(16))
        db.session.add(booking)
    booking.name, booking.organisation = name, organisation
    booking.participation = participation
    booking.source = source if source in REGISTRATION_SOURCES else RegistrationSource.EDITOR
    booking.cancelled_at = booking.hold_until = None
    with db.session.no_autoflush:
        full = not has_free_seat(series, participation)
    if booking.status == RegistrationStatus.PENDING or (over_capacity and full):
        _confirm_seat(booking, now, EventMailKind.COURSE_CONFIRMATION)
        outcome = booking.status
    else:
        outcome = _seat(series, booking, now)
    audit("course_booking.add", series, booking_id=booking.id, status=outcome)
    return booking, outcome


# -- the waiting list, cancelling, lapsing -------------------------------------------------


def _promote_pool(series: EventSeries, kind: str | None, now: datetime) -> list[CourseBooking]:
    capacity = capacity_for(series, kind)
    free = None if capacity is None else capacity - seated_count(series.id, kind)
    if free is not None and free <= 0:
        return []
    query = (
        sa.select(CourseBooking)
        .where(
            CourseBooking.series_id == series.id,
            CourseBooking.status == RegistrationStatus.WAITING,
            *in_pool(kind, CourseBooking.participation),
        )
        .order_by(CourseBooking.waiting_since, CourseBooking.id)
    )
    if free is not None:
        query = query.limit(free)
    promoted = list(db.session.scalars(query).all())
    for booking in promoted:
        _confirm_seat(booking, now, EventMailKind.COURSE_PROMOTED)
    return promoted


def promote_waiting(series: EventSeries, now: datetime | None = None) -> list[CourseBooking]:
    """Give free seats to the waiting list in order, pool by pool (a hybrid course:
    on site, online); each promoted person is told. Call with the series locked."""
    now = now or utcnow()
    if not is_course(series) or not _upcoming(series, now):
        return []
    promoted: list[CourseBooking] = []
    for kind in pools(series):
        promoted += _promote_pool(series, kind, now)
    if promoted:
        log.info("course %s: %d moved up from the waiting list", series.id, len(promoted))
    return promoted


def cancel_booking(booking: CourseBooking, *, by_editor: bool = False) -> None:
    """The person leaves the course (or an editor removes them): every date to come at
    once. A freed seat goes to the next on the waiting list; someone who had a seat
    gets a CANCEL per date and one mail; an unconfirmed booking just ends."""
    if booking.status not in UNCONFIRMED + ACTIVE:
        return
    now = utcnow()
    series = lock_series(booking.series_id)
    db.session.refresh(booking)
    had = booking.status
    booking.status = RegistrationStatus.CANCELLED
    booking.cancelled_at = now
    booking.hold_until = booking.waiting_since = None
    db.session.flush()
    sync_dates(booking, now)
    if had in ACTIVE:
        queue_booking_mail(EventMailKind.COURSE_CANCELLED, booking, had=had)
    if by_editor:
        audit("course_booking.remove", series, booking_id=booking.id)
    if had in (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING):
        promote_waiting(series, now)


def move_up_booking(booking: CourseBooking) -> str:
    """An editor moves someone from the waiting list up: a free seat if there is one,
    otherwise the first place on the waiting list."""
    if booking.status != RegistrationStatus.WAITING:
        raise EventStateError(_("Only people on the waiting list can be moved up."))
    series = lock_series(booking.series_id)
    db.session.refresh(booking)  # she may have left meanwhile: her choice stands
    if booking.status != RegistrationStatus.WAITING:
        raise EventStateError(_("Only people on the waiting list can be moved up."))
    kind = pool(series, booking.participation)
    capacity = capacity_for(series, kind)
    if capacity is None or seated_count(series.id, kind) < capacity:
        _confirm_seat(booking, utcnow(), EventMailKind.COURSE_PROMOTED)
    else:
        first = db.session.scalar(
            sa.select(sa.func.min(CourseBooking.waiting_since)).where(
                CourseBooking.series_id == series.id,
                CourseBooking.status == RegistrationStatus.WAITING,
                *in_pool(kind, CourseBooking.participation),
            )
        )
        booking.waiting_since = first - timedelta(microseconds=1)
        db.session.flush()
    audit("course_booking.move_up", series, booking_id=booking.id, status=booking.status)
    return booking.status


def expire_booking_holds(now: datetime | None = None) -> int:
    """Unconfirmed bookings past their hold lapse; each seat they held goes to the
    first on the waiting list. For the scheduler's tick: idempotent, commits per
    course. Returns how many lapsed."""
    now = now or utcnow()
    series_ids = db.session.scalars(
        sa.select(CourseBooking.series_id)
        .where(CourseBooking.hold_until <= now, CourseBooking.status.in_(UNCONFIRMED))
        .distinct()
        .limit(1000)
    ).all()
    lapsed = 0
    for series_id in series_ids:
        series = lock_series(series_id)
        due = db.session.scalars(
            sa.select(CourseBooking).where(
                CourseBooking.series_id == series_id,
                CourseBooking.hold_until <= now,
                CourseBooking.status.in_(UNCONFIRMED),
            )
        ).all()
        freed = any(b.status == RegistrationStatus.PENDING for b in due)
        for booking in due:
            booking.status = RegistrationStatus.EXPIRED
            booking.hold_until = None
            log.info("booking %s for course %s lapsed unconfirmed", booking.id, series_id)
        db.session.flush()
        if freed:
            promote_waiting(series, now)
        db.session.commit()
        lapsed += len(due)
    return lapsed
