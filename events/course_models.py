"""What a course brings beyond single dates: the booking of a whole course, the
certificates of attendance, and the scanned sign-in sheets of a date."""

from __future__ import annotations

import sqlalchemy as sa

from events.models import EventSeries, Registration, RegistrationSource
from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db


class CourseBooking(db.Model):
    """One person for all dates of a whole-course series: seats and the waiting list are
    counted here, against `EventSeries.capacity` (a hybrid course's online seats:
    `capacity_online`). Its status follows
    :class:`events.models.RegistrationStatus`; each date has a
    :class:`events.models.Registration` (`booking_id`) whose status follows this one's,
    so the date's participant list, invitation, reminder and attendance work as for any
    registration."""

    __tablename__ = "course_booking"
    __table_args__ = (
        sa.UniqueConstraint("series_id", "email", name="uq_course_booking_series_email"),
        sa.Index("ix_course_booking_series_status", "series_id", "status", "waiting_since", "id"),
        sa.Index("ix_course_booking_hold_until", "hold_until"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    series_id = sa.Column(sa.ForeignKey("event_series.id", ondelete="CASCADE"), nullable=False)
    #: normalised address; replaced by a placeholder when anonymised
    email = sa.Column(sa.String(254), nullable=False)
    name = sa.Column(sa.String(200), nullable=False, default="")
    organisation = sa.Column(sa.String(200), nullable=False, default="")
    #: a :class:`events.models.RegistrationStatus`
    status = sa.Column(sa.String(20), nullable=False)
    waiting_since = sa.Column(UTCDateTime)
    #: an unconfirmed booking lapses at this instant; NULL once confirmed or lapsed
    hold_until = sa.Column(UTCDateTime)
    #: random; part of the links in mail
    key = sa.Column(sa.String(32), nullable=False)
    #: a :class:`events.models.RegistrationSource`
    source = sa.Column(sa.String(20), nullable=False, default=RegistrationSource.FORM)
    locale = sa.Column(sa.String(5), nullable=False, default="de")
    #: a :class:`events.models.Participation` when the course's dates are hybrid
    participation = sa.Column(sa.String(10), nullable=False, default="", server_default="")
    consent_at = sa.Column(UTCDateTime)
    consent_version = sa.Column(sa.ForeignKey("consent_text.version"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    confirmed_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)
    anonymised_at = sa.Column(UTCDateTime)

    series = db.relationship(EventSeries)
    registrations = db.relationship(
        Registration, backref="booking", order_by=Registration.event_id, passive_deletes=True
    )


class Certificate(db.Model):
    """A certificate of attendance as issued: its number stays verifiable after the
    holder's data went (`holder_name` emptied; `holder_check` is a keyed hash of the
    name, so a name someone types can still be checked against it).

    A document: every download prints what it printed when issued. So it keeps the
    course's title, the dates with their places (in `dates`), the summary, the signer
    and the office's name and postal address as they were then; a later change of the
    series or of the office's settings leaves it as it is. Only the office's logo is
    read afresh for each PDF (a picture, not a statement; kept once in the settings)."""

    __tablename__ = "certificate"
    __table_args__ = (
        sa.UniqueConstraint("booking_id", name="uq_certificate_booking"),
        sa.UniqueConstraint("registration_id", name="uq_certificate_registration"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: printed on the certificate and checked at /certificates/<number>, e.g. 2026-0007-K3F9QW2
    number = sa.Column(sa.String(40), nullable=False, unique=True)
    series_id = sa.Column(sa.ForeignKey("event_series.id", ondelete="SET NULL"), index=True)
    #: a single event's certificate (no series)
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="SET NULL"), index=True)
    booking_id = sa.Column(sa.ForeignKey("course_booking.id", ondelete="SET NULL"))
    registration_id = sa.Column(sa.ForeignKey("registration.id", ondelete="SET NULL"))
    holder_name = sa.Column(sa.String(200), nullable=False, default="")
    holder_check = sa.Column(sa.String(64), nullable=False, default="")
    #: the course title, as issued
    title = sa.Column(sa.String(200), nullable=False)
    #: the dates attended as issued: [{"starts_at", "ends_at", "minutes", "units"}]
    dates = sa.Column(sa.JSON, nullable=False, default=list)
    #: what the course covered, as issued (the series' `certificate_summary`)
    summary = sa.Column(sa.Text, nullable=False, default="", server_default="")
    #: who signs and her role, as issued (a single event's: its organiser, no role)
    signer_name = sa.Column(sa.String(200), nullable=False, default="", server_default="")
    signer_role = sa.Column(sa.String(200), nullable=False, default="", server_default="")
    #: the letterhead as issued: the office's name and postal address (lines)
    office_name = sa.Column(sa.Text, nullable=False, default="", server_default="")
    office_address = sa.Column(sa.Text, nullable=False, default="", server_default="")
    issued_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: when the mail with the PDF was queued; NULL: not sent
    sent_at = sa.Column(UTCDateTime)
    anonymised_at = sa.Column(UTCDateTime)


class AttendanceScan(db.Model):
    """A scan (PDF or picture) of a date's signed sign-in sheet."""

    __tablename__ = "attendance_scan"

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False, index=True)
    filename = sa.Column(sa.String(200), nullable=False)
    content_type = sa.Column(sa.String(100), nullable=False)
    size = sa.Column(sa.Integer, nullable=False)
    data = sa.Column(sa.LargeBinary, nullable=False)
    uploaded_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
