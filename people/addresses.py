"""Addresses and names as people type them: checked, normalised, suppressed.

Messages in :class:`SubscriptionError` are shown to people as they are (translated).
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp import forms
from kkp.addresses import AddressError, a_label, display_address, normalise_address
from kkp.db import among
from kkp.extensions import db
from kkp.forms import InputError
from kkp.mail.transport import transport_for
from kkp.text import text_problem
from people.models import Suppression

#: longest name or organisation, in characters
MAX_NAME = 200


class SubscriptionError(InputError):
    """Bad input or a refused change; `field` names the form field it belongs to, and
    `errors` maps every faulty field to its message (the first is `field`'s)."""


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


class ConflictError(SubscriptionError, forms.ConflictError):
    """The change clashes with what is stored (a short name in use)."""


def normalise_email(raw: str | None) -> str:
    """The address as stored and sent (see :mod:`kkp.addresses`); raises
    :class:`SubscriptionError` with the reason otherwise."""
    try:
        return normalise_address(raw, smtputf8=_relay_takes_smtputf8)
    except AddressError as exc:
        error = SubscriptionError(str(exc), "email")
        error.code = exc.code  # why, for those who keep it (the CSV import's report)
        raise error from exc


def _relay_takes_smtputf8() -> bool:
    return transport_for(current_app).supports_smtputf8()


def email_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_hashes(email: str) -> set[str]:
    """The suppression keys an address may have been stored under: as given, and with
    its domain as A-label and in Unicode (before the address policy, domains were
    stored as typed)."""
    email = email.strip().lower()
    if email.isascii() and "xn--" not in email:  # (nearly all) a domain with one form
        return {email_hash(email)}
    return {email_hash(email), email_hash(display_address(email)), email_hash(_ascii(email))}


def _ascii(email: str) -> str:
    local, _at, domain = email.rpartition("@")
    try:
        return f"{local}@{a_label(domain)}"
    except UnicodeError:
        return email


def clean_text(value: str | None, field: str, limit: int = MAX_NAME) -> str:
    """A single-line name or organisation; control and other invisible characters are
    refused (:mod:`kkp.text`)."""
    value = (value or "").strip()
    problem = text_problem(value)
    if problem:
        raise SubscriptionError(problem, field)
    if len(value) > limit:
        raise SubscriptionError(_("At most %(n)d characters, please.", n=limit), field)
    return value


def is_suppressed(email: str) -> bool:
    return (
        db.session.scalar(
            sa.select(Suppression.email_hash).where(
                Suppression.email_hash.in_(address_hashes(email))
            )
        )
        is not None
    )


def suppressed_among(emails: list[str]) -> set[str]:
    """Those of `emails` on the suppression list, in one query (an import's batch)."""
    keys = {key: email for email in emails for key in address_hashes(email)}
    found = among(sa.select(Suppression.email_hash), Suppression.email_hash, keys)
    return {keys[key] for (key,) in found}


def suppress(email: str, reason: str) -> None:
    key = email_hash(email)
    if db.session.get(Suppression, key) is None:
        db.session.add(Suppression(email_hash=key, reason=reason))
