"""Queueing deliveries and sending one: the only way mail leaves the service."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import SQLAlchemyError

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import dkim, reasons
from kkp.mail.message import as_bytes
from kkp.mail.models import Delivery, DeliveryStatus
from kkp.mail.tasks import send_delivery, send_interactive_delivery
from kkp.mail.transport import DeliveryError, transport_for
from kkp.mail.verp import return_path
from kkp.tasks import Task

log = logging.getLogger(__name__)

#: attempts before a temporary failure counts as final
MAX_ATTEMPTS = 8


class NotDeliverable(Exception):
    """The builder found nothing to send any more (say, the subscriber was deleted)."""


#: a builder returns a message, or its bytes and Message-ID
Builder = Callable[[Delivery], "EmailMessage | tuple[bytes, str]"]
_BUILDERS: dict[str, Builder] = {}
#: the kinds somebody waits for right now: sent on the interactive lane
_INTERACTIVE: set[str] = set()
#: inside :func:`bulk_lane`: every delivery on the worker's lane
_IN_BULK: ContextVar[bool] = ContextVar("kkp_mail_in_bulk", default=False)


def message_builder(kind: str, *, interactive: bool = False) -> Callable[[Builder], Builder]:
    """Register the function that renders deliveries of `kind` into a message.

    `interactive`: somebody waits for this mail right now (a confirmation, a link she
    asked for), so it goes on the interactive lane (:mod:`kkp.mail.tasks`), never
    behind a bulk send."""

    def register(fn: Builder) -> Builder:
        _BUILDERS[kind] = fn
        if interactive:
            _INTERACTIVE.add(kind)
        else:
            _INTERACTIVE.discard(kind)
        return fn

    return register


def is_interactive(kind: str) -> bool:
    return kind in _INTERACTIVE


@contextmanager
def bulk_lane() -> Iterator[None]:
    """Deliveries queued inside go on the worker's lane whatever their kind: what is
    done at once to many (an import's confirmation mails, an editor's action on the
    participants she ticked) must not crowd the interactive lane."""
    token = _IN_BULK.set(True)
    try:
        yield
    finally:
        _IN_BULK.reset(token)


def _actor(kind: str) -> Task:
    if kind in _INTERACTIVE and not _IN_BULK.get():
        return send_interactive_delivery
    return send_delivery


def queue_delivery(
    kind: str, recipient: str, *, subscriber_id: int | None = None, params: dict | None = None
) -> Delivery:
    """Write a delivery row and enqueue its sending once the transaction commits."""
    if kind not in _BUILDERS:
        raise ValueError(f"no message builder for kind {kind!r}")
    delivery = Delivery(
        kind=kind, recipient=recipient, subscriber_id=subscriber_id, params=params or {}
    )
    db.session.add(delivery)
    db.session.flush()
    _actor(kind).send(delivery.id)
    return delivery


def _claim(delivery_id: int) -> bool:
    """Mark the delivery as being sent, unless another worker has it or it is done."""
    stale = utcnow() - timedelta(minutes=current_app.config["KKP_DELIVERY_STALE_MINUTES"])
    result = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.id == delivery_id,
            sa.or_(
                Delivery.status == DeliveryStatus.QUEUED,
                sa.and_(Delivery.status == DeliveryStatus.SENDING, Delivery.updated_at < stale),
            ),
        )
        .values(status=DeliveryStatus.SENDING, attempts=Delivery.attempts + 1, updated_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


#: errors of the moment while a message is built: the database or a setting (a DKIM key
#: file); the delivery goes back to the queue. Any other error belongs to this message
#: alone (an address that cannot be encoded, say): it fails at once, the rest go on.
_PASSING = (SQLAlchemyError, OSError, dkim.DKIMConfigError)


@send_interactive_delivery.runs
@send_delivery.runs
def deliver(delivery_id: int) -> str:
    """Send one delivery; idempotent. Returns its status afterwards.

    Raises :class:`DeliveryError` for a temporary failure so that the caller retries.
    """
    if not _claim(delivery_id):
        return "skipped"
    delivery = db.session.get(Delivery, delivery_id)
    try:
        data, message_id = _build(delivery)
    except NotDeliverable as exc:
        return _settle(delivery, DeliveryStatus.CANCELLED, str(exc))
    except _PASSING as exc:
        db.session.rollback()
        delivery = db.session.get(Delivery, delivery_id)
        final = delivery.attempts >= MAX_ATTEMPTS
        error = f"{type(exc).__name__}: {exc}"
        _settle(
            delivery,
            DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED,
            _gave_up(error) if final else error,
        )
        if final:
            return DeliveryStatus.FAILED
        raise
    except Exception as exc:  # noqa: BLE001 - this message's alone
        db.session.rollback()
        delivery = db.session.get(Delivery, delivery_id)
        log.warning("delivery %s (%s) not built: %r", delivery_id, delivery.kind, exc)
        return _settle(
            delivery, DeliveryStatus.FAILED, reasons.reason(reasons.UNBUILDABLE, repr(exc))
        )
    # From here the mail server may have it: after a crash it is not handed out again.
    delivery.status = DeliveryStatus.SUBMITTING
    db.session.commit()
    try:
        transport_for(current_app).send_bytes(
            data, envelope_from=return_path(delivery.id), recipients=[delivery.recipient]
        )
    except DeliveryError as exc:
        # lost after handing it over (it may have arrived): never sent again
        final = exc.permanent or exc.in_doubt or delivery.attempts >= MAX_ATTEMPTS
        _settle(delivery, DeliveryStatus.FAILED if final else DeliveryStatus.QUEUED, str(exc))
        log.warning("delivery %s (%s) failed: %s", delivery.id, delivery.kind, exc)
        if not final:
            raise
        return DeliveryStatus.FAILED
    except BaseException:
        db.session.rollback()
        _settle(db.session.get(Delivery, delivery_id), DeliveryStatus.FAILED, reasons.INTERRUPTED)
        raise
    delivery.status = DeliveryStatus.SENT
    delivery.sent_at = utcnow()
    delivery.message_id = message_id
    delivery.last_error = None
    db.session.commit()
    log.info("delivery %s (%s) sent", delivery.id, delivery.kind)
    return DeliveryStatus.SENT


def _build(delivery: Delivery) -> tuple[bytes, str]:
    """The signed message and its Message-ID."""
    msg = _BUILDERS[delivery.kind](delivery)
    if isinstance(msg, EmailMessage):
        data, message_id = as_bytes(msg), str(msg["Message-ID"])
    else:  # a builder that made the bytes itself (newsletter issues)
        data, message_id = msg
    return dkim.sign(current_app, data), message_id


def _settle(delivery: Delivery, status: str, error: str | None) -> str:
    delivery.status = status
    delivery.last_error = error[:2000] if error else None
    db.session.commit()
    return status


def _gave_up(error: str | None) -> str:
    return reasons.reason(reasons.GAVE_UP, error)


def sweep_stale() -> int:
    """Settle single deliveries a worker left behind, and hand out again those that
    never reached the mail server. Returns how many were handed out.

    In "submitting" a mail may have reached the server: recorded as interrupted, never
    sent again. Stuck in "sending" (claimed, not yet handed over) or orphaned in
    "queued": handed out again, at most `MAX_ATTEMPTS` times, then failed and shown.
    """
    now = utcnow()
    stale = now - timedelta(minutes=current_app.config["KKP_DELIVERY_STALE_MINUTES"])
    # an issue's deliveries wait while it is paused; its own sweeper sends in chunks
    mine = sa.and_(Delivery.issue_id.is_(None), Delivery.updated_at < stale)
    interrupted = db.session.execute(
        sa.update(Delivery)
        .where(mine, Delivery.status == DeliveryStatus.SUBMITTING)
        .values(status=DeliveryStatus.FAILED, last_error=reasons.INTERRUPTED, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    given_up = db.session.execute(
        sa.update(Delivery)
        .where(
            mine,
            Delivery.status.in_((DeliveryStatus.SENDING, DeliveryStatus.QUEUED)),
            Delivery.attempts >= MAX_ATTEMPTS,
        )
        .values(
            status=DeliveryStatus.FAILED,
            last_error=sa.literal(reasons.GAVE_UP + ": ")
            + sa.func.coalesce(Delivery.last_error, ""),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if interrupted or given_up:
        log.warning(
            "%d deliveries interrupted while handed over, %d given up", interrupted, given_up
        )
    ids = db.session.execute(
        sa.select(Delivery.id, Delivery.kind)
        .where(mine, Delivery.status.in_((DeliveryStatus.SENDING, DeliveryStatus.QUEUED)))
        .order_by(Delivery.id)
        .limit(5000)
    ).all()
    for delivery_id, kind in ids:
        _actor(kind).send_now(delivery_id)
    if ids:
        log.info("re-enqueued %d stale deliveries", len(ids))
    return len(ids)
