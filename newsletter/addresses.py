"""Addresses and names as people type them: checked, normalised, suppressed.

Messages in :class:`SubscriptionError` are shown to people as they are (translated).
"""

from __future__ import annotations

import hashlib

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from kkp.extensions import db
from newsletter.models import Suppression

#: longest name or organisation, in characters
MAX_NAME = 200


class SubscriptionError(ValueError):
    """Bad input or a refused change; `field` names the form field it belongs to, and
    `errors` maps every faulty field to its message (the first is `field`'s)."""

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})


def checked(errors: dict[str, str], check, *args, **kwargs):
    """`check(*args, **kwargs)`, or None with its :class:`SubscriptionError` added to
    `errors` (the first message per field wins), so a form can show every fault at once."""
    try:
        return check(*args, **kwargs)
    except SubscriptionError as exc:
        for field, message in exc.errors.items():
            errors.setdefault(field, message)
        return None


def raise_errors(errors: dict[str, str]) -> None:
    """Raise one :class:`SubscriptionError` carrying all of `errors`, if there are any."""
    if errors:
        field, message = next(iter(errors.items()))
        raise SubscriptionError(message, field, dict(errors))


class ConflictError(SubscriptionError):
    """The change clashes with what is stored (a short name in use)."""


def normalise_email(raw: str | None) -> str:
    """A valid address, lower-cased; raises :class:`SubscriptionError` otherwise."""
    raw = (raw or "").strip()
    if not raw:
        raise SubscriptionError(_("Please enter your e-mail address."), "email")
    if any(c in raw for c in "\r\n\x00") or len(raw) > 254:
        raise SubscriptionError(_("This is not a valid e-mail address."), "email")
    try:
        result = validate_email(raw, check_deliverability=False)
    except EmailNotValidError as exc:
        raise SubscriptionError(_("This is not a valid e-mail address."), "email") from exc
    return result.normalized.lower()


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def clean_text(value: str | None, field: str, limit: int = MAX_NAME) -> str:
    """A single-line name or organisation; control characters are refused."""
    value = (value or "").strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise SubscriptionError(_("Line breaks and control characters are not allowed."), field)
    if len(value) > limit:
        raise SubscriptionError(_("At most %(n)d characters, please.", n=limit), field)
    return value


def is_suppressed(email: str) -> bool:
    return db.session.get(Suppression, email_hash(email)) is not None


def suppress(email: str, reason: str) -> None:
    key = email_hash(email)
    if db.session.get(Suppression, key) is None:
        db.session.add(Suppression(email_hash=key, reason=reason))
