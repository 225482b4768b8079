"""What a returned mail changes: a hard bounce or a complaint puts the address on the
suppression list at once, soft bounces after `KKP_SOFT_BOUNCE_LIMIT` of them within
`KKP_SOFT_BOUNCE_DAYS` days; anything else changes nothing.

:func:`process_bounce` is the one entry point: `kkp bounce` (a pipe transport of the
mail server) calls it, and so can a mailbox poller. It flushes; the caller commits.
Logs name the delivery and the reason, never an address.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.bounce_parse import BounceKind, parse_bounce
from kkp.mail.models import Delivery
from people.addresses import address_hashes, email_hash
from people.models import Bounce, Suppression, SuppressionReason

log = logging.getLogger(__name__)

#: what a returned mail may record
RECORDED = (BounceKind.HARD, BounceKind.SOFT, BounceKind.COMPLAINT)
#: the suppressions an editor may release: those that bounces made, never a person's
#: own leaving or deletion
RELEASABLE = (SuppressionReason.BOUNCED, SuppressionReason.COMPLAINED)


class Outcome(enum.StrEnum):
    """What processing a returned mail did."""

    #: recorded, and the address put on the suppression list
    SUPPRESSED = "suppressed"
    #: recorded (a soft bounce below the limit, or an address already suppressed)
    RECORDED = "recorded"
    #: the same returned mail was recorded before
    DUPLICATE = "duplicate"
    #: not a bounce, not ours, or not understood: nothing changed
    IGNORED = "ignored"


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    kind: BounceKind
    bounce_id: int | None = None


def process_bounce(
    raw: bytes, envelope_recipient: str | None = None, now: datetime | None = None
) -> Result:
    """Read a returned mail (its raw bytes) and apply the policy to the delivery it
    names; `envelope_recipient` is the address the mail server delivered it to."""
    now = now or utcnow()
    parsed = parse_bounce(raw, envelope_recipient)
    if parsed.kind not in RECORDED:
        log.info("returned mail ignored: %s", parsed.kind)
        return Result(Outcome.IGNORED, parsed.kind)
    delivery = db.session.get(Delivery, parsed.delivery_id) if parsed.delivery_id else None
    if delivery is None or not delivery.recipient:
        why = "no genuine return path" if parsed.delivery_id is None else "unknown delivery"
        log.info("%s bounce ignored: %s (delivery %s)", parsed.kind, why, parsed.delivery_id)
        return Result(Outcome.IGNORED, parsed.kind)
    if db.session.scalar(sa.select(Bounce.id).where(Bounce.message_key == parsed.key)):
        log.info("%s bounce for delivery %s recorded before", parsed.kind, delivery.id)
        return Result(Outcome.DUPLICATE, parsed.kind)
    bounce = Bounce(
        delivery_id=delivery.id,
        subscriber_id=delivery.subscriber_id,
        email_hash=email_hash(delivery.recipient),
        kind=parsed.kind,
        status=parsed.status,
        diagnostic=parsed.diagnostic,
        message_key=parsed.key,
        received_at=now,
    )
    db.session.add(bounce)
    db.session.flush()
    reason = _suppression_due(bounce, now)
    if reason and _suppress(bounce.email_hash, reason):
        log.info("%s bounce for delivery %s: address suppressed", parsed.kind, delivery.id)
        return Result(Outcome.SUPPRESSED, parsed.kind, bounce.id)
    log.info("%s bounce for delivery %s recorded", parsed.kind, delivery.id)
    return Result(Outcome.RECORDED, parsed.kind, bounce.id)


def _suppression_due(bounce: Bounce, now: datetime) -> SuppressionReason | None:
    if bounce.kind == BounceKind.COMPLAINT:
        return SuppressionReason.COMPLAINED
    if bounce.kind == BounceKind.HARD:
        return SuppressionReason.BOUNCED
    config = current_app.config
    since = now - timedelta(days=config["KKP_SOFT_BOUNCE_DAYS"])
    soft = db.session.scalar(
        sa.select(sa.func.count()).where(
            Bounce.email_hash == bounce.email_hash,
            Bounce.kind == BounceKind.SOFT,
            Bounce.received_at > since,
            Bounce.received_at <= now,
        )
    )
    return SuppressionReason.BOUNCED if soft >= config["KKP_SOFT_BOUNCE_LIMIT"] else None


def _suppress(key: str, reason: SuppressionReason) -> bool:
    """Put the hash on the list; False if it was there already."""
    if db.session.get(Suppression, key) is not None:
        return False
    db.session.add(Suppression(email_hash=key, reason=reason))
    db.session.flush()
    return True


def suppression_of(bounce: Bounce) -> Suppression | None:
    """The entry of the bounce's address on the suppression list, if bounces put it
    there (see :data:`RELEASABLE`)."""
    found = db.session.get(Suppression, bounce.email_hash)
    return found if found is not None and found.reason in RELEASABLE else None


def release(bounce: Bounce) -> bool:
    """Take the bounce's address off the suppression list (an editor's decision, with a
    note in the audit log); False if bounces had not put it there."""
    deleted = db.session.execute(
        sa.delete(Suppression).where(
            Suppression.email_hash == bounce.email_hash, Suppression.reason.in_(RELEASABLE)
        )
    )
    return bool(deleted.rowcount)


def bounces_of_address(email: str):
    """A query of the bounces of an address, newest first."""
    return (
        sa.select(Bounce)
        .where(Bounce.email_hash.in_(address_hashes(email)))
        .order_by(Bounce.received_at.desc(), Bounce.id.desc())
    )
