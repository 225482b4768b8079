"""Participants' data kept no longer than needed (GDPR Art. 5(1)(e)).

An event is due when its last date (a series' date: the series' last date) plus its
retention period has passed: the event's `retention_months`, else its series', else
`KKP_RETENTION_MONTHS`. Anonymising keeps each registration and course booking as a
row (id, status, source, dates, participation, attendance: the counts and attendance
statistics stay) and removes the person: address (a unique placeholder), name,
organisation, answers and consent records; the link key is made anew, so old links
die. Certificates keep their number and `holder_check` (still verifiable by a name
someone types) and what they printed of the course and the office, and lose the name.
The mails sent for them lose their recipient.

:func:`anonymise_registration` and :func:`anonymise_booking` are also what a data
subject's erasure does (:mod:`events.personal_data`).
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from events.course_models import AttendanceScan, Certificate, CourseBooking
from events.models import Event, Registration
from events.question_models import Answer, ConsentRecord
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.mail.models import Delivery, DeliveryStatus, OutboxMessage

log = logging.getLogger(__name__)


@dataclass
class Anonymised:
    """What one anonymisation removed or changed (counts of rows)."""

    registrations: int = 0
    bookings: int = 0
    answers: int = 0
    consents: int = 0
    certificates: int = 0
    deliveries: int = 0
    #: scans of signed sign-in sheets (names and signatures): deleted
    scans: int = 0

    def add(self, other: Anonymised) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)


def placeholder(kind: str, row_id: int) -> str:
    """The address an anonymised row keeps: unique, and never deliverable (.invalid,
    RFC 2606)."""
    return f"anonymised-{kind}{row_id}@invalid"


# -- when ----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` plus whole calendar months; the 31st becomes the month's last day."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def retention_months(event: Event) -> int:
    """The months after the last date that the event's registrations are kept."""
    if event.retention_months is not None:
        return event.retention_months
    if event.series is not None and event.series.retention_months is not None:
        return event.series.retention_months
    return current_app.config["KKP_RETENTION_MONTHS"]


def _series_ends() -> dict[int, datetime]:
    rows = db.session.execute(
        sa.select(Event.series_id, sa.func.max(Event.ends_at))
        .where(Event.series_id.is_not(None))
        .group_by(Event.series_id)
    )
    return {series_id: ends for series_id, ends in rows}


def anonymise_after(event: Event, series_ends: dict[int, datetime] | None = None) -> datetime:
    """The instant (UTC) from which the event's registrations are due: midnight in
    Berlin after the last date, plus the retention months."""
    ends = event.ends_at
    if event.series_id is not None:
        if series_ends is None:
            series_ends = _series_ends()
        ends = max(ends, series_ends.get(event.series_id, ends))
    last_day = (ends - timedelta(microseconds=1)).astimezone(BERLIN).date()
    day = add_months(last_day, retention_months(event)) + timedelta(days=1)
    return datetime.combine(day, datetime.min.time(), tzinfo=BERLIN).astimezone(UTC)


def due_events(now: datetime | None = None) -> list[int]:
    """Ids of the events whose registrations are due for anonymisation at `now`."""
    now = now or utcnow()
    candidates = db.session.scalars(
        sa.select(Event)
        .where(Event.anonymised_at.is_(None), Event.ends_at < now)
        .order_by(Event.id)
    ).all()
    series_ends = _series_ends()
    return [e.id for e in candidates if anonymise_after(e, series_ends) <= now]


# -- how -----------------------------------------------------------------------------------


def _forget_mails(emails: set[str], owners: dict[str, set[int]], *, every: bool = False) -> int:
    """Empty the recipient of the event mails sent for these registrations, bookings or
    certificates (`owners`: the ids by the delivery's parameter, e.g. `registration_id`),
    or, `every`, of every mail to these addresses; a queued one is not sent."""
    if not emails:
        return 0
    query = sa.select(Delivery).where(Delivery.recipient.in_(sorted(emails)))
    if not every:  # event mails belong to no issue (and the index knows only those)
        query = query.where(Delivery.issue_id.is_(None))
    deliveries = db.session.scalars(query).all()
    count = 0
    kept_locally: set[str] = set()
    for delivery in deliveries:
        params = delivery.params or {}
        if not (every or any(params.get(key) in ids for key, ids in owners.items())):
            continue
        delivery.recipient = ""
        delivery.last_error = None  # a server's answer often quotes the address
        if delivery.message_id:
            kept_locally.add(delivery.message_id)
        if delivery.status == DeliveryStatus.QUEUED:
            delivery.status = DeliveryStatus.CANCELLED
        count += 1
    if kept_locally:  # the local outbox holds the whole message, names and answers too
        db.session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.message_id.in_(sorted(kept_locally)))
        )
    return count


def _forget_person(row: Registration | CourseBooking, kind: str, now: datetime) -> None:
    row.email = placeholder(kind, row.id)
    row.name = ""
    row.organisation = ""
    row.key = secrets.token_hex(16)
    row.anonymised_at = now


def _forget_details(
    owner, ids: set[int], now: datetime, *, erase: bool = False
) -> tuple[Anonymised, set[int]]:
    """Answers, consent records and certificates' names of these registrations
    (`owner` the column naming them: `registration_id` or `booking_id`); also the ids
    of their certificates, whose mails go too. After a retention period a certificate's
    number still verifies the holder's name; `erase` (the person asked for it) removes
    that check too."""
    if not ids:
        return Anonymised(), set()
    certificate_ids = set(
        db.session.scalars(sa.select(Certificate.id).where(getattr(Certificate, owner).in_(ids)))
    )
    answers = db.session.execute(sa.delete(Answer).where(getattr(Answer, owner).in_(ids))).rowcount
    consents = db.session.execute(
        sa.delete(ConsentRecord).where(getattr(ConsentRecord, owner).in_(ids))
    ).rowcount
    certificates = db.session.execute(
        sa.update(Certificate)
        .where(getattr(Certificate, owner).in_(ids), Certificate.anonymised_at.is_(None))
        .values(holder_name="", anonymised_at=now)
    ).rowcount
    if erase:
        db.session.execute(
            sa.update(Certificate)
            .where(getattr(Certificate, owner).in_(ids))
            .values(holder_check="")
        )
    return Anonymised(
        answers=answers, consents=consents, certificates=certificates
    ), certificate_ids


def anonymise_registrations(
    registrations: list[Registration], now: datetime | None = None, *, every_mail: bool = False
) -> Anonymised:
    """Remove the people from these registrations; the rows stay. Idempotent."""
    now = now or utcnow()
    rows = [r for r in registrations if r.anonymised_at is None]
    if not rows:
        return Anonymised()
    ids = {r.id for r in rows}
    done, certificate_ids = _forget_details("registration_id", ids, now, erase=every_mail)
    owners = {"registration_id": ids, "certificate_id": certificate_ids}
    done.deliveries = _forget_mails({r.email for r in rows}, owners, every=every_mail)
    for registration in rows:
        _forget_person(registration, "", now)
    done.registrations = len(rows)
    db.session.flush()
    return done


def anonymise_registration(registration: Registration, now: datetime | None = None) -> Anonymised:
    """One registration (see :func:`anonymise_registrations`)."""
    return anonymise_registrations([registration], now)


def anonymise_booking(
    booking: CourseBooking, now: datetime | None = None, *, every_mail: bool = False
) -> Anonymised:
    """Remove the person from a course booking and from each of its dates'
    registrations. Idempotent."""
    now = now or utcnow()
    done = anonymise_registrations(list(booking.registrations), now, every_mail=every_mail)
    if booking.anonymised_at is not None:
        return done
    details, certificate_ids = _forget_details("booking_id", {booking.id}, now, erase=every_mail)
    done.add(details)
    owners = {"booking_id": {booking.id}, "certificate_id": certificate_ids}
    done.deliveries += _forget_mails({booking.email}, owners, every=every_mail)
    _forget_person(booking, "booking-", now)
    done.bookings += 1
    db.session.flush()
    return done


def anonymise_event(event_id: int, now: datetime | None = None) -> Anonymised | None:
    """Anonymise the registrations of one event (and, once every date of its series
    is done, the series' course bookings); audited with the counts. None when it was
    done before."""
    now = now or utcnow()
    event = db.session.get(Event, event_id)
    if event is None or event.anonymised_at is not None:
        return None
    registrations = db.session.scalars(
        sa.select(Registration).where(Registration.event_id == event_id)
    ).all()
    done = anonymise_registrations(list(registrations), now)
    done.scans = db.session.execute(
        sa.delete(AttendanceScan).where(AttendanceScan.event_id == event_id)
    ).rowcount
    event.anonymised_at = now
    db.session.flush()
    if event.series_id is not None and not _dates_left(event.series_id):
        bookings = db.session.scalars(
            sa.select(CourseBooking).where(
                CourseBooking.series_id == event.series_id, CourseBooking.anonymised_at.is_(None)
            )
        ).all()
        for booking in bookings:
            done.add(anonymise_booking(booking, now))
    audit("event.anonymise", event, **asdict(done))
    db.session.flush()
    log.info("event %s anonymised: %s", event_id, asdict(done))
    return done


def _dates_left(series_id: int) -> bool:
    """Whether a date of the series still keeps its participants."""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Event.id)).where(
                Event.series_id == series_id, Event.anonymised_at.is_(None)
            )
        )
    )


def anonymise_due(now: datetime | None = None) -> list[int]:
    """The nightly job: every due event, each in its own transaction (committed here,
    so that one event's failure keeps the others done). Returns the events' ids."""
    done = []
    for event_id in due_events(now):
        try:
            if anonymise_event(event_id, now) is not None:
                done.append(event_id)
            db.session.commit()
        except Exception:  # noqa: BLE001 - one event's fault must not stop the others
            db.session.rollback()
            log.exception("could not anonymise event %s; trying again next night", event_id)
    return done
