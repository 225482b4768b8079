"""The newsletter box of the events' registration forms (:mod:`events.newsletter_box`):
what it offers (the first public list and the newsletter's privacy notice) and the
normal double opt-in when someone ticks it. Registered at import."""

from __future__ import annotations

from events.newsletter_box import NewsletterBox, newsletter_signup_from
from newsletter import operations
from newsletter.models import SubscriberSource


def _first_list():
    lists = operations.public_lists()
    return lists[0] if lists else None


def box() -> NewsletterBox | None:
    """None while there is no public list or no privacy notice to agree to."""
    mailing_list = _first_list()
    consent = operations.current_consent_text()
    if mailing_list is None or consent is None:
        return None
    return NewsletterBox(
        name=mailing_list.name, consent_text=consent.text, consent_version=consent.version
    )


def start(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    consent_version: int | None,
    locale: str = "de",
    ip: str | None = None,
) -> None:
    """The sign-up form's request for the first public list: a confirmation mail, never
    a subscription without it."""
    mailing_list = _first_list()
    operations.request_subscription(
        email=email,
        name=name,
        organisation=organisation,
        list_ids=[mailing_list.id] if mailing_list else [],
        consent_version=consent_version,
        source=SubscriberSource.FORM,
        ip=ip,
        locale=locale,
    )


newsletter_signup_from(box, start)
