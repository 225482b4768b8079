"""What events keep about one address, for a data subject request (GDPR Art. 15, 17,
20): the registrations with their events, the course bookings, answers, optional
consents and certificates; and its erasure. :mod:`newsletter.data_requests` puts it
together with the newsletter's part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from events.course_models import Certificate, CourseBooking
from events.courses import cancel_booking
from events.feedback_models import FeedbackReceipt
from events.models import ACTIVE, UNCONFIRMED, Registration, RegistrationStatus
from events.question_models import Answer, ConsentRecord
from events.registrations import cancel
from events.retention import Anonymised, anonymise_booking, anonymise_registrations
from kkp.db import utcnow
from kkp.extensions import db

#: statuses whose seat (or place on the waiting list, or invitation) is given up first
_HOLDING = (*ACTIVE, *UNCONFIRMED, RegistrationStatus.INVITED)


@dataclass
class EventData:
    """Everything events store about one address (not yet anonymised rows only)."""

    registrations: list[Registration] = field(default_factory=list)
    bookings: list[CourseBooking] = field(default_factory=list)
    #: by registration id and by booking id
    answers: dict[tuple[str, int], list[Answer]] = field(default_factory=dict)
    consents: dict[tuple[str, int], list[ConsentRecord]] = field(default_factory=dict)
    certificates: list[Certificate] = field(default_factory=list)
    #: THAT feedback was asked for and given (never what), by registration or booking id
    feedback: dict[tuple[str, int], FeedbackReceipt] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.registrations or self.bookings)


def _same_address(column, email: str):
    return sa.func.lower(column) == email.lower()


def find(email: str) -> EventData:
    """The address's registrations, bookings and what hangs on them."""
    registrations = db.session.scalars(
        sa.select(Registration)
        .where(_same_address(Registration.email, email), Registration.anonymised_at.is_(None))
        .order_by(Registration.created_at, Registration.id)
    ).all()
    bookings = db.session.scalars(
        sa.select(CourseBooking)
        .where(_same_address(CourseBooking.email, email), CourseBooking.anonymised_at.is_(None))
        .order_by(CourseBooking.created_at, CourseBooking.id)
    ).all()
    found = EventData(list(registrations), list(bookings))
    registration_ids = [r.id for r in registrations]
    booking_ids = [b.id for b in bookings]
    for receipt in db.session.scalars(
        sa.select(FeedbackReceipt).where(
            sa.or_(
                FeedbackReceipt.registration_id.in_(registration_ids),
                FeedbackReceipt.booking_id.in_(booking_ids),
            )
        )
    ):
        key = (
            ("registration", receipt.registration_id)
            if receipt.registration_id
            else ("booking", receipt.booking_id)
        )
        found.feedback[key] = receipt
    for model, into in ((Answer, found.answers), (ConsentRecord, found.consents)):
        rows = db.session.scalars(
            sa.select(model)
            .where(
                sa.or_(
                    model.registration_id.in_(registration_ids),
                    model.booking_id.in_(booking_ids),
                )
            )
            .order_by(model.id)
        ).all()
        for row in rows:
            key = (
                ("registration", row.registration_id)
                if row.registration_id
                else ("booking", row.booking_id)
            )
            into.setdefault(key, []).append(row)
    found.certificates = list(
        db.session.scalars(
            sa.select(Certificate)
            .where(
                sa.or_(
                    Certificate.registration_id.in_(registration_ids),
                    Certificate.booking_id.in_(booking_ids),
                ),
                Certificate.anonymised_at.is_(None),
            )
            .order_by(Certificate.issued_at)
        )
    )
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _answers(rows: list[Answer]) -> list[dict]:
    return [{"question": a.question.label, "answer": a.value} for a in rows]


def _consents(rows: list[ConsentRecord]) -> list[dict]:
    """Each with how it was given and withdrawn, as the newsletter's consent history."""
    return [
        {
            "text": c.text,
            "given_at": _iso(c.given_at),
            "source": c.source,
            "ip": c.ip,
            "withdrawn_at": _iso(c.withdrawn_at),
            "withdrawn_source": c.withdrawn_source,
            "withdrawn_ip": c.withdrawn_ip,
        }
        for c in rows
    ]


def _feedback(receipt: FeedbackReceipt | None) -> dict | None:
    """Only that; the answers belong to nobody and cannot be told apart."""
    if receipt is None:
        return None
    return {
        "invited_at": _iso(receipt.invited_at),
        "given_on": receipt.given_on.isoformat() if receipt.given_on else None,
    }


def export(found: EventData) -> dict:
    """The events' part of the export, JSON-ready."""
    return {
        "registrations": [
            {
                "event": r.event.title,
                "starts_at": _iso(r.event.starts_at),
                "ends_at": _iso(r.event.ends_at),
                "email": r.email,
                "name": r.name,
                "organisation": r.organisation,
                "status": r.status,
                "source": r.source,
                "language": r.locale,
                "participation": r.participation or None,
                "attendance": r.attendance,
                "registered_at": _iso(r.created_at),
                "confirmed_at": _iso(r.confirmed_at),
                "cancelled_at": _iso(r.cancelled_at),
                "consent_at": _iso(r.consent_at),
                "consent_text_version": r.consent_version,
                "course_booking": r.booking_id,
                "answers": _answers(found.answers.get(("registration", r.id), [])),
                "consents": _consents(found.consents.get(("registration", r.id), [])),
                "feedback": _feedback(found.feedback.get(("registration", r.id))),
            }
            for r in found.registrations
        ],
        "course_bookings": [
            {
                "id": b.id,
                "course": b.series.title,
                "email": b.email,
                "name": b.name,
                "organisation": b.organisation,
                "status": b.status,
                "participation": b.participation or None,
                "registered_at": _iso(b.created_at),
                "confirmed_at": _iso(b.confirmed_at),
                "cancelled_at": _iso(b.cancelled_at),
                "consent_at": _iso(b.consent_at),
                "consent_text_version": b.consent_version,
                "answers": _answers(found.answers.get(("booking", b.id), [])),
                "consents": _consents(found.consents.get(("booking", b.id), [])),
                "feedback": _feedback(found.feedback.get(("booking", b.id))),
            }
            for b in found.bookings
        ],
        "certificates": [
            {
                "number": c.number,
                "holder_name": c.holder_name,
                "title": c.title,
                "dates": c.dates,
                "issued_at": _iso(c.issued_at),
                "sent_at": _iso(c.sent_at),
            }
            for c in found.certificates
        ],
    }


@dataclass
class Erased:
    """What an erasure did: the rows' ids (for the audit log) and the counts."""

    registration_ids: list[int]
    booking_ids: list[int]
    counts: Anonymised


def erase(email: str, now: datetime | None = None) -> Erased:
    """Erase what events keep about the address: a registration or course booking for
    an event still ahead is cancelled first (its seat freed, the waiting list moved
    up), then every
    registration and booking is anonymised and the mails sent to the address lose it.
    Idempotent; flushes, the caller commits."""
    now = now or utcnow()
    found = find(email)
    for booking in found.bookings:
        # every date to come at once; the course's waiting list moves up
        cancel_booking(booking)
    for registration in found.registrations:
        if registration.status in _HOLDING and registration.event.starts_at > now:
            cancel(registration)
    db.session.flush()
    counts = anonymise_registrations(found.registrations, now, every_mail=True)
    for booking in found.bookings:
        counts.add(anonymise_booking(booking, now, every_mail=True))
    return Erased(
        registration_ids=[r.id for r in found.registrations],
        booking_ids=[b.id for b in found.bookings],
        counts=counts,
    )
