"""The "also subscribe to the newsletter" box of the registration forms.

The newsletter is a floor above the events, so it registers what the box shows and how
a tick starts its subscription (:func:`newsletter_signup_from`); the box shows only
when it did. A tick never subscribes anyone: it starts the newsletter's own double
opt-in, whose confirmation mail the person must answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kkp.extensions import db
from kkp.forms import InputError

log = logging.getLogger(__name__)

#: the form fields of the box
FIELD = "newsletter"
VERSION_FIELD = "newsletter_consent_version"


@dataclass(frozen=True)
class NewsletterBox:
    """What the box shows: the newsletter's name and its privacy notice (the version
    goes with the form, so that the tick agrees to the words shown)."""

    name: str
    consent_text: str
    consent_version: int


@dataclass(frozen=True)
class NewsletterSignup:
    """The newsletter's two functions: `box()` (None: nothing to offer now) and
    `start(email=, name=, organisation=, consent_version=, locale=, ip=)`."""

    box: Callable[[], NewsletterBox | None]
    start: Callable[..., object]


_signup: NewsletterSignup | None = None


def newsletter_signup_from(
    box: Callable[[], NewsletterBox | None], start: Callable[..., object]
) -> None:
    """Register the newsletter's box and the start of its double opt-in."""
    global _signup
    _signup = NewsletterSignup(box=box, start=start)


def newsletter_box() -> NewsletterBox | None:
    """The box to show, or None (no newsletter registered, or nothing to offer)."""
    return _signup.box() if _signup is not None else None


def ticked(formdata: Mapping) -> bool:
    return bool(formdata.get(FIELD))


def start_newsletter_signup(
    formdata: Mapping,
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    locale: str = "de",
    ip: str | None = None,
) -> bool:
    """If the box was ticked, start the newsletter's double opt-in (its confirmation
    mail is queued). A refusal (the notice changed meanwhile, say) leaves the
    registration as it is; returns whether the sign-up was started."""
    if _signup is None or not ticked(formdata):
        return False
    raw = str(formdata.get(VERSION_FIELD) or "")
    version = int(raw) if raw.isdigit() and len(raw) < 9 else None
    try:
        with db.session.begin_nested():
            _signup.start(
                email=email,
                name=name,
                organisation=organisation,
                consent_version=version,
                locale=locale,
                ip=ip,
            )
    except InputError:
        log.info("newsletter sign-up from a registration refused")
        return False
    return True
