"""Subscribing, confirming, changing preferences, leaving: the logic behind every view.

Operations change data and flush; the request or the actor commits. Messages in
:class:`SubscriptionError` are shown to people as they are (already translated).
Address checks live in :mod:`newsletter.addresses` and lists in :mod:`newsletter.lists`;
their names are part of this module's interface too, so views need only this one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import queue_delivery
from newsletter.addresses import (  # noqa: F401  (re-exported)
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
from newsletter.links import (  # noqa: F401  (re-exported)
    subscriber_for_token,
    subscriber_token,
    token_payload,
)
from newsletter.lists import (  # noqa: F401  (re-exported)
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
from newsletter.models import (
    ConsentEvent,
    DeliveryKind,
    MailingList,
    Subscriber,
    Subscription,
    Suppression,
)
from newsletter.personal_data import export_data  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

CONFIRMATION_KIND = DeliveryKind.SUBSCRIPTION_CONFIRMATION


# -- signing up --------------------------------------------------------------------------


def _record(
    subscriber: Subscriber,
    action: str,
    lists: Iterable[MailingList],
    *,
    source: str,
    consent_version: int | None = None,
    ip: str | None = None,
    **details,
) -> ConsentEvent:
    lists = list(lists)
    if action == "list_removed":  # names change; what she left must stay findable
        details.setdefault("list_ids", [m.id for m in lists])
    event = ConsentEvent(
        subscriber=subscriber,
        action=action,
        lists=[m.name for m in lists],
        source=source,
        consent_version=consent_version,
        ip=ip if current_app.config.get("KKP_RECORD_IP") else None,
        details=details,
    )
    db.session.add(event)
    return event


def _find(email: str, *, lock: bool = False) -> Subscriber | None:
    query = sa.select(Subscriber).where(Subscriber.email == email)
    if lock and db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    return db.session.scalar(query)


def _insert_subscriber(**fields) -> Subscriber:
    """Insert, or return the row a concurrent request inserted a moment earlier."""
    subscriber = Subscriber(**fields)
    try:
        with db.session.begin_nested():
            db.session.add(subscriber)
            db.session.flush()
    except sa.exc.IntegrityError:
        existing = _find(fields["email"], lock=True)
        if existing is None:
            raise
        return existing
    return subscriber


def request_subscription(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    list_ids: Iterable[int],
    consent_version: int | None,
    source: str = "form",
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
    text = consent_text_version(consent_version, "newsletter")
    if text is None:
        errors.setdefault("consent", _("Please agree to the privacy notice."))
    raise_errors(errors)

    subscriber = _find(email, lock=True)
    if subscriber is None:
        subscriber = _insert_subscriber(
            email=email,
            name=name,
            organisation=organisation,
            source=source,
            locale=locale if locale in ("de", "en") else "de",
        )
    elif subscriber.status == "pending":
        # Not confirmed yet: the latest form wins for the personal details.
        subscriber.name = name or subscriber.name
        subscriber.organisation = organisation or subscriber.organisation

    have = {s.list_id: s for s in subscriber.subscriptions}
    new_lists = [m for m in lists if m.id not in have]
    for mailing_list in new_lists:
        subscriber.subscriptions.append(Subscription(mailing_list=mailing_list, status="pending"))
    pending = [m for m in lists if m.id not in have or have[m.id].status == "pending"]
    if not pending:
        return subscriber  # everything asked for is confirmed already
    _record(subscriber, "requested", pending, source=source, consent_version=text.version, ip=ip)
    db.session.flush()
    send_confirmation(subscriber, pending, new_lists=bool(new_lists))
    return subscriber


def send_confirmation(
    subscriber: Subscriber, lists: list[MailingList], *, new_lists: bool
) -> Delivery | None:
    """Queue the confirmation mail, unless the address got enough of them lately."""
    config = current_app.config
    now = utcnow()
    recent = db.session.execute(
        sa.select(sa.func.count(Delivery.id), sa.func.max(Delivery.created_at)).where(
            Delivery.subscriber_id == subscriber.id,
            Delivery.kind == CONFIRMATION_KIND,
            Delivery.created_at >= now - timedelta(days=1),
        )
    ).one()
    count, last = recent
    if count >= config["KKP_CONFIRMATION_MAILS_PER_DAY"]:
        log.info("subscriber %s: confirmation mail limit reached", subscriber.id)
        return None
    resend = timedelta(minutes=config["KKP_CONFIRMATION_RESEND_MINUTES"])
    if not new_lists and last is not None and last > now - resend:
        return None
    delivery = queue_delivery(
        CONFIRMATION_KIND,
        subscriber.email,
        subscriber_id=subscriber.id,
        params={"list_ids": [m.id for m in lists]},
    )
    _record(
        subscriber, "confirmation_sent", lists, source=subscriber.source, delivery_id=delivery.id
    )
    return delivery


def confirm(
    subscriber_id: int, list_ids: Iterable[int], *, check: str, ip: str | None = None
) -> tuple[Subscriber, list[MailingList]]:
    """Confirm the lists a confirmation mail named; idempotent."""
    subscriber = subscriber_for_token({"s": subscriber_id, "h": check})
    wanted = {int(i) for i in list_ids}
    now = utcnow()
    confirmed = []
    for subscription in subscriber.subscriptions:
        if subscription.list_id in wanted and subscription.status == "pending":
            subscription.status = "confirmed"
            subscription.confirmed_at = now
            confirmed.append(subscription.mailing_list)
    if confirmed:
        if subscriber.status != "confirmed":
            subscriber.status = "confirmed"
            subscriber.confirmed_at = now
        db.session.execute(
            sa.delete(Suppression).where(
                Suppression.email_hash.in_(address_hashes(subscriber.email))
            )
        )
        _record(subscriber, "confirmed", confirmed, source=subscriber.source, ip=ip)
    return subscriber, confirmed


# -- preferences and leaving --------------------------------------------------------------


def update_preferences(
    subscriber: Subscriber,
    *,
    list_ids: Iterable[int],
    name: str,
    organisation: str,
    source: str = "preferences",
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
                Subscription(mailing_list=mailing_list, status="confirmed", confirmed_at=now)
            )
            added.append(mailing_list)
        elif current.status == "pending":
            current.status, current.confirmed_at = "confirmed", now
            added.append(mailing_list)
    if added:
        if subscriber.status != "confirmed":
            subscriber.status, subscriber.confirmed_at = "confirmed", now
        _record(subscriber, "confirmed", added, source=source)
    if removed:
        _record(subscriber, "list_removed", removed, source=source)


def unsubscribe(
    subscriber: Subscriber,
    *,
    list_id: int | Iterable[int] | None = None,
    source: str = "unsubscribe",
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
                _record(subscriber, "list_removed", [s.mailing_list for s in left], source=source)
            return False
    delete_subscriber(subscriber, reason="unsubscribed")
    return True


def delete_subscriber(subscriber: Subscriber, *, reason: str = "deleted") -> None:
    """Remove every personal detail; the hash stays so the address is never mailed again."""
    subscriber_id = subscriber.id
    suppress(subscriber.email, reason)
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.subscriber_id == subscriber_id, Delivery.status == "queued")
        .values(status="cancelled")
    )
    db.session.execute(
        sa.update(Delivery).where(Delivery.subscriber_id == subscriber_id).values(recipient="")
    )
    db.session.delete(subscriber)
    db.session.flush()
    audit("subscriber.delete", None, subscriber_id=subscriber_id, reason=reason)


def purge_unconfirmed(now=None) -> int:
    """Delete sign-ups never confirmed within the retention period, and stale pending lists."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["KKP_UNCONFIRMED_RETENTION_DAYS"])
    ids = db.session.scalars(
        sa.select(Subscriber.id)
        .where(Subscriber.status == "pending", Subscriber.created_at < cutoff)
        .limit(10_000)
    ).all()
    if ids:
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.subscriber_id.in_(ids))
            .values(
                recipient="",
                status=sa.case((Delivery.status == "queued", "cancelled"), else_=Delivery.status),
            )
        )
        db.session.execute(sa.delete(Subscriber).where(Subscriber.id.in_(ids)))
    db.session.execute(
        sa.delete(Subscription).where(
            Subscription.status == "pending", Subscription.requested_at < cutoff
        )
    )
    if ids:
        log.info("purged %d unconfirmed sign-ups", len(ids))
    return len(ids)


def dashboard_figures() -> dict:
    counts = dict(
        db.session.execute(
            sa.select(Subscriber.status, sa.func.count()).group_by(Subscriber.status)
        ).all()
    )
    return {
        "confirmed": counts.get("confirmed", 0),
        "pending": counts.get("pending", 0),
        "lists": db.session.scalar(sa.select(sa.func.count(MailingList.id))),
        "suppressed": db.session.scalar(sa.select(sa.func.count()).select_from(Suppression)),
    }


# -- editors, the API and imports --------------------------------------------------------


def add_subscriber(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    list_ids: Iterable[int],
    consent_evidence: str | None = None,
    source: str = "editor",
    locale: str = "de",
) -> tuple[Subscriber, bool]:
    """Add someone on behalf of the office. Returns (subscriber, created).

    Without `consent_evidence` (where and when the person consented) the lists stay
    pending and the person gets the confirmation mail. Suppressed addresses are
    refused: only the person can sign up again, through the form. A list she left
    herself is never confirmed by an editor's evidence: she gets the mail to confirm
    it, and her own click decides.
    """
    email = normalise_email(email)
    name = clean_text(name, "name")
    organisation = clean_text(organisation, "organisation")
    evidence = (consent_evidence or "").strip()[:1000]
    _refuse_suppressed(email)
    lists = lists_by_ids(list_ids, public_only=False)
    subscriber = _find(email, lock=True)
    created = subscriber is None
    if created:
        subscriber = _insert_subscriber(
            email=email, name=name, organisation=organisation, source=source, locale=locale
        )
    else:
        subscriber.name = name or subscriber.name
        subscriber.organisation = organisation or subscriber.organisation
    left = lists_left_herself(subscriber) if evidence and not created else set()
    _join(subscriber, [m for m in lists if m.id not in left], evidence=evidence, source=source)
    if own_choice := [m for m in lists if m.id in left]:
        _join(subscriber, own_choice, evidence="", source=source)
    db.session.flush()
    audit(
        "subscriber.create" if created else "subscriber.update",
        subscriber,
        lists=[m.id for m in lists],
        with_evidence=bool(evidence),
    )
    return subscriber, created


def _refuse_suppressed(email: str) -> None:
    if is_suppressed(email):
        raise SubscriptionError(
            _(
                "This address has unsubscribed or was deleted. Only the person can sign up "
                "again, through the sign-up form."
            ),
            "email",
        )


def _join(
    subscriber: Subscriber, lists: list[MailingList], *, evidence: str, source: str
) -> list[MailingList]:
    """Put the subscriber on `lists`: confirmed with evidence, else pending with a
    confirmation mail. Returns the lists she was not on before."""
    have = {s.list_id: s for s in subscriber.subscriptions}
    now = utcnow()
    new_lists = [m for m in lists if m.id not in have]
    for mailing_list in new_lists:
        subscriber.subscriptions.append(Subscription(mailing_list=mailing_list, status="pending"))
    db.session.flush()
    wanted = {m.id for m in lists}
    pending = [s for s in subscriber.subscriptions if s.status == "pending" and s.list_id in wanted]
    if evidence and pending:
        for subscription in pending:
            subscription.status, subscription.confirmed_at = "confirmed", now
        if subscriber.status != "confirmed":
            subscriber.status, subscriber.confirmed_at = "confirmed", now
        _record(
            subscriber, "added", [s.mailing_list for s in pending], source=source, evidence=evidence
        )
    elif pending:
        _record(subscriber, "added", [s.mailing_list for s in pending], source=source)
        send_confirmation(subscriber, [s.mailing_list for s in pending], new_lists=bool(new_lists))
    return new_lists


#: where a person acts herself, through the signed links in her mail: the lists she
#: leaves there are her choice, which an import never undoes
OWN_CHOICE_SOURCES = ("unsubscribe", "one-click", "preferences")


def lists_left_herself(subscriber: Subscriber) -> set[int]:
    """Ids of the lists the person left herself, as her consent history records it."""
    left: set[int] = set()
    ids_by_name: dict[str, int] | None = None
    for event in subscriber.consent_events:
        if event.action != "list_removed" or event.source not in OWN_CHOICE_SOURCES:
            continue
        ids = (event.details or {}).get("list_ids")
        if ids is None:  # recorded before the ids were: the lists' names then
            if ids_by_name is None:
                ids_by_name = {m.name: m.id for m in all_lists()}
            ids = [ids_by_name[n] for n in event.lists or [] if n in ids_by_name]
        left.update(ids)
    return left


@dataclass
class ImportedPerson:
    """What an import did with one person."""

    subscriber: Subscriber
    created: bool
    #: chosen lists she joined, or whose pending sign-up the evidence confirmed
    joined: list[MailingList]
    #: chosen lists she had left herself: not added again
    left_herself: list[MailingList]
    #: the file gave another name or organisation; hers were kept
    other_details: bool


def import_subscriber(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    list_ids: Iterable[int],
    consent_evidence: str | None = None,
    job_id: int | None = None,
) -> ImportedPerson:
    """One person of a CSV import.

    A new address is added as :func:`add_subscriber` adds it. A subscriber who is there
    already keeps her name, organisation and choices: she is only put on the chosen
    lists she is not on and never left herself (:func:`lists_left_herself`); a chosen
    list she left herself is recorded in her consent history as not added again
    ("import_skipped"). Pending sign-ups on the chosen lists are confirmed only with
    `consent_evidence`, and never get another confirmation mail from an import.
    Suppressed addresses are refused with :class:`SubscriptionError`.
    """
    email = normalise_email(email)
    name = clean_text(name, "name")
    organisation = clean_text(organisation, "organisation")
    evidence = (consent_evidence or "").strip()[:1000]
    _refuse_suppressed(email)
    lists = lists_by_ids(list_ids, public_only=False)
    subscriber = _find(email, lock=True)
    if subscriber is None:
        subscriber = _insert_subscriber(
            email=email, name=name, organisation=organisation, source="import"
        )
        _join(subscriber, lists, evidence=evidence, source="import")
        return ImportedPerson(subscriber, True, lists, [], False)

    other_details = (name and name != subscriber.name) or (
        organisation and organisation != subscriber.organisation
    )
    have = {s.list_id: s for s in subscriber.subscriptions}
    left = lists_left_herself(subscriber)
    pending = {m.id for m in lists if m.id in have and have[m.id].status == "pending"}
    # a list she left herself stays hers to decide, also when a sign-up for it waits
    # for confirmation (anybody can type her address into the form)
    left_herself = [m for m in lists if m.id in left and (m.id not in have or m.id in pending)]
    new = [m for m in lists if m.id not in have and m.id not in left]
    to_confirm = [m for m in lists if m.id in pending and m.id not in left]
    joined = new + (to_confirm if evidence else [])
    if joined:
        _join(subscriber, joined, evidence=evidence, source="import")
    if left_herself:
        _record(
            subscriber,
            "import_skipped",
            left_herself,
            source="import",
            reason="left_herself",
            import_job=job_id,
        )
    db.session.flush()
    return ImportedPerson(subscriber, False, joined, left_herself, bool(other_details))


def edit_subscriber(
    subscriber: Subscriber,
    *,
    name: str,
    organisation: str,
    list_ids: Iterable[int],
    source: str = "editor",
) -> None:
    """An editor's change: details and lists. Lists added by an editor stay pending
    (and get a confirmation mail) unless the person confirmed before."""
    subscriber.name = clean_text(name, "name")
    subscriber.organisation = clean_text(organisation, "organisation")
    lists = lists_by_ids(list_ids, public_only=False)
    wanted = {m.id for m in lists}
    removed = [s for s in subscriber.subscriptions if s.list_id not in wanted]
    for subscription in removed:
        subscriber.subscriptions.remove(subscription)
    have = {s.list_id for s in subscriber.subscriptions}
    added = [m for m in lists if m.id not in have]
    for mailing_list in added:
        subscriber.subscriptions.append(Subscription(mailing_list=mailing_list, status="pending"))
    db.session.flush()
    if removed:
        _record(subscriber, "list_removed", [s.mailing_list for s in removed], source=source)
    if added:
        _record(subscriber, "added", added, source=source)
        send_confirmation(subscriber, added, new_lists=True)
    audit("subscriber.update", subscriber, fields=["name", "organisation", "lists"])
