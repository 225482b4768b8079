"""The sweeper (run by the scheduler's tick): settles what dead workers and exhausted
chunks left behind, and hands out again what was never tried."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import reasons
from kkp.mail.models import Delivery, DeliveryStatus
from kkp.mail.operations import MAX_ATTEMPTS
from newsletter.models import Issue, IssueStatus
from newsletter.sending.batches import chunk_ranges
from newsletter.sending.progress import check_finished
from newsletter.tasks import send_issue_chunk, write_issue_batch

log = logging.getLogger(__name__)


def sweep(stale_minutes: float | None = None) -> int:
    """Settle the deliveries of issues that are stuck (a worker died, a chunk gave up its
    retries), hand out again those never tried, and finish issues whose last chunk died.
    Returns the chunks enqueued.

    Nothing that may have reached the mail server is handed out again: rows left in
    "submitting" are recorded as interrupted. A row is handed out at most
    `MAX_ATTEMPTS` times, then failed and shown."""
    if stale_minutes is None:
        stale_minutes = current_app.config["KKP_DELIVERY_STALE_MINUTES"]
    stale = utcnow() - timedelta(minutes=stale_minutes)
    recently = utcnow() - timedelta(days=1)
    issues = db.session.execute(
        sa.select(Issue.id, Issue.status).where(
            sa.or_(
                Issue.status.in_((IssueStatus.SENDING, IssueStatus.PAUSED)),
                # a chunk of a cancelled issue may have died with rows in its hands
                sa.and_(Issue.status == IssueStatus.CANCELLED, Issue.finished_at >= recently),
            )
        )
    ).all()
    enqueued = 0
    for issue_id, status in issues:
        requeued = _settle_stale(issue_id, stale, cancelled=status == IssueStatus.CANCELLED)
        if status != IssueStatus.SENDING:
            continue
        # the rows put back just now and those queued long ago, as ranges of ids
        waiting = chunk_ranges(
            Delivery.issue_id == issue_id,
            Delivery.status == DeliveryStatus.QUEUED,
            sa.or_(Delivery.updated_at < stale, Delivery.id.in_(requeued)),
        )
        db.session.commit()
        for first, last in waiting:
            send_issue_chunk.send_now(issue_id, first, last)
            enqueued += 1
        issue = db.session.get(Issue, issue_id)
        if issue.last_subscriber_id < issue.max_subscriber_id and issue.updated_at < stale:
            write_issue_batch.send_now(issue_id)
        check_finished(issue_id)
    return enqueued


def _settle_stale(issue_id: int, stale: datetime, *, cancelled: bool) -> list[int]:
    """One issue's stale rows: in doubt → failed (interrupted); tried too often → failed;
    claimed but never tried → back to the queue (or cancelled with the issue). Returns
    the rows put back in the queue."""
    now = utcnow()
    mine = sa.and_(Delivery.issue_id == issue_id, Delivery.updated_at < stale)

    def settle(where, **values) -> int:
        return db.session.execute(
            sa.update(Delivery)
            .where(mine, *where)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        ).rowcount

    doubtful = settle(
        [Delivery.status == DeliveryStatus.SUBMITTING],
        status=DeliveryStatus.FAILED,
        last_error=reasons.reason(reasons.INTERRUPTED),
    )
    requeued: list[int] = []
    if cancelled:
        settle(
            [Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.SENDING))],
            status=DeliveryStatus.CANCELLED,
        )
    else:
        given_up = settle(
            [
                Delivery.status.in_((DeliveryStatus.QUEUED, DeliveryStatus.SENDING)),
                Delivery.attempts >= MAX_ATTEMPTS,
            ],
            status=DeliveryStatus.FAILED,
            last_error=sa.literal(reasons.GAVE_UP + ": ")
            + sa.func.coalesce(Delivery.last_error, ""),
        )
        requeued = db.session.scalars(
            sa.update(Delivery)
            .where(mine, Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, updated_at=now)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        ).all()
        if doubtful or given_up:
            log.warning(
                "issue %s: %d deliveries interrupted while handed over, %d given up",
                issue_id,
                doubtful,
                given_up,
            )
    db.session.commit()
    return requeued
