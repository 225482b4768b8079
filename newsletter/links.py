"""Signed links in mail that open a subscriber's own pages (preferences, unsubscribe,
confirmation)."""

from __future__ import annotations

from kkp.extensions import db
from kkp.tokens import InvalidToken, make_token
from newsletter.addresses import address_hashes, email_hash
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
    # the address's other spellings too: links sent before the address policy stored the
    # domain as its A-label keep working
    if subscriber is None or payload.get("h") not in {
        h[:16] for h in address_hashes(subscriber.email)
    }:
        raise InvalidToken()
    return subscriber
