"""Certificates of attendance: who has earned one, issuing it, and sending it.

A course's held dates are its dates not cancelled that have ended; a booking earns a
certificate when the share of held dates marked present (percent) reaches the
series' `certificate_share`. A date booked on its own (a single event, or a date of a
series whose dates are booked each alone): the registration marked present once it
has ended. A certificate's number (e.g. 2026-0007-K3F9QW2: year,
sequence, random check part) is printed on it and verifiable at /certificates/<number>,
also after the holder's name went (the keyed hash `holder_check` stays).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from events.course_models import Certificate, CourseBooking
from events.errors import EventError
from events.models import (
    AttendanceStatus,
    Event,
    EventMailKind,
    EventSeries,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.mail.operations import queue_delivery
from kkp.mail.render import mail_branding
from kkp.tokens import InvalidToken, TokenPurpose, make_token, read_token

#: minutes in a teaching unit
UNIT_MINUTES = 45
#: the check part of a number: no 0/O, 1/I/L, so it can be read aloud and typed
CHECK_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
#: 31**7 (about 27 billion) per sequence number: a number cannot be found by trying
CHECK_LENGTH = 7


@dataclass(frozen=True)
class Attendance:
    """One booking's (or registration's) attendance: dates held, dates present, and
    whether that earns a certificate."""

    held: int
    attended: int
    #: the share needed, percent
    needed: int
    #: the dates attended, earliest first
    events: tuple[Event, ...]

    @property
    def percent(self) -> int:
        """The share attended, percent, rounded down (never shows 75 when 74.9)."""
        return math.floor(self.attended * 100 / self.held) if self.held else 0

    @property
    def eligible(self) -> bool:
        return self.held > 0 and self.attended * 100 >= self.needed * self.held

    def reason(self) -> str:
        """Why there is no certificate, in words ("" when eligible)."""
        if self.eligible:
            return ""
        if not self.held:
            return _("No date has taken place yet.")
        return _(
            "%(attended)d of %(held)d dates attended (%(percent)d %%), %(needed)d %% are needed",
            attended=self.attended,
            held=self.held,
            percent=self.percent,
            needed=self.needed,
        )


def held_events(series: EventSeries, now=None) -> list[Event]:
    """The series' dates that took place: not cancelled and ended."""
    now = now or utcnow()
    return [e for e in series.events if e.status != EventStatus.CANCELLED and e.ends_at <= now]


def booking_attendance(booking: CourseBooking, held: list[Event] | None = None) -> Attendance:
    """How much of its course a booking attended (`held`: the series' held dates, when
    the caller has them for many bookings)."""
    series = booking.series
    held = held_events(series) if held is None else held
    present = {
        r.event_id for r in booking.registrations if r.attendance == AttendanceStatus.PRESENT
    }
    attended = tuple(e for e in held if e.id in present)
    return Attendance(len(held), len(attended), series.certificate_share, attended)


def registration_attendance(registration: Registration) -> Attendance:
    """A single event's attendance: all or nothing."""
    event = registration.event
    held = int(event.status != EventStatus.CANCELLED and event.ends_at <= utcnow())
    present = held and registration.attendance == AttendanceStatus.PRESENT
    return Attendance(held, int(present), 100, (event,) if present else ())


# -- issuing ----------------------------------------------------------------------------


def holder_check(name: str) -> str:
    """HMAC-SHA256 (hex) of the name as people type it: Unicode-normalised, case and
    spacing ignored; keyed with the app's secret."""
    normal = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, b"certificate-holder\0" + normal.encode(), hashlib.sha256).hexdigest()


def name_matches(certificate: Certificate, name: str) -> bool:
    return bool(name.strip()) and hmac.compare_digest(certificate.holder_check, holder_check(name))


def _date_entry(event: Event, *, units: bool) -> dict:
    minutes = 0 if event.all_day else round((event.ends_at - event.starts_at).total_seconds() / 60)
    return {
        "starts_at": event.starts_at.isoformat(),
        "ends_at": event.ends_at.isoformat(),
        "all_day": event.all_day,
        "minutes": minutes,
        "units": round(minutes / UNIT_MINUTES, 1) if units else None,
        "place": event.place if event.is_in_person else "",
        "online": event.is_online,
    }


def _as_printed(summary: str, signer_name: str, signer_role: str = "") -> dict:
    """What the certificate prints besides the holder and the dates, as it is now: the
    summary, the signer and the office's letterhead, kept on the certificate."""
    office = mail_branding(current_app.config)
    return {
        "summary": summary,
        "signer_name": signer_name,
        "signer_role": signer_role,
        "office_name": office["office_name"],
        "office_address": office["postal_address"],
    }


def _next_number(year: int) -> str:
    """The year's next number. On PostgreSQL a lock for the transaction makes two
    issuing at once take turns (SQLite writes one at a time anyway), so the sequence
    never repeats; the random part makes numbers impossible to guess."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('certificate_number'))"))
    prefix = f"{year}-"
    taken = db.session.scalar(
        sa.select(sa.func.count()).where(Certificate.number.like(prefix + "%"))
    )
    check = "".join(secrets.choice(CHECK_ALPHABET) for _ in range(CHECK_LENGTH))
    return f"{prefix}{taken + 1:04d}-{check}"


def _store(certificate: Certificate, unique_on: tuple, course: EventSeries | Event) -> Certificate:
    """Add it under the next number; when another request issued the same certificate
    first (`unique_on`: the column and value that make it the same), that one."""
    column, value = unique_on
    certificate.number = _next_number(certificate.issued_at.astimezone(BERLIN).year)
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        existing = db.session.scalar(sa.select(Certificate).where(column == value))
        if existing is None:
            raise
        return existing
    audit("certificate.issue", course, number=certificate.number)
    return certificate


def certificate_for(booking_id: int) -> Certificate | None:
    return db.session.scalar(sa.select(Certificate).where(Certificate.booking_id == booking_id))


def certificate_for_registration(registration_id: int) -> Certificate | None:
    """A single event's certificate for this registration, if issued."""
    return db.session.scalar(
        sa.select(Certificate).where(Certificate.registration_id == registration_id)
    )


def issue(booking_id: int) -> Certificate:
    """The booking's certificate, issued now unless it has one (then that one). Raises
    :class:`EventError` with the reason when the booking has not earned one."""
    existing = certificate_for(booking_id)
    if existing is not None:
        return existing
    booking = db.session.get(CourseBooking, booking_id)
    if booking is None:
        raise EventError(_("There is no such booking."))
    if booking.status != RegistrationStatus.CONFIRMED or booking.anonymised_at is not None:
        raise EventError(_("Only confirmed bookings get a certificate."))
    attendance = booking_attendance(booking)
    if not attendance.eligible:
        raise EventError(attendance.reason())
    series = booking.series
    certificate = Certificate(
        series_id=series.id,
        booking_id=booking.id,
        holder_name=booking.name,
        holder_check=holder_check(booking.name),
        title=series.title,
        dates=[_date_entry(e, units=series.teaching_units) for e in attendance.events],
        issued_at=utcnow(),
        **_as_printed(series.certificate_summary, series.signer_name, series.signer_role),
    )
    return _store(certificate, (Certificate.booking_id, booking.id), series)


def issue_for_registration(registration_id: int) -> Certificate:
    """A single event's certificate (no series), as :func:`issue`."""
    existing = certificate_for_registration(registration_id)
    if existing is not None:
        return existing
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.booking_id is not None:
        raise EventError(_("There is no such registration."))
    if registration.status != RegistrationStatus.CONFIRMED or registration.anonymised_at:
        raise EventError(_("Only confirmed registrations get a certificate."))
    attendance = registration_attendance(registration)
    if not attendance.eligible:
        raise EventError(_("The participant was not marked present at the event."))
    event = registration.event
    certificate = Certificate(
        event_id=event.id,
        registration_id=registration.id,
        holder_name=registration.name,
        holder_check=holder_check(registration.name),
        title=event.title,
        dates=[_date_entry(event, units=False)],
        issued_at=utcnow(),
        **_as_printed(event.summary, event.organizer_name),
    )
    return _store(certificate, (Certificate.registration_id, registration.id), event)


def send(certificate: Certificate, recipient: str) -> bool:
    """Queue the mail with the PDF unless it went already; whether it was queued now.
    The mark is set in the database first, where it was not set: of two editors (or a
    double click) sending at once, one mails, the other finds it done."""
    if certificate.anonymised_at is not None:
        return False
    now = utcnow()
    marked = db.session.execute(
        sa.update(Certificate)
        .where(Certificate.id == certificate.id, Certificate.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not marked:
        return False
    certificate.sent_at = now
    queue_delivery(EventMailKind.CERTIFICATE, recipient, params={"certificate_id": certificate.id})
    return True


# -- the holder's link ------------------------------------------------------------------


def token_for(certificate: Certificate) -> str:
    return make_token(TokenPurpose.CERTIFICATE, {"c": certificate.id, "n": certificate.number})


def certificate_for_token(token: str) -> Certificate:
    """Raises :class:`InvalidToken` when forged, or the certificate is gone."""
    payload = read_token(TokenPurpose.CERTIFICATE, token)
    certificate = db.session.get(Certificate, payload.get("c") or 0)
    if certificate is None or certificate.number != payload.get("n") or certificate.anonymised_at:
        raise InvalidToken()
    return certificate


def certificate_by_number(number: str) -> Certificate | None:
    number = number.strip().upper()
    if not number or len(number) > 40:
        return None
    return db.session.scalar(sa.select(Certificate).where(Certificate.number == number))
