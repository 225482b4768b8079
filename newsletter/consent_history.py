"""A subscriber's consent history, and the rows every way of joining shares: finding
and inserting a subscriber, and the confirmation mail (double opt-in).

Used by a person's own actions (:mod:`newsletter.operations`) and by what editors,
the API and imports do (:mod:`newsletter.roster`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import queue_delivery
from newsletter.models import ConsentAction, ConsentEvent, DeliveryKind, MailingList, Subscriber
from people.lists import recorded_ip

log = logging.getLogger(__name__)

CONFIRMATION_KIND = DeliveryKind.SUBSCRIPTION_CONFIRMATION


def record(
    subscriber: Subscriber,
    action: str,
    lists: Iterable[MailingList],
    *,
    source: str,
    consent_version: int | None = None,
    ip: str | None = None,
    **details,
) -> ConsentEvent:
    lists = list(lists)
    if action == ConsentAction.LIST_REMOVED:  # names change; what she left must stay findable
        details.setdefault("list_ids", [m.id for m in lists])
    event = ConsentEvent(
        subscriber=subscriber,
        action=action,
        lists=[m.name for m in lists],
        source=source,
        consent_version=consent_version,
        ip=recorded_ip(ip),
        details=details,
    )
    db.session.add(event)
    return event


def find_subscriber(email: str, *, lock: bool = False) -> Subscriber | None:
    query = sa.select(Subscriber).where(Subscriber.email == email)
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    return db.session.scalar(query)


def insert_subscriber(**fields) -> Subscriber:
    """Insert, or return the row a concurrent request inserted a moment earlier."""
    subscriber = Subscriber(**fields)
    try:
        with db.session.begin_nested():
            db.session.add(subscriber)
            db.session.flush()
    except sa.exc.IntegrityError:
        existing = find_subscriber(fields["email"], lock=True)
        if existing is None:
            raise
        return existing
    return subscriber


def send_confirmation(
    subscriber: Subscriber, lists: list[MailingList], *, new_lists: bool
) -> Delivery | None:
    """Queue the confirmation mail, unless the address got enough of them lately."""
    config = current_app.config
    now = utcnow()
    recent = db.session.execute(
        sa.select(sa.func.count(Delivery.id), sa.func.max(Delivery.created_at)).where(
            Delivery.subscriber_id == subscriber.id,
            Delivery.kind == CONFIRMATION_KIND,
            Delivery.created_at >= now - timedelta(days=1),
        )
    ).one()
    count, last = recent
    if count >= config["KKP_CONFIRMATION_MAILS_PER_DAY"]:
        log.info("subscriber %s: confirmation mail limit reached", subscriber.id)
        return None
    resend = timedelta(minutes=config["KKP_CONFIRMATION_RESEND_MINUTES"])
    if not new_lists and last is not None and last > now - resend:
        return None
    delivery = queue_delivery(
        CONFIRMATION_KIND,
        subscriber.email,
        subscriber_id=subscriber.id,
        params={"list_ids": [m.id for m in lists]},
    )
    record(
        subscriber,
        ConsentAction.CONFIRMATION_SENT,
        lists,
        source=subscriber.source,
        delivery_id=delivery.id,
    )
    return delivery
