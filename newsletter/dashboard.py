"""What the newsletter puts on the editors' start page: sends running and planned,
the last week's sign-ups and departures, and mail that did not get through."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from kkp.db import utcnow
from kkp.extensions import db
from kkp.kept import large_count
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.models import Issue, IssueStatus, MailingList
from newsletter.sending.tally import sent_of
from people.models import Subscriber, SubscriberStatus, Suppression, SuppressionReason

#: how far back "lately" reaches: sign-ups, departures, failures (days)
RECENT_DAYS = 7


@dataclass(frozen=True)
class RunningSend:
    issue: Issue
    #: deliveries handed to the mail server
    sent: int
    #: recipients counted when sending started (at least the rows written)
    total: int
    failed: int


@dataclass(frozen=True)
class IssueFailures:
    issue: Issue
    #: deliveries of this issue that failed in the last :data:`RECENT_DAYS` days
    failed: int


def running_sends() -> list[RunningSend]:
    """Issues being sent or paused, oldest start first, with their progress."""
    issues = db.session.scalars(
        sa.select(Issue)
        .where(Issue.status.in_((IssueStatus.SENDING, IssueStatus.PAUSED)))
        .order_by(Issue.started_at, Issue.id)
    ).all()
    if not issues:
        return []
    # what went out from the tallies; the failures (few) by the index
    sent = sent_of([i.id for i in issues])
    failed = dict(
        db.session.execute(
            sa.select(Delivery.issue_id, sa.func.count())
            .where(
                Delivery.issue_id.in_([i.id for i in issues]),
                Delivery.status == DeliveryStatus.FAILED,
            )
            .group_by(Delivery.issue_id)
        ).all()
    )
    return [
        RunningSend(
            issue=issue,
            sent=sent.get(issue.id, 0),
            total=max(issue.to_send, sent.get(issue.id, 0) + failed.get(issue.id, 0)),
            failed=failed.get(issue.id, 0),
        )
        for issue in issues
    ]


def scheduled_sends() -> list[Issue]:
    """Issues waiting for their time, the next first."""
    return db.session.scalars(
        sa.select(Issue)
        .where(Issue.status == IssueStatus.SCHEDULED)
        .order_by(Issue.scheduled_at, Issue.id)
    ).all()


def _since(now: datetime | None) -> datetime:
    return (now or utcnow()) - timedelta(days=RECENT_DAYS)


def audience_changes(now: datetime | None = None) -> dict[str, int]:
    """The last week: new sign-ups (of them confirmed), unsubscribes, deletions."""
    since = _since(now)
    left = dict(
        db.session.execute(
            sa.select(Suppression.reason, sa.func.count())
            .where(Suppression.created_at >= since)
            .group_by(Suppression.reason)
        ).all()
    )
    return {
        "new": db.session.scalar(
            sa.select(sa.func.count(Subscriber.id)).where(Subscriber.created_at >= since)
        )
        or 0,
        "confirmed": db.session.scalar(
            sa.select(sa.func.count(Subscriber.id)).where(Subscriber.confirmed_at >= since)
        )
        or 0,
        "unsubscribed": left.get(SuppressionReason.UNSUBSCRIBED, 0),
        "deleted": left.get(SuppressionReason.DELETED, 0),
    }


def failures(now: datetime | None = None) -> dict:
    """The last week's failed deliveries (all kinds), the issues they belong to, and
    the addresses suppressed after bounces and after complaints ("this is spam")."""
    since = _since(now)
    failed = sa.and_(Delivery.status == DeliveryStatus.FAILED, Delivery.updated_at >= since)
    by_issue = db.session.execute(
        sa.select(Issue, sa.func.count(Delivery.id))
        .join(Delivery, Delivery.issue_id == Issue.id)
        .where(failed)
        .group_by(Issue.id)
        .order_by(Issue.id.desc())
    ).all()
    return {
        "failed": db.session.scalar(sa.select(sa.func.count(Delivery.id)).where(failed)) or 0,
        "issues": [IssueFailures(issue, n) for issue, n in by_issue],
        "bounced": _suppressed_since(SuppressionReason.BOUNCED, since),
        "complained": _suppressed_since(SuppressionReason.COMPLAINED, since),
    }


def _suppressed_since(reason: SuppressionReason, since: datetime) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Suppression)
            .where(Suppression.reason == reason, Suppression.created_at >= since)
        )
        or 0
    )


@dataclass(frozen=True)
class Figures:
    confirmed: int
    pending: int
    lists: int
    suppressed: int
    #: when the subscribers were counted, if that was not for this view (a large list)
    counted_at: datetime | None = None


def figures(*, clock=time.monotonic) -> Figures:
    """The subscribers by status, the lists and the suppression list. A large list's
    counts are kept for a minute (see :func:`kkp.kept.large_count`); the rest is
    counted anew."""
    counts, counted_at = large_count(
        "dashboard.subscribers",
        _subscribers_by_status,
        lambda counts: sum(counts.values()),
        clock=clock,
    )
    return Figures(
        confirmed=counts.get(SubscriberStatus.CONFIRMED, 0),
        pending=counts.get(SubscriberStatus.PENDING, 0),
        lists=db.session.scalar(sa.select(sa.func.count(MailingList.id))) or 0,
        suppressed=db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)) or 0,
        counted_at=counted_at,
    )


def _subscribers_by_status() -> dict[str, int]:
    return dict(
        db.session.execute(
            sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status)
        ).all()
    )
