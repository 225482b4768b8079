"""Who receives an issue: confirmed subscribers on one of its lists."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.extensions import db
from newsletter.models import (
    Issue,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    issue_list,
)


def confirmed_recipients(issue_id: int):
    """Confirmed subscribers with a confirmed subscription to one of the issue's lists."""
    on_list = (
        sa.select(Subscription.subscriber_id)
        .join(issue_list, issue_list.c.list_id == Subscription.list_id)
        .where(
            issue_list.c.issue_id == issue_id,
            Subscription.status == SubscriptionStatus.CONFIRMED,
            Subscription.subscriber_id == Subscriber.id,
        )
        .exists()
    )
    return sa.select(Subscriber.id, Subscriber.email, Subscriber.name, Subscriber.locale).where(
        Subscriber.status == SubscriberStatus.CONFIRMED, on_list
    )


def count_recipients(issue: Issue) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(confirmed_recipients(issue.id).subquery())
    )
