"""How far an issue has got: finished yet, the progress the editor watches, and those
in doubt after a crash."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import reasons
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.models import Issue, IssueStatus
from newsletter.sending import statements
from newsletter.sending.stretches import HELD
from newsletter.sending.tally import sent_of

log = logging.getLogger(__name__)


def check_finished(issue_id: int) -> bool:
    """Mark the issue sent once the cursor is through and nothing is queued or in flight."""
    done = db.session.execute(
        statements.finish(db.session.get_bind().dialect.name),
        {"issue": issue_id, "now": utcnow()},
    )
    db.session.commit()
    if done.rowcount:
        log.info("issue %s: sending finished", issue_id)
    return bool(done.rowcount)


def interrupted(issue_id: int):
    """The issue's deliveries left in doubt by a worker that died while handing them
    over (see :func:`~newsletter.sending.sweeper.sweep`): each may or may not have arrived."""
    return sa.and_(
        Delivery.issue_id == issue_id,
        Delivery.status == DeliveryStatus.FAILED,
        sa.or_(
            Delivery.last_error == reasons.INTERRUPTED,
            Delivery.last_error.startswith(reasons.INTERRUPTED + ": "),  # with a detail
        ),
    )


#: an issue whose deliveries are still changing: its progress reads the tallies
LIVE = (IssueStatus.SENDING, IssueStatus.PAUSED)


def status_counts(issue: Issue) -> dict[str, int]:
    """The issue's deliveries by status. While it sends (or is paused), "sent" comes
    from the tallies and the rest of what waits is what is neither sent, failed nor
    cancelled (counted apart: few rows, found by the index), so that watching a send to
    a million costs what watching one to a thousand does. Otherwise counted row by row."""
    if issue.status not in LIVE:
        return dict(
            db.session.execute(
                sa.select(Delivery.status, sa.func.count())
                .where(Delivery.issue_id == issue.id)
                .group_by(Delivery.status)
            ).all()
        )
    counts = dict(
        db.session.execute(
            sa.select(Delivery.status, sa.func.count())
            .where(
                Delivery.issue_id == issue.id,
                Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.CANCELLED)),
            )
            .group_by(Delivery.status)
        ).all()
    )
    counts[DeliveryStatus.SENT] = sent_of([issue.id]).get(issue.id, 0)
    counts[DeliveryStatus.QUEUED] = max(0, issue.to_send - sum(counts.values()))
    return counts


#: the rate is what went out in the last `RATE_SECONDS[0]` seconds, or in the last
#: `RATE_SECONDS[1]` when that was fewer than `STEADY` deliveries: a fast send's rate
#: is steady within seconds, and counting what it sent in half a minute read up to
#: 200,000 index entries for every look (a tenth of the database's work during a send
#: to a million, with an editor watching); a slow one needs the longer span
RATE_SECONDS = (10, 30)
STEADY = 1000


def recent_rate(issue: Issue, now: datetime | None = None) -> float:
    """Deliveries per second that went out lately (see :data:`RATE_SECONDS`)."""
    now = now or utcnow()
    for seconds in RATE_SECONDS:
        sent = db.session.scalar(
            sa.select(sa.func.count()).where(
                Delivery.issue_id == issue.id,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.sent_at >= now - timedelta(seconds=seconds),
            )
        )
        if sent >= STEADY:
            break
    if issue.started_at:  # a send younger than the span
        seconds = min(seconds, (now - issue.started_at).total_seconds())
    return sent / max(1.0, seconds)


def progress(issue: Issue) -> dict:
    """Sent of total, the recent rate (see :func:`recent_rate`), failures, estimated
    time left."""
    counts = status_counts(issue)
    rate = recent_rate(issue) if issue.status == IssueStatus.SENDING else 0.0
    sent, failed = counts.get(DeliveryStatus.SENT, 0), counts.get(DeliveryStatus.FAILED, 0)
    cancelled = counts.get(DeliveryStatus.CANCELLED, 0)
    total = max(issue.to_send, sum(counts.values()))
    left = max(0, total - sent - failed - cancelled)
    failures = db.session.execute(
        sa.select(
            Delivery.id,
            Delivery.subscriber_id,
            Delivery.recipient,
            Delivery.last_error,
            Delivery.status,
            Delivery.updated_at,
        )
        .where(
            Delivery.issue_id == issue.id,
            Delivery.last_error.is_not(None),
            Delivery.status.in_((DeliveryStatus.FAILED, DeliveryStatus.QUEUED)),
        )
        .order_by(Delivery.updated_at.desc())
        .limit(50)
    ).all()
    return {
        "status": issue.status,
        "total": total,
        "sent": sent,
        "failed": failed,
        "cancelled": cancelled,
        "pending": sum(counts.get(status, 0) for status in (DeliveryStatus.QUEUED, *HELD)),
        "interrupted": db.session.scalar(sa.select(sa.func.count()).where(interrupted(issue.id))),
        "left": left,
        "rate": round(rate, 1),
        "seconds_left": round(left / rate) if rate > 0 else None,
        "pause_reason": issue.pause_reason,
        "started_at": issue.started_at.isoformat() if issue.started_at else None,
        "finished_at": issue.finished_at.isoformat() if issue.finished_at else None,
        "failures": [
            {
                "delivery_id": f.id,
                "subscriber_id": f.subscriber_id,
                "recipient": f.recipient,
                "answer": f.last_error,
                "final": f.status == DeliveryStatus.FAILED,
                "at": f.updated_at.isoformat(),
            }
            for f in failures
        ],
    }
