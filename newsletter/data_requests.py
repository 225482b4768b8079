"""Data subject requests across the newsletter and events (GDPR Art. 15, 17, 20):
everything stored about one address on one page, its export, and its erasure in one
action. The events' part is :mod:`events.personal_data`; the subscriber's export
:mod:`newsletter.personal_data`; the subscriber is deleted as always
(:func:`newsletter.operations.delete_subscriber`), so the address's hash stays on the
suppression list and no later import or API call brings her back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from events import personal_data as event_data
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.models import Subscriber, SuppressionReason
from newsletter.operations import delete_subscriber
from newsletter.personal_data import export_data
from people.addresses import is_suppressed


@dataclass
class PersonData:
    """Everything about one address."""

    email: str
    subscriber: Subscriber | None
    events: event_data.EventData
    #: the mails sent (or queued) to the address, newest first
    mails: list[Delivery] = field(default_factory=list)
    #: the address is on the suppression list (left, or erased before)
    suppressed: bool = False

    @property
    def empty(self) -> bool:
        return self.subscriber is None and self.events.empty and not self.mails


def _same_address(column, email: str):
    return sa.func.lower(column) == email.strip().lower()


def find(email: str) -> PersonData:
    """What is stored about `email` (the case of its letters does not matter)."""
    email = email.strip()
    subscriber = db.session.scalar(
        sa.select(Subscriber).where(_same_address(Subscriber.email, email))
    )
    mail_owner = _same_address(Delivery.recipient, email)
    if subscriber is not None:
        mail_owner = sa.or_(mail_owner, Delivery.subscriber_id == subscriber.id)
    mails = db.session.scalars(
        sa.select(Delivery)
        .where(mail_owner)
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
    ).all()
    try:
        suppressed = is_suppressed(email)
    except ValueError:
        suppressed = False
    return PersonData(
        email=email,
        subscriber=subscriber,
        events=event_data.find(email),
        mails=list(mails),
        suppressed=suppressed,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export(found: PersonData) -> dict:
    """Everything about the address as JSON-ready data (Art. 15 access, Art. 20
    portability)."""
    return {
        "email": found.email,
        "exported_at": utcnow().isoformat(),
        "newsletter": export_data(found.subscriber) if found.subscriber else None,
        "on_suppression_list": found.suppressed,
        **event_data.export(found.events),
        "mails": [
            {
                "kind": d.kind,
                "status": d.status,
                "created_at": _iso(d.created_at),
                "sent_at": _iso(d.sent_at),
            }
            for d in found.mails
        ],
    }


def looked_up(found: PersonData) -> PersonData:
    """An editor looked at everything about an address: audited (ids only)."""
    audit(
        "data_request.find",
        None,
        subscriber_id=found.subscriber.id if found.subscriber else None,
        registration_ids=[r.id for r in found.events.registrations],
        booking_ids=[b.id for b in found.events.bookings],
    )
    return found


def exported(found: PersonData) -> dict:
    """:func:`export`, audited (ids only)."""
    audit(
        "data_request.export",
        None,
        subscriber_id=found.subscriber.id if found.subscriber else None,
        registration_ids=[r.id for r in found.events.registrations],
        booking_ids=[b.id for b in found.events.bookings],
    )
    return export(found)


def own_export(subscriber: Subscriber) -> dict:
    """A subscriber's own download from the preference centre: her subscriber data as
    before (:func:`newsletter.personal_data.export_data`), and her events' part and the
    mails sent to her beside it."""
    found = find(subscriber.email)
    everything = export(found)
    return {
        **export_data(subscriber),
        "events": {
            key: everything[key] for key in ("registrations", "course_bookings", "certificates")
        },
        "mails": everything["mails"],
    }


@dataclass
class Erasure:
    subscriber_id: int | None
    erased: event_data.Erased
    #: the mails to the address (or the subscriber), which lost it
    mails: int = 0


def erase(email: str, now: datetime | None = None) -> Erasure:
    """Erase everything about `email` (Art. 17): the subscriber deleted (her hash kept
    on the suppression list), registrations and bookings cancelled where the event is
    still ahead and anonymised, every mail to her without recipient. Audited with ids
    only. Flushes; the caller commits."""
    found = find(email)
    subscriber_id = found.subscriber.id if found.subscriber else None
    if found.subscriber is not None:
        delete_subscriber(found.subscriber, reason=SuppressionReason.DELETED)
    erased = event_data.erase(found.email, now)
    remaining = db.session.scalars(
        sa.select(Delivery).where(_same_address(Delivery.recipient, found.email))
    ).all()
    for delivery in remaining:
        delivery.recipient = ""
        if delivery.status == DeliveryStatus.QUEUED:
            delivery.status = DeliveryStatus.CANCELLED
    db.session.flush()
    audit(
        "data_request.erase",
        None,
        subscriber_id=subscriber_id,
        registration_ids=erased.registration_ids,
        booking_ids=erased.booking_ids,
    )
    return Erasure(subscriber_id, erased, mails=len(found.mails))
