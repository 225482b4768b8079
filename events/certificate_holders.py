"""A course's or a date's certificate holders as the editors' pages show them (one
row each: attendance and certificate), and "issue and send to everyone eligible" over
them; issuing and mailing one certificate: :mod:`events.certificates`."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from events.certificates import (
    Attendance,
    booking_attendance,
    held_events,
    issue,
    issue_for_registration,
    registration_attendance,
    send,
)
from events.course_models import Certificate, CourseBooking
from events.errors import EventStateError
from events.models import Event, EventSeries, Registration, RegistrationStatus
from kkp.auth.operations import audit
from kkp.extensions import db


@dataclass(frozen=True)
class HolderRow:
    """One booking of a course, or one registration of a single date, on the editors'
    page."""

    holder: CourseBooking | Registration
    attendance: Attendance
    certificate: Certificate | None

    @property
    def to_send(self) -> bool:
        """Whether "issue and send" would mail this one now."""
        return (
            self.holder.status == RegistrationStatus.CONFIRMED
            and self.holder.anonymised_at is None
            and self.attendance.eligible
            and (self.certificate is None or self.certificate.sent_at is None)
        )


def course_rows(series: EventSeries) -> list[HolderRow]:
    """Every confirmed booking of the course (and any other that has a certificate),
    by name."""
    held = held_events(series)
    certificates = {
        c.booking_id: c
        for c in db.session.scalars(
            sa.select(Certificate).where(Certificate.series_id == series.id)
        )
    }
    bookings = db.session.scalars(
        sa.select(CourseBooking)
        .where(
            CourseBooking.series_id == series.id,
            sa.or_(
                CourseBooking.status == RegistrationStatus.CONFIRMED,
                CourseBooking.id.in_([i for i in certificates if i is not None]),
            ),
        )
        .options(selectinload(CourseBooking.registrations))
        .order_by(CourseBooking.name, CourseBooking.id)
    )
    return [HolderRow(b, booking_attendance(b, held), certificates.get(b.id)) for b in bookings]


def event_rows(event: Event) -> list[HolderRow]:
    """Every confirmed registration of a date booked on its own (not through a course
    booking; and any other that has a certificate), by name."""
    certificates = {
        c.registration_id: c
        for c in db.session.scalars(sa.select(Certificate).where(Certificate.event_id == event.id))
    }
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.event_id == event.id,
            Registration.booking_id.is_(None),
            sa.or_(
                Registration.status == RegistrationStatus.CONFIRMED,
                Registration.id.in_([i for i in certificates if i is not None]),
            ),
        )
        .order_by(Registration.name, Registration.id)
    )
    return [HolderRow(r, registration_attendance(r), certificates.get(r.id)) for r in registrations]


def unsent_eligible(series: EventSeries) -> list[HolderRow]:
    """The bookings that "issue and send" would mail now."""
    return [row for row in course_rows(series) if row.to_send]


def unsent_eligible_at(event: Event) -> list[HolderRow]:
    """The registrations of a single date that "issue and send" would mail now."""
    return [row for row in event_rows(event) if row.to_send]


@dataclass
class SendReport:
    """What "issue and send to everyone eligible" did."""

    #: certificates issued now
    issued: int = 0
    #: mails queued now
    sent: int = 0
    #: eligible holders whose certificate was mailed before
    already_sent: int = 0
    #: confirmed holders that have not earned one, with the reason in words
    refused: list[tuple[CourseBooking | Registration, str]] = field(default_factory=list)


def _send_all(rows: list[HolderRow], issuing, owner: EventSeries | Event) -> SendReport:
    report = SendReport()
    for row in rows:
        holder = row.holder
        if holder.status != RegistrationStatus.CONFIRMED or holder.anonymised_at is not None:
            continue
        if row.certificate is not None and row.certificate.sent_at is not None:
            report.already_sent += 1
        elif not row.attendance.eligible:
            report.refused.append((holder, row.attendance.reason()))
        else:
            certificate = issuing(holder.id)
            report.issued += row.certificate is None
            if send(certificate, holder.email):
                report.sent += 1
            else:  # another request mailed it meanwhile
                report.already_sent += 1
    audit("certificate.send_all", owner, count=report.sent)
    return report


def issue_and_send_all(series_id: int) -> SendReport:
    """Issue a certificate to every booking that earned one and mail those not mailed
    yet; idempotent (nobody gets a second mail)."""
    series = db.session.get(EventSeries, series_id)
    return _send_all(course_rows(series), issue, series)


def issue_and_send_all_at(event_id: int) -> SendReport:
    """The same for the registrations of a single date: everyone marked present."""
    event = db.session.get(Event, event_id)
    return _send_all(event_rows(event), issue_for_registration, event)


def send_to_holder(certificate: Certificate) -> bool:
    """Mail one certificate to its holder unless it went already (:func:`send`);
    whether it was queued now. Raises :class:`EventError` when the holder's data is
    gone (anonymised or deleted). Audited on the course or the event."""
    holder = db.session.get(CourseBooking, certificate.booking_id or 0) or db.session.get(
        Registration, certificate.registration_id or 0
    )
    if holder is None or holder.anonymised_at is not None or certificate.anonymised_at:
        raise EventStateError(_("The holder's data is gone: the certificate cannot be mailed."))
    if not send(certificate, holder.email):
        return False
    owner = db.session.get(EventSeries, certificate.series_id or 0) or db.session.get(
        Event, certificate.event_id or 0
    )
    audit("certificate.send", owner, number=certificate.number)
    return True
