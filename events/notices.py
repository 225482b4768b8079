"""What a registration is told: the signed links in its mails, and the mails queued
for it (one delivery row each, in the same transaction; kinds in :mod:`events.mails`).

The public forms can have mail sent to any address typed into them, so those mails
are limited to `KKP_REGISTRATION_MAILS_PER_HOUR` per address, whatever the IP.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from events.changes import changes
from events.models import Event, EventMailKind, Registration, RegistrationStatus
from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import queue_delivery
from kkp.tokens import InvalidToken, TokenPurpose, make_token, read_token

log = logging.getLogger(__name__)

#: the mails anyone can have sent to an address by typing it into a public form;
#: limited to `KKP_REGISTRATION_MAILS_PER_HOUR` per address
PUBLIC_FORM_MAILS = (
    EventMailKind.REGISTRATION_REQUEST,
    EventMailKind.REGISTRATION_LINK,
    EventMailKind.COURSE_REQUEST,
    EventMailKind.COURSE_LINK,
)


# -- tokens ------------------------------------------------------------------------------


def token_for(registration: Registration) -> str:
    return make_token(TokenPurpose.REGISTRATION, {"r": registration.id, "k": registration.key})


def confirm_token_for(registration: Registration) -> str:
    """The link in the mail that asks the owner of the address to confirm."""
    return make_token(
        TokenPurpose.REGISTRATION_CONFIRM, {"r": registration.id, "k": registration.key}
    )


def registration_for_token(token: str, purpose: str = TokenPurpose.REGISTRATION) -> Registration:
    """Raises :class:`InvalidToken` for a forged token or a deleted registration."""
    payload = read_token(purpose, token)
    registration = db.session.get(Registration, int(payload.get("r") or 0))
    if registration is None or not secrets.compare_digest(
        registration.key, str(payload.get("k", ""))
    ):
        raise InvalidToken()
    return registration


# -- mail --------------------------------------------------------------------------------


def queue_mail(kind: str, registration: Registration, **params) -> None:
    queue_delivery(kind, registration.email, params={"registration_id": registration.id, **params})


def public_mail_allowed(email: str, now: datetime) -> bool:
    """Whether the public forms may mail `email` once more this hour (any IP, any event)."""
    sent = db.session.scalar(
        sa.select(sa.func.count(Delivery.id)).where(
            Delivery.recipient == email,
            Delivery.kind.in_(PUBLIC_FORM_MAILS),
            Delivery.issue_id.is_(None),
            Delivery.created_at >= now - timedelta(hours=1),
        )
    )
    return sent < current_app.config["KKP_REGISTRATION_MAILS_PER_HOUR"]


def lock_address(email: str) -> None:
    """Serialise the public forms' work for one address until the transaction ends, so
    that registrations for several events at once keep to the mail limit. (SQLite
    writes one transaction at a time anyway.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(
            sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("kkp.address:" + email)))
        )


def queue_public(kind: str, registration: Registration, now: datetime, **params) -> None:
    """A mail that a public form asks for, unless the address had enough this hour."""
    if public_mail_allowed(registration.email, now):
        queue_mail(kind, registration, **params)
    else:
        log.info(
            "registration %s for event %s: mail limit for this address reached, no %s",
            registration.id,
            registration.event_id,
            kind,
        )


def queue_for_confirmed(event: Event, kind: str) -> int:
    people = db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.status == RegistrationStatus.CONFIRMED
        )
    ).all()
    for registration in people:
        queue_mail(kind, registration, sequence=event.sequence)
    return len(people)


#: who gets an update: those whose calendar holds the event, and those invited
TOLD_OF_UPDATES = (RegistrationStatus.CONFIRMED, RegistrationStatus.INVITED)


def _concerned(event: Event, before: dict | None, participation: str) -> bool:
    """Whether the update has anything to tell someone who takes part as
    `participation`; always when `before` is empty (what changed is not known)."""
    return not before or bool(changes(event, before, "de", participation))


def update_count(event_id: int, event: Event, before: dict) -> int:
    """How many :func:`notify_update` would mail for the event `event_id` with the
    values of `event` (stored or not) and the old values `before`."""
    counts = db.session.execute(
        sa.select(Registration.participation, sa.func.count())
        .where(Registration.event_id == event_id, Registration.status.in_(TOLD_OF_UPDATES))
        .group_by(Registration.participation)
    ).all()
    return sum(n for participation, n in counts if _concerned(event, before, participation))


def notify_update(event: Event, before: dict | None = None) -> int:
    """Time, place or link changed: an update (same UID, higher SEQUENCE) to everyone
    whose calendar holds the event, and to those invited. `before`: the changed
    columns' old values as JSON (:func:`events.changes.before`), for the mail to say
    what changed; someone for whom it says nothing changed (on site at a hybrid event
    whose link changed, online when its room did) gets no mail. The count of mails."""
    people = db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.status.in_(TOLD_OF_UPDATES)
        )
    ).all()
    concerned = {p: _concerned(event, before, p) for p in {r.participation for r in people}}
    told = [r for r in people if concerned[r.participation]]
    for registration in told:
        queue_mail(EventMailKind.UPDATE, registration, sequence=event.sequence, before=before or {})
    return len(told)


def notify_cancellation(event: Event) -> int:
    """The event is cancelled: CANCEL to those with a seat or an invitation, a note to
    the waiting list."""
    people = db.session.scalars(
        sa.select(Registration).where(
            Registration.event_id == event.id,
            Registration.status.in_(
                (
                    RegistrationStatus.CONFIRMED,
                    RegistrationStatus.INVITED,
                    RegistrationStatus.WAITING,
                )
            ),
        )
    ).all()
    for registration in people:
        queue_mail(
            EventMailKind.CANCELLED, registration, sequence=event.sequence, had=registration.status
        )
    return len(people)
