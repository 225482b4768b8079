"""The statements a send runs for every chunk and stretch, built once per dialect with
their values as bound parameters: building them anew each time (SQLAlchemy's
expressions, their cache keys) cost the worker more CPU than the database spent
running them. Each takes `dialect` (the bind's name), for :func:`kkp.db.one_of_param`.

Parameters: `issue` (its id), `now`, and as each says."""

from __future__ import annotations

import functools

import sqlalchemy as sa

from kkp.db import one_of_param
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.models import Issue, IssueStatus

_delivery, _issue = Delivery.__table__.c, Issue.__table__.c


def _issue_id():
    return sa.bindparam("issue", type_=sa.Integer)


def _now():
    return sa.bindparam("now", type_=_delivery.updated_at.type)


def _sending(issue_id) -> sa.Exists:
    return (
        sa.select(_issue.id)
        .where(_issue.id == issue_id, _issue.status == IssueStatus.SENDING)
        .exists()
    )


@functools.lru_cache(maxsize=4)
def queued(dialect: str) -> sa.Select:
    """A chunk's queued rows with ids from `first` to `last`, if the issue still sends,
    with the issue's start. Read, not claimed: each stretch claims its own (:func:`mark`),
    so a row is written twice on its way (handed over, sent), not three times."""
    issue_id = _issue_id()
    started = sa.select(_issue.started_at).where(_issue.id == issue_id).scalar_subquery()
    return (
        sa.select(
            _delivery.id,
            _delivery.subscriber_id,
            _delivery.recipient,
            _delivery.attempts,
            started.label("started_at"),
        )
        .where(
            _delivery.issue_id == issue_id,
            _delivery.id.between(sa.bindparam("first"), sa.bindparam("last")),
            _delivery.status == DeliveryStatus.QUEUED,
            _sending(issue_id),
        )
        .order_by(_delivery.id)
    )


@functools.lru_cache(maxsize=4)
def mark(dialect: str) -> sa.Update:
    """The stretch's `held_ids` still queued, claimed and marked "submitting" (one more
    attempt) if the issue still sends; returns each id with its attempts and the issue's
    failures in a row."""
    issue_id = _issue_id()
    failures = sa.select(_issue.consecutive_failures).where(_issue.id == issue_id).scalar_subquery()
    return (
        sa.update(Delivery.__table__)
        .where(
            one_of_param(_delivery.id, "held_ids", dialect),
            _delivery.status == DeliveryStatus.QUEUED,
            _sending(issue_id),
        )
        .values(
            status=DeliveryStatus.SUBMITTING, attempts=_delivery.attempts + 1, updated_at=_now()
        )
        .returning(_delivery.id, _delivery.attempts, failures)
    )


def _message_id():
    """The Message-ID from the delivery's id and the `suffix` all of an issue's share
    (see :func:`newsletter.sending.messages.message_id_for`)."""
    return (
        sa.literal("<", sa.String)
        + sa.cast(_delivery.id, sa.String)
        + sa.bindparam("suffix", type_=sa.String)
    )


@functools.lru_cache(maxsize=4)
def record_sent(dialect: str) -> sa.Update:
    """The `sent_ids` that went out, recorded once (a write tried again moves nothing)."""
    now = _now()
    return (
        sa.update(Delivery.__table__)
        .where(
            one_of_param(_delivery.id, "sent_ids", dialect),
            _delivery.status != DeliveryStatus.SENT,
        )
        .values(
            status=DeliveryStatus.SENT,
            sent_at=now,
            updated_at=now,
            last_error=None,
            message_id=_message_id(),
        )
    )


@functools.lru_cache(maxsize=4)
def sent_and_mark(dialect: str) -> sa.Update:
    """A stretch that all went out, recorded (`sent_ids`, once), and the next one's
    `held_ids` still queued claimed as :func:`mark` does, in one statement (see
    :func:`~newsletter.sending.stretches.next_stretch`). The two are told apart by their
    status; returns each id with its new status, its attempts and the issue's failures
    in a row."""
    delivery = _delivery
    issue_id, now = _issue_id(), _now()
    # the next stretch's rows still queued, claimed by this statement; a row of the
    # finished stretch is never taken for one (even when queued again meanwhile)
    claimed = sa.and_(
        one_of_param(delivery.id, "held_ids", dialect), delivery.status == DeliveryStatus.QUEUED
    )
    sending = _sending(issue_id)
    failures = sa.select(_issue.consecutive_failures).where(_issue.id == issue_id).scalar_subquery()
    message_id = _message_id()

    def unless_claimed(value, column):
        return sa.case((claimed, column), else_=value)

    return (
        sa.update(Delivery.__table__)
        .where(
            sa.or_(
                # not sent yet: a write tried again moves (and tallies) nothing twice
                sa.and_(
                    one_of_param(delivery.id, "sent_ids", dialect),
                    delivery.status != DeliveryStatus.SENT,
                ),
                sa.and_(claimed, sending),
            )
        )
        .values(
            status=sa.case(
                (claimed, sa.literal(DeliveryStatus.SUBMITTING, sa.String)),
                else_=sa.literal(DeliveryStatus.SENT, sa.String),
            ),
            attempts=sa.case((claimed, delivery.attempts + 1), else_=delivery.attempts),
            sent_at=unless_claimed(now, delivery.sent_at),
            last_error=unless_claimed(sa.null(), delivery.last_error),
            message_id=unless_claimed(message_id, delivery.message_id),
            updated_at=now,
        )
        .returning(delivery.id, delivery.status, delivery.attempts, failures)
    )


@functools.lru_cache(maxsize=4)
def finish(dialect: str) -> sa.Update:
    """The issue marked sent, if its cursor is through and none of its deliveries is
    queued or in flight."""
    issue_id = _issue_id()
    pending = (
        sa.select(_delivery.id)
        .where(
            _delivery.issue_id == issue_id,
            _delivery.status.in_(
                (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SUBMITTING)
            ),
        )
        .exists()
    )
    return (
        sa.update(Issue.__table__)
        .where(
            _issue.id == issue_id,
            _issue.status == IssueStatus.SENDING,
            _issue.last_subscriber_id >= _issue.max_subscriber_id,
            ~pending,
        )
        .values(
            status=IssueStatus.SENT,
            finished_at=sa.bindparam("now", type_=_issue.finished_at.type),
            pause_reason=None,
        )
    )
