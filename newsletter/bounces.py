"""The returned mails as the editors read them: each bounce with the address where it is
still known (the delivery's subscriber, else the delivery's recipient), the issue it
came back from, and whether the address is on the suppression list now. What a bounce
changes is :mod:`people.bounces`."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.extensions import db
from kkp.mail.models import Delivery
from newsletter.models import Issue, Subscriber
from people.models import Bounce, Suppression

#: bounces a page shows, the newest first
SHOWN = 200


def bounce_rows(*, subscriber_id: int | None = None, limit: int = SHOWN) -> list:
    """The newest bounces (of one subscriber, if given): rows with `Bounce`, `email`
    ("" when the person's address is gone), `issue_id`, `issue_number` and
    `suppressed` (the reason, or None)."""
    query = (
        sa.select(
            Bounce,
            sa.func.coalesce(Subscriber.email, Delivery.recipient, "").label("email"),
            Delivery.issue_id,
            Issue.number.label("issue_number"),
            Suppression.reason.label("suppressed"),
        )
        .outerjoin(Delivery, Delivery.id == Bounce.delivery_id)
        .outerjoin(Subscriber, Subscriber.id == Bounce.subscriber_id)
        .outerjoin(Issue, Issue.id == Delivery.issue_id)
        .outerjoin(Suppression, Suppression.email_hash == Bounce.email_hash)
        .order_by(Bounce.received_at.desc(), Bounce.id.desc())
        .limit(limit)
    )
    if subscriber_id is not None:
        query = query.where(Bounce.subscriber_id == subscriber_id)
    return db.session.execute(query).all()
