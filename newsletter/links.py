"""Signed links in mail that open a subscriber's own pages (preferences, unsubscribe,
confirmation)."""

from __future__ import annotations

from kkp.extensions import db
from kkp.tokens import InvalidToken, make_token
from newsletter.addresses import email_hash
from newsletter.models import Subscriber


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
    if subscriber is None or email_hash(subscriber.email)[:16] != payload.get("h"):
        raise InvalidToken()
    return subscriber
