"""Signed, purpose-bound tokens for links in mail (itsdangerous).

A token made for one purpose (say "unsubscribe") never verifies for another
("preferences"): the purpose is the signer's salt.
"""

from __future__ import annotations

import enum
import functools
import hmac
import json
import time
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, Serializer, SignatureExpired, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, int_to_bytes


class TokenPurpose(enum.StrEnum):
    """What a token is for; the value is the signer's salt, so it never changes."""

    #: confirm a newsletter sign-up
    CONFIRM = "confirm"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    #: manage an event registration
    REGISTRATION = "registration"
    #: confirm a registration made through the public form
    REGISTRATION_CONFIRM = "registration_confirm"
    #: download one's certificate of attendance (events.certificates)
    CERTIFICATE = "certificate"
    #: manage a whole-course booking
    BOOKING = "booking"
    #: confirm a course booking made through the public form
    BOOKING_CONFIRM = "booking_confirm"
    #: the anonymous feedback form after an event or a course (events.feedback)
    FEEDBACK = "feedback"


PURPOSES = tuple(purpose.value for purpose in TokenPurpose)


class InvalidToken(Exception):
    """The token is forged, for another purpose, or (`expired`) too old."""

    def __init__(self, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return _cached_serializer(current_app.config["SECRET_KEY"], purpose)


class _Serializer(URLSafeTimedSerializer):
    """Never tries zlib on our small payloads (it cannot shorten them, and an issue
    signs two links for each of its recipients); reads compressed tokens all the same."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


@functools.lru_cache(maxsize=32)
def _cached_serializer(secret: str, purpose: str) -> URLSafeTimedSerializer:
    # made once per key and purpose
    return _Serializer(secret, salt=f"kkp.{purpose}")


#: the compact JSON of itsdangerous' serializer, made once (json.dumps with separators
#: builds an encoder for every call)
_JSON = json.JSONEncoder(separators=(",", ":"))


@functools.lru_cache(maxsize=32)
def _signing(secret: str, purpose: str) -> tuple[bytes, str]:
    """The key the serializer's signer derives for a purpose (it derives it again for
    every token) and its digest's name, for :func:`hmac.digest`."""
    signer = _cached_serializer(secret, purpose).make_signer()
    return signer.derive_key(), signer.digest_method().name


def make_token(purpose: str, payload: dict[str, Any]) -> str:
    """What `URLSafeTimedSerializer.dumps` gives (and `loads` reads), made with one HMAC
    instead of three and no objects per token: an issue makes two for each of its
    recipients."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    key, digest = _signing(current_app.config["SECRET_KEY"], purpose)
    value = (
        base64_encode(_JSON.encode(payload).encode())
        + b"."
        + base64_encode(int_to_bytes(int(time.time())))
    )
    return (value + b"." + base64_encode(hmac.digest(key, value, digest))).decode("ascii")


def read_token(purpose: str, token: str, *, max_age: int | None = None) -> dict[str, Any]:
    """The payload of a token; `max_age` in seconds. Raises :class:`InvalidToken`."""
    if not token or len(token) > 1000:
        raise InvalidToken()
    try:
        payload = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired as exc:
        raise InvalidToken(expired=True) from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(payload, dict):
        raise InvalidToken()
    return payload
