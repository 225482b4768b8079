"""Signed links in mail that open a subscriber's own pages (preferences, unsubscribe,
confirmation), and the mail with a fresh link when one has expired."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import queue_delivery
from kkp.tokens import InvalidToken, TokenPurpose, make_token, read_token
from newsletter.models import DeliveryKind, Subscriber
from people.addresses import address_hashes, email_hash, is_suppressed, normalise_email

log = logging.getLogger(__name__)

#: the mail with a fresh link to the preference centre
PREFERENCES_LINK_KIND = DeliveryKind.PREFERENCES_LINK


def token_payload(subscriber: Subscriber, **extra) -> dict:
    """`h` ties the token to the address, so a reused id never opens another person's data."""
    return {"s": subscriber.id, "h": email_hash(subscriber.email)[:16], **extra}


def subscriber_token(subscriber: Subscriber, purpose: str, **extra) -> str:
    return make_token(purpose, token_payload(subscriber, **extra))


def subscriber_for_token(payload: dict) -> Subscriber:
    subscriber_id = payload.get("s")
    subscriber = (
        db.session.get(Subscriber, subscriber_id) if isinstance(subscriber_id, int) else None
    )
    # the address's other spellings too: links sent before the address policy stored the
    # domain as its A-label keep working
    if subscriber is None or payload.get("h") not in {
        h[:16] for h in address_hashes(subscriber.email)
    }:
        raise InvalidToken()
    return subscriber


def preferences_link_seconds() -> int:
    """How long a link to the preference centre (and the data export) works."""
    return current_app.config["KKP_PREFERENCES_LINK_DAYS"] * 86400


def subscriber_for_preferences(token: str) -> Subscriber:
    """The subscriber a preference-centre link opens; :class:`InvalidToken` (with
    `expired`) for a forged, foreign or too old one."""
    return subscriber_for_token(
        read_token(TokenPurpose.PREFERENCES, token, max_age=preferences_link_seconds())
    )


def request_preferences_link(email: str) -> Delivery | None:
    """Mail a fresh link to the preference centre, if the address is subscribed.

    The caller answers the same whatever happens here, so that nobody learns whether
    an address is known. At most `KKP_CONFIRMATION_MAILS_PER_DAY` such mails per
    address a day. Raises :class:`SubscriptionError` only for an address that is not
    one (which says nothing about anybody)."""
    email = normalise_email(email)
    subscriber = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == email))
    if subscriber is None or is_suppressed(email):
        return None
    sent_today = db.session.scalar(
        sa.select(sa.func.count(Delivery.id)).where(
            Delivery.subscriber_id == subscriber.id,
            Delivery.kind == PREFERENCES_LINK_KIND,
            Delivery.created_at >= utcnow() - timedelta(days=1),
        )
    )
    if sent_today >= current_app.config["KKP_CONFIRMATION_MAILS_PER_DAY"]:
        log.info("subscriber %s: preference link limit reached", subscriber.id)
        return None
    return queue_delivery(PREFERENCES_LINK_KIND, subscriber.email, subscriber_id=subscriber.id)
