"""Subscribing, confirming, changing preferences, leaving: the logic behind every view.

Operations change data and flush; the request or the actor commits. Messages in
:class:`SubscriptionError` are shown to people as they are (already translated).
Address checks live in :mod:`people.addresses`, lists in :mod:`people.lists`,
the consent history in :mod:`newsletter.consent_history`, and what editors, the API and
imports do in :mod:`newsletter.roster`; their names are part of this module's interface
too, so views need only this one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.consent_history import (  # noqa: F401  (re-exported)
    CONFIRMATION_KIND,
    find_subscriber,
    insert_subscriber,
    record,
    send_confirmation,
)
from newsletter.links import (  # noqa: F401  (re-exported)
    subscriber_for_token,
    subscriber_token,
    token_payload,
)
from newsletter.models import (
    ConsentAction,
    ConsentPurpose,
    ConsentSource,
    MailingList,
    Subscriber,
    SubscriberSource,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from newsletter.personal_data import export_data  # noqa: F401  (re-exported)
from newsletter.roster import (  # noqa: F401  (re-exported)
    OWN_CHOICE_SOURCES,
    ImportedPerson,
    ListChange,
    add_subscriber,
    add_to_list,
    edit_subscriber,
    import_subscriber,
    lists_left_herself,
    remove_from_list,
)
from newsletter.sending.report import UNSUBSCRIBE_DAYS
from people.addresses import (  # noqa: F401  (re-exported)
    MAX_NAME,
    ConflictError,
    SubscriptionError,
    address_hashes,
    checked,
    clean_text,
    email_hash,
    is_suppressed,
    normalise_email,
    raise_errors,
    suppress,
)
from people.lists import (  # noqa: F401  (re-exported)
    SLUG,
    all_lists,
    consent_text_version,
    consent_text_versions,
    create_list,
    current_consent_text,
    lists_by_ids,
    public_lists,
    publish_consent_text,
    update_list,
)

log = logging.getLogger(__name__)


# -- signing up --------------------------------------------------------------------------


def request_subscription(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    list_ids: Iterable[int],
    consent_version: int | None,
    source: str = SubscriberSource.FORM,
    ip: str | None = None,
    locale: str = "de",
    public_only: bool = True,
) -> Subscriber:
    """The sign-up form: record the request and send a confirmation mail if due.

    Never changes what a confirmed subscriber has, never removes a list, and answers
    the same whatever the address's state (so the form reveals nothing).
    """
    errors: dict[str, str] = {}
    email = checked(errors, normalise_email, email)
    name = checked(errors, clean_text, name, "name")
    organisation = checked(errors, clean_text, organisation, "organisation")
    lists = checked(errors, lists_by_ids, list_ids, public_only=public_only)
    if lists == []:
        errors.setdefault("lists", _("Please choose at least one list."))
    text = consent_text_version(consent_version, ConsentPurpose.NEWSLETTER)
    if text is None:
        errors.setdefault("consent", _("Please agree to the privacy notice."))
    raise_errors(errors)

    subscriber = find_subscriber(email, lock=True)
    if subscriber is None:
        subscriber = insert_subscriber(
            email=email,
            name=name,
            organisation=organisation,
            source=source,
            locale=locale if locale in ("de", "en") else "de",
        )
    elif subscriber.status == SubscriberStatus.PENDING:
        # Not confirmed yet: the latest form wins for the personal details.
        subscriber.name = name or subscriber.name
        subscriber.organisation = organisation or subscriber.organisation

    have = {s.list_id: s for s in subscriber.subscriptions}
    new_lists = [m for m in lists if m.id not in have]
    for mailing_list in new_lists:
        subscriber.subscriptions.append(
            Subscription(mailing_list=mailing_list, status=SubscriptionStatus.PENDING)
        )
    pending = [
        m for m in lists if m.id not in have or have[m.id].status == SubscriptionStatus.PENDING
    ]
    if not pending:
        return subscriber  # everything asked for is confirmed already
    record(
        subscriber,
        ConsentAction.REQUESTED,
        pending,
        source=source,
        consent_version=text.version,
        ip=ip,
    )
    db.session.flush()
    send_confirmation(subscriber, pending, new_lists=bool(new_lists))
    return subscriber


def confirm(
    subscriber_id: int, list_ids: Iterable[int], *, check: str, ip: str | None = None
) -> tuple[Subscriber, list[MailingList]]:
    """Confirm the lists a confirmation mail named; idempotent."""
    subscriber = subscriber_for_token({"s": subscriber_id, "h": check})
    wanted = {int(i) for i in list_ids}
    now = utcnow()
    confirmed = []
    for subscription in subscriber.subscriptions:
        if subscription.list_id in wanted and subscription.status == SubscriptionStatus.PENDING:
            subscription.status = SubscriptionStatus.CONFIRMED
            subscription.confirmed_at = now
            confirmed.append(subscription.mailing_list)
    if confirmed:
        if subscriber.status != SubscriberStatus.CONFIRMED:
            subscriber.status = SubscriberStatus.CONFIRMED
            subscriber.confirmed_at = now
        db.session.execute(
            sa.delete(Suppression).where(
                Suppression.email_hash.in_(address_hashes(subscriber.email))
            )
        )
        record(subscriber, ConsentAction.CONFIRMED, confirmed, source=subscriber.source, ip=ip)
    return subscriber, confirmed


# -- preferences and leaving --------------------------------------------------------------


def update_preferences(
    subscriber: Subscriber,
    *,
    list_ids: Iterable[int],
    name: str,
    organisation: str,
    source: str = ConsentSource.PREFERENCES,
) -> None:
    """Set the confirmed lists; the signed link proves the address, so new lists count
    as confirmed."""
    lists = lists_by_ids(list_ids, public_only=True)
    subscriber.name = clean_text(name, "name")
    subscriber.organisation = clean_text(organisation, "organisation")
    wanted = {m.id for m in lists}
    now = utcnow()
    removed = []
    for subscription in list(subscriber.subscriptions):
        if subscription.mailing_list.is_public and subscription.list_id not in wanted:
            removed.append(subscription.mailing_list)
            subscriber.subscriptions.remove(subscription)
    have = {s.list_id: s for s in subscriber.subscriptions}
    added = []
    for mailing_list in lists:
        current = have.get(mailing_list.id)
        if current is None:
            subscriber.subscriptions.append(
                Subscription(
                    mailing_list=mailing_list, status=SubscriptionStatus.CONFIRMED, confirmed_at=now
                )
            )
            added.append(mailing_list)
        elif current.status == SubscriptionStatus.PENDING:
            current.status, current.confirmed_at = SubscriptionStatus.CONFIRMED, now
            added.append(mailing_list)
    if added:
        if subscriber.status != SubscriberStatus.CONFIRMED:
            subscriber.status, subscriber.confirmed_at = SubscriberStatus.CONFIRMED, now
        record(subscriber, ConsentAction.CONFIRMED, added, source=source)
    if removed:
        record(subscriber, ConsentAction.LIST_REMOVED, removed, source=source)


def unsubscribe(
    subscriber: Subscriber,
    *,
    list_id: int | Iterable[int] | None = None,
    source: str = ConsentSource.UNSUBSCRIBE,
) -> bool:
    """Leave one list (or the lists of one mail), or everything. Leaving the last list
    deletes the subscriber and keeps only the hashed address on the suppression list.
    Returns True if deleted."""
    if list_id is not None:
        leaving = {list_id} if isinstance(list_id, int) else set(list_id)
        remaining = [s for s in subscriber.subscriptions if s.list_id not in leaving]
        if remaining:
            left = [s for s in subscriber.subscriptions if s.list_id in leaving]
            for subscription in left:
                subscriber.subscriptions.remove(subscription)
            if left:
                record(
                    subscriber,
                    ConsentAction.LIST_REMOVED,
                    [s.mailing_list for s in left],
                    source=source,
                )
            return False
    delete_subscriber(subscriber, reason=SuppressionReason.UNSUBSCRIBED)
    return True


def delete_subscriber(subscriber: Subscriber, *, reason: str = SuppressionReason.DELETED) -> None:
    """Remove every personal detail; the hash stays so the address is never mailed again."""
    subscriber_id = subscriber.id
    issues: list[int] = []
    if reason == SuppressionReason.UNSUBSCRIBED:
        # the issues she got lately, for their reports' unsubscribe figures (the link
        # stays without her: her deliveries lose her address and id)
        issues = sorted(
            db.session.scalars(
                sa.select(Delivery.issue_id)
                .where(
                    Delivery.subscriber_id == subscriber_id,
                    Delivery.issue_id.is_not(None),
                    Delivery.status == DeliveryStatus.SENT,
                    Delivery.sent_at >= utcnow() - timedelta(days=UNSUBSCRIBE_DAYS),
                )
                .distinct()
            )
        )
    suppress(subscriber.email, reason)
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED)
    )
    db.session.execute(
        sa.update(Delivery).where(Delivery.subscriber_id == subscriber_id).values(recipient="")
    )
    db.session.delete(subscriber)
    db.session.flush()
    if issues:
        audit("subscriber.delete", None, subscriber_id=subscriber_id, reason=reason, issues=issues)
    else:
        audit("subscriber.delete", None, subscriber_id=subscriber_id, reason=reason)


def purge_unconfirmed(now=None) -> int:
    """Delete sign-ups never confirmed within the retention period, and stale pending lists."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["KKP_UNCONFIRMED_RETENTION_DAYS"])
    ids = db.session.scalars(
        sa.select(Subscriber.id)
        .where(Subscriber.status == SubscriberStatus.PENDING, Subscriber.created_at < cutoff)
        .limit(10_000)
    ).all()
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.subscriber_id.in_(ids))
            .values(
                recipient="",
                status=sa.case(
                    (Delivery.status == DeliveryStatus.QUEUED, DeliveryStatus.CANCELLED),
                    else_=Delivery.status,
                ),
            )
        )
        db.session.execute(sa.delete(Subscriber).where(Subscriber.id.in_(ids)))
    db.session.execute(
        sa.delete(Subscription).where(
            Subscription.status == SubscriptionStatus.PENDING, Subscription.requested_at < cutoff
        )
    )
    if ids:
        log.info("purged %d unconfirmed sign-ups", len(ids))
    return len(ids)
