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


def lists_of(issue_id: int) -> list[int]:
    """The ids of the issue's lists."""
    return list(
        db.session.scalars(sa.select(issue_list.c.list_id).where(issue_list.c.issue_id == issue_id))
    )


def confirmed_recipients(
    issue_id: int,
    *,
    after: int | None = None,
    upto: int | None = None,
    list_ids: list[int] | None = None,
):
    """Confirmed subscribers with a confirmed subscription to one of the issue's lists;
    with `after` / `upto`, only those with an id in (after, upto].

    The issue's lists are read first and given as values: joined in, the planner guessed
    from the few rows of issue_list (often not analysed yet when a send starts) and
    scanned every subscription for each batch. The id range bounds both tables, so
    that a batch at the end of a million costs what one at the start does. `list_ids`:
    the issue's lists when the caller has them already."""
    if list_ids is None:
        list_ids = lists_of(issue_id)
    subscribed = [
        Subscription.list_id.in_(list_ids),
        Subscription.status == SubscriptionStatus.CONFIRMED,
        Subscription.subscriber_id == Subscriber.id,
    ]
    chosen = [Subscriber.status == SubscriberStatus.CONFIRMED]
    if after is not None:
        subscribed.append(Subscription.subscriber_id > after)
        chosen.append(Subscriber.id > after)
    if upto is not None:
        subscribed.append(Subscription.subscriber_id <= upto)
        chosen.append(Subscriber.id <= upto)
    on_list = sa.select(Subscription.subscriber_id).where(*subscribed).exists()
    return sa.select(Subscriber.id, Subscriber.email, Subscriber.name, Subscriber.locale).where(
        *chosen, on_list
    )


def count_recipients(issue: Issue) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(confirmed_recipients(issue.id).subquery())
    )
