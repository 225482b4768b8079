"""Queueing deliveries and sending one: the only way mail leaves the service."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import dkim
from kkp.mail.message import as_bytes
from kkp.mail.models import Delivery
from kkp.mail.transport import DeliveryError, transport_for
from kkp.mail.verp import return_path

log = logging.getLogger(__name__)

#: attempts before a temporary failure counts as final
MAX_ATTEMPTS = 8


class NotDeliverable(Exception):
    """The builder found nothing to send any more (say, the subscriber was deleted)."""


#: a builder returns a message, or its bytes and Message-ID
Builder = Callable[[Delivery], "EmailMessage | tuple[bytes, str]"]
_BUILDERS: dict[str, Builder] = {}


def message_builder(kind: str) -> Callable[[Builder], Builder]:
    """Register the function that renders deliveries of `kind` into a message."""

    def register(fn: Builder) -> Builder:
        _BUILDERS[kind] = fn
        return fn

    return register


def queue_delivery(
    kind: str, recipient: str, *, subscriber_id: int | None = None, params: dict | None = None
) -> Delivery:
    """Write a delivery row and enqueue its sending once the transaction commits."""
    from workers.actors import send_delivery

    if kind not in _BUILDERS:
        raise ValueError(f"no message builder for kind {kind!r}")
    delivery = Delivery(
        kind=kind, recipient=recipient, subscriber_id=subscriber_id, params=params or {}
    )
    db.session.add(delivery)
    db.session.flush()
    send_delivery.send(delivery.id)
    return delivery


def _claim(delivery_id: int) -> bool:
    """Mark the delivery as being sent, unless another worker has it or it is done."""
    stale = utcnow() - timedelta(minutes=current_app.config["KKP_DELIVERY_STALE_MINUTES"])
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            sa.or_(
                Delivery.status == "queued",
                sa.and_(Delivery.status == "sending", Delivery.updated_at < stale),
            ),
        )
        .values(status="sending", attempts=Delivery.attempts + 1, updated_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def deliver(delivery_id: int) -> str:
    """Send one delivery; idempotent. Returns its status afterwards.

    Raises :class:`DeliveryError` for a temporary failure so that the caller retries.
    """
    if not _claim(delivery_id):
        return "skipped"
    delivery = db.session.get(Delivery, delivery_id)
    try:
        msg = _BUILDERS[delivery.kind](delivery)
        if isinstance(msg, EmailMessage):
            data, message_id = as_bytes(msg), str(msg["Message-ID"])
        else:  # a builder that made the bytes itself (newsletter issues)
            data, message_id = msg
        transport_for(current_app).send_bytes(
            dkim.sign(current_app, data),
            envelope_from=return_path(delivery.id),
            recipients=[delivery.recipient],
        )
    except NotDeliverable as exc:
        delivery.status = "cancelled"
        delivery.last_error = str(exc)
        db.session.commit()
        return "cancelled"
    except DeliveryError as exc:
        delivery.last_error = str(exc)[:2000]
        final = exc.permanent or delivery.attempts >= MAX_ATTEMPTS
        delivery.status = "failed" if final else "queued"
        db.session.commit()
        log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, delivery.last_error)
        if not final:
            raise
        return delivery.status
    except Exception as exc:
        db.session.rollback()
        db.session.execute(  # back to the queue, saying why (a wrong DKIM key, say)
            sa.update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status="queued", last_error=f"{type(exc).__name__}: {exc}"[:2000])
        )
        db.session.commit()
        raise
    delivery.status = "sent"
    delivery.sent_at = utcnow()
    delivery.message_id = message_id
    delivery.last_error = None
    db.session.commit()
    log.info("delivery %s (%s) sent", delivery.id, delivery.kind)
    return "sent"


def sweep_stale() -> int:
    """Hand deliveries stuck in "sending" (a worker died) or orphaned in "queued" out again."""
    from workers.actors import send_delivery

    stale = utcnow() - timedelta(minutes=current_app.config["KKP_DELIVERY_STALE_MINUTES"])
    ids = db.session.scalars(
        sa.select(Delivery.id)
        .where(
            Delivery.status.in_(("sending", "queued")),
            Delivery.updated_at < stale,
            # an issue's deliveries wait while it is paused; its own sweeper sends in chunks
            Delivery.issue_id.is_(None),
        )
        .order_by(Delivery.id)
        .limit(5000)
    ).all()
    for delivery_id in ids:
        send_delivery.send_now(delivery_id)
    if ids:
        log.info("re-enqueued %d stale deliveries", len(ids))
    return len(ids)
