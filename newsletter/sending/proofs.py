"""Proofs: the issue as it is now, sent to a few addresses and marked as a test, one
single delivery each."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder, queue_delivery
from newsletter.issues import IssueError
from newsletter.models import DeliveryKind, Issue, Subscriber
from newsletter.render import PreparedIssue, Recipient, greeting, list_id_header, render_issue
from newsletter.render import sender as sender_of
from newsletter.sending.messages import mail_domain, recipient_for
from newsletter.settings import office_settings
from people.addresses import normalise_email

MAX_TEST_ADDRESSES = 5


def test_send(issue: Issue, addresses: list[str]) -> list[int]:
    """Send the issue as it is now to up to five addresses, marked as a test."""
    cleaned = []
    for raw in addresses:
        raw = raw.strip()
        if raw:
            cleaned.append(normalise_email(raw))
    if not cleaned:
        raise IssueError(_("Please enter at least one address."), "addresses")
    if len(set(cleaned)) > MAX_TEST_ADDRESSES:
        raise IssueError(
            _("At most %(n)d addresses for a test, please.", n=MAX_TEST_ADDRESSES), "addresses"
        )
    if not issue.articles:
        raise IssueError(_("The issue has no articles yet; add at least one before sending."))
    ids = [
        queue_delivery(DeliveryKind.ISSUE_TEST, address, params={"issue_id": issue.id}).id
        for address in dict.fromkeys(cleaned)
    ]
    audit("issue.test_send", issue, count=len(ids))
    return ids


@message_builder(DeliveryKind.ISSUE_TEST, interactive=True)
def test_mail(delivery: Delivery) -> tuple[bytes, str]:
    issue = db.session.get(Issue, delivery.params.get("issue_id") or 0)
    if issue is None:
        raise NotDeliverable("the issue was deleted")
    settings = office_settings()
    subscriber = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.email == delivery.recipient)
    )
    locale = subscriber.locale if subscriber else "de"
    rendered = render_issue(issue, settings, locale)
    rendered["subject"] = "[Test] " + rendered["subject"]
    message = PreparedIssue(
        rendered,
        sender=sender_of(settings),
        list_id=list_id_header(issue, mail_domain(), settings["newsletter_name"]),
    )
    base = current_app.config["KKP_BASE_URL"]
    message_id = f"<test.{delivery.id}.{issue.id}@{mail_domain()}>"
    if subscriber is not None:  # a subscriber's own links work in the test too
        recipient = recipient_for(subscriber, [lst.id for lst in issue.lists], message_id)
    else:
        recipient = Recipient(
            email=delivery.recipient,
            name="",
            greeting=greeting("", locale),
            unsubscribe_url=f"{base}/subscribe",
            preferences_url=f"{base}/subscribe",
            message_id=message_id,
        )
    return message.message(recipient), recipient.message_id
