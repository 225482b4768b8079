"""What editors, the API and imports do to subscribers: add, edit, import.

A person's own choice outranks all of it: a list she left herself is never joined
again here (see :func:`lists_left_herself`), and a suppressed address is refused.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from newsletter.consent_history import find_subscriber, insert_subscriber, record, send_confirmation
from newsletter.models import (
    ConsentAction,
    ConsentSource,
    ExistingPolicy,
    MailingList,
    Subscriber,
    SubscriberSource,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from people.addresses import (
    SubscriptionError,
    clean_text,
    is_suppressed,
    normalise_email,
)
from people.lists import all_lists, lists_by_ids

log = logging.getLogger(__name__)


def add_subscriber(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    list_ids: Iterable[int],
    consent_evidence: str | None = None,
    source: str = SubscriberSource.EDITOR,
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
    subscriber = find_subscriber(email, lock=True)
    created = subscriber is None
    if created:
        subscriber = insert_subscriber(
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
        subscriber.subscriptions.append(
            Subscription(mailing_list=mailing_list, status=SubscriptionStatus.PENDING)
        )
    db.session.flush()
    wanted = {m.id for m in lists}
    pending = [
        s
        for s in subscriber.subscriptions
        if s.status == SubscriptionStatus.PENDING and s.list_id in wanted
    ]
    if evidence and pending:
        for subscription in pending:
            subscription.status, subscription.confirmed_at = SubscriptionStatus.CONFIRMED, now
        if subscriber.status != SubscriberStatus.CONFIRMED:
            subscriber.status, subscriber.confirmed_at = SubscriberStatus.CONFIRMED, now
        record(
            subscriber,
            ConsentAction.ADDED,
            [s.mailing_list for s in pending],
            source=source,
            evidence=evidence,
        )
    elif pending:
        record(subscriber, ConsentAction.ADDED, [s.mailing_list for s in pending], source=source)
        send_confirmation(subscriber, [s.mailing_list for s in pending], new_lists=bool(new_lists))
    return new_lists


#: where a person acts herself, through the signed links in her mail: the lists she
#: leaves there are her choice, which an import never undoes
OWN_CHOICE_SOURCES = (ConsentSource.UNSUBSCRIBE, ConsentSource.ONE_CLICK, ConsentSource.PREFERENCES)


def lists_left_herself(subscriber: Subscriber) -> set[int]:
    """Ids of the lists the person left herself, as her consent history records it."""
    return ids_left(
        (event.lists, event.details)
        for event in subscriber.consent_events
        if event.action == ConsentAction.LIST_REMOVED and event.source in OWN_CHOICE_SOURCES
    )


def ids_left(events: Iterable[tuple[list | None, dict | None]]) -> set[int]:
    """The list ids in the (lists, details) of "list_removed" events of her own choice;
    shared with the batch path of an import (:mod:`newsletter.import_known`)."""
    left: set[int] = set()
    ids_by_name: dict[str, int] | None = None
    for names, details in events:
        ids = (details or {}).get("list_ids")
        if ids is None:  # recorded before the ids were: the lists' names then
            if ids_by_name is None:
                ids_by_name = {m.name: m.id for m in all_lists()}
            ids = [ids_by_name[n] for n in names or [] if n in ids_by_name]
        left.update(ids)
    return left


@dataclass
class ImportedPerson:
    """What an import did with one person."""

    #: None where a batch settled her without loading her (inserted in bulk, or skipped)
    subscriber: Subscriber | None
    created: bool
    #: chosen lists she joined, or whose pending sign-up the evidence confirmed
    joined: list[MailingList]
    #: chosen lists she had left herself: not added again
    left_herself: list[MailingList]
    #: the file gave another name or organisation; hers were kept
    other_details: bool
    #: her name, organisation or language were taken from the file
    details_updated: bool = False


def import_subscriber(
    *,
    email: str,
    name: str = "",
    organisation: str = "",
    list_ids: Iterable[int],
    consent_evidence: str | None = None,
    job_id: int | None = None,
    locale: str = "",
    existing: str = ExistingPolicy.ADD_LISTS,
) -> ImportedPerson:
    """One person of a CSV import.

    A new address is added as :func:`add_subscriber` adds it. A subscriber who is there
    already keeps her name, organisation and choices: she is only put on the chosen
    lists she is not on and never left herself (:func:`lists_left_herself`); a chosen
    list she left herself is recorded in her consent history as not added again
    ("import_skipped"). Pending sign-ups on the chosen lists are confirmed only with
    `consent_evidence`, and never get another confirmation mail from an import.
    Suppressed addresses are refused with :class:`SubscriptionError`.

    `existing` (an :class:`~newsletter.models.ExistingPolicy` value) says what happens
    to a subscriber who is there already: "add_lists" as above; "skip" leaves her as
    she is; "update" takes the name, organisation and language the file gives (empty
    cells change nothing) and leaves her lists as they are. `locale`: the language
    the file gives, "" for none ("de" for a new subscriber).
    """
    email = normalise_email(email)
    name = clean_text(name, "name")
    organisation = clean_text(organisation, "organisation")
    evidence = (consent_evidence or "").strip()[:1000]
    _refuse_suppressed(email)
    lists = lists_by_ids(list_ids, public_only=False)
    subscriber = find_subscriber(email, lock=True)
    if subscriber is None:
        subscriber = insert_subscriber(
            email=email,
            name=name,
            organisation=organisation,
            source=SubscriberSource.IMPORT,
            locale=locale or "de",
        )
        _join(subscriber, lists, evidence=evidence, source=SubscriberSource.IMPORT)
        return ImportedPerson(subscriber, True, lists, [], False)
    if existing == ExistingPolicy.SKIP:
        return ImportedPerson(subscriber, False, [], [], False)
    if existing == ExistingPolicy.UPDATE:
        return _update_details(subscriber, name=name, organisation=organisation, locale=locale)

    other_details = (name and name != subscriber.name) or (
        organisation and organisation != subscriber.organisation
    )
    have = {s.list_id: s for s in subscriber.subscriptions}
    left = lists_left_herself(subscriber)
    pending = {
        m.id for m in lists if m.id in have and have[m.id].status == SubscriptionStatus.PENDING
    }
    # a list she left herself stays hers to decide, also when a sign-up for it waits
    # for confirmation (anybody can type her address into the form)
    left_herself = [m for m in lists if m.id in left and (m.id not in have or m.id in pending)]
    new = [m for m in lists if m.id not in have and m.id not in left]
    to_confirm = [m for m in lists if m.id in pending and m.id not in left]
    joined = new + (to_confirm if evidence else [])
    if joined:
        _join(subscriber, joined, evidence=evidence, source=SubscriberSource.IMPORT)
    if left_herself:
        record(
            subscriber,
            ConsentAction.IMPORT_SKIPPED,
            left_herself,
            source=SubscriberSource.IMPORT,
            reason="left_herself",
            import_job=job_id,
        )
    db.session.flush()
    return ImportedPerson(subscriber, False, joined, left_herself, bool(other_details))


def _update_details(
    subscriber: Subscriber, *, name: str, organisation: str, locale: str
) -> ImportedPerson:
    """An import's "update" choice: what the file gives replaces what is stored."""
    changes = {
        field: value
        for field, value in (("name", name), ("organisation", organisation), ("locale", locale))
        if value and value != getattr(subscriber, field)
    }
    for field, value in changes.items():
        setattr(subscriber, field, value)
    if changes:  # the job's own audit entry ("import.finish") counts them
        db.session.flush()
    return ImportedPerson(subscriber, False, [], [], False, details_updated=bool(changes))


def edit_subscriber(
    subscriber: Subscriber,
    *,
    name: str,
    organisation: str,
    list_ids: Iterable[int],
    source: str = SubscriberSource.EDITOR,
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
        subscriber.subscriptions.append(
            Subscription(mailing_list=mailing_list, status=SubscriptionStatus.PENDING)
        )
    db.session.flush()
    if removed:
        record(
            subscriber, ConsentAction.LIST_REMOVED, [s.mailing_list for s in removed], source=source
        )
    if added:
        record(subscriber, ConsentAction.ADDED, added, source=source)
        send_confirmation(subscriber, added, new_lists=True)
    audit("subscriber.update", subscriber, fields=["name", "organisation", "lists"])


class ListChange(enum.StrEnum):
    """What an editor's bulk change of one list did to one person."""

    DONE = "done"
    #: she was on the list already (adding) or not on it (removing)
    UNCHANGED = "unchanged"
    #: she left the list herself: an editor does not put her back
    OWN_CHOICE = "own-choice"


def add_to_list(subscriber: Subscriber, mailing_list: MailingList) -> ListChange:
    """An editor puts the person on a list: pending, with the mail to confirm it.
    Refused for a list she left herself (her own choice outranks the editor's)."""
    if any(s.list_id == mailing_list.id for s in subscriber.subscriptions):
        return ListChange.UNCHANGED
    if mailing_list.id in lists_left_herself(subscriber):
        return ListChange.OWN_CHOICE
    _join(subscriber, [mailing_list], evidence="", source=SubscriberSource.EDITOR)
    return ListChange.DONE


def remove_from_list(subscriber: Subscriber, mailing_list: MailingList) -> ListChange:
    """An editor takes the person off a list; her other lists and details stay."""
    left = [s for s in subscriber.subscriptions if s.list_id == mailing_list.id]
    if not left:
        return ListChange.UNCHANGED
    subscriber.subscriptions.remove(left[0])
    db.session.flush()
    record(subscriber, ConsentAction.LIST_REMOVED, [mailing_list], source=ConsentSource.EDITOR)
    return ListChange.DONE
