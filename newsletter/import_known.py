"""The people of an import's batch who are subscribed already, set-based.

:func:`settle_known` does for all of them what :func:`newsletter.roster.import_subscriber`
does for one, in a fixed number of statements per batch: one chunked lookup each of
the subscribers (locked on PostgreSQL, as one by one), their subscriptions and the
lists they left themselves; then one bulk insert of the new subscriptions, one bulk
update of the subscriptions and subscribers that change, one bulk insert of the
consent records. The rules are the same:

- "skip" leaves her as she is; "update" takes the name, organisation and language
  the file gives (empty cells change nothing);
- "add_lists" puts her on the chosen lists she is not on and never left herself;
  pending sign-ups on them are confirmed only with consent evidence, and a list she
  left herself is recorded as not added again ("import_skipped").

Only someone who would get a confirmation mail (a new list without evidence) is
left to the caller, which takes her one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from kkp.db import among, insert_rows, utcnow
from kkp.extensions import db
from newsletter.csvfile import Person
from newsletter.models import (
    ConsentAction,
    ConsentEvent,
    ExistingPolicy,
    MailingList,
    Subscriber,
    SubscriberSource,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
)
from newsletter.roster import OWN_CHOICE_SOURCES, ImportedPerson, ids_left
from people.addresses import SubscriptionError, clean_text


@dataclass
class Known:
    """A subscriber as the batch needs her."""

    id: int
    name: str
    organisation: str
    locale: str
    status: str
    #: list id -> subscription status
    subscriptions: dict[int, str] = field(default_factory=dict)
    #: lists she left herself
    left: set[int] = field(default_factory=set)


def load_known(emails: list[str]) -> dict[str, Known]:
    """The subscribers with these addresses, their lists and the lists they left, in
    three chunked queries; locked on PostgreSQL (in the order of their ids)."""
    query = sa.select(
        Subscriber.email,
        Subscriber.id,
        Subscriber.name,
        Subscriber.organisation,
        Subscriber.locale,
        Subscriber.status,
    ).order_by(Subscriber.id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    known = {
        email: Known(id_, name, organisation, locale, status)
        for email, id_, name, organisation, locale, status in among(query, Subscriber.email, emails)
    }
    by_id = {k.id: k for k in known.values()}
    for subscriber_id, list_id, status in among(
        sa.select(Subscription.subscriber_id, Subscription.list_id, Subscription.status),
        Subscription.subscriber_id,
        by_id,
    ):
        by_id[subscriber_id].subscriptions[list_id] = status
    events: dict[int, list] = defaultdict(list)
    for subscriber_id, names, details in among(
        sa.select(ConsentEvent.subscriber_id, ConsentEvent.lists, ConsentEvent.details)
        .where(
            ConsentEvent.action == ConsentAction.LIST_REMOVED,
            ConsentEvent.source.in_(OWN_CHOICE_SOURCES),
        )
        .order_by(ConsentEvent.id),
        ConsentEvent.subscriber_id,
        by_id,
    ):
        events[subscriber_id].append((names, details))
    for subscriber_id, pairs in events.items():
        by_id[subscriber_id].left = ids_left(pairs)
    return known


@dataclass
class _Writes:
    """What the batch writes, gathered to be written in bulk."""

    now: object
    subscriptions: list[dict] = field(default_factory=list)
    confirmations: list[dict] = field(default_factory=list)
    subscribers: dict[int, dict] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)

    def subscriber(self, subscriber_id: int, **values) -> None:
        row = self.subscribers.setdefault(subscriber_id, {"id": subscriber_id})
        row.update(values, updated_at=self.now)

    def event(self, subscriber_id: int, action: str, lists: list[MailingList], **details):
        self.events.append(
            {
                "subscriber_id": subscriber_id,
                "at": self.now,
                "action": action,
                "lists": [m.name for m in lists],
                "source": SubscriberSource.IMPORT,
                "details": details,
            }
        )

    def write(self) -> None:
        insert_rows(Subscription, self.subscriptions)
        if self.confirmations:  # ORM bulk UPDATE by primary key: one executemany
            db.session.execute(sa.update(Subscription), self.confirmations)
        # grouped by the columns they set, so each group is one executemany
        groups: dict[tuple, list[dict]] = defaultdict(list)
        for row in self.subscribers.values():
            groups[tuple(sorted(row))].append(row)
        for rows in groups.values():
            db.session.execute(sa.update(Subscriber), rows)
        insert_rows(ConsentEvent, self.events)


def settle_known(
    people: list[Person],
    known: dict[str, Known],
    *,
    lists: list[MailingList],
    evidence: str,
    existing: str,
    job_id: int,
) -> dict[str, ImportedPerson | str]:
    """What the import does with each of `people` (all in `known`): her outcome, or
    the message for a name or organisation the address policy refuses. Those left out
    get a confirmation mail (or were deleted meanwhile): the caller takes them one by
    one."""
    writes = _Writes(utcnow())
    outcomes: dict[str, ImportedPerson | str] = {}
    for person in people:
        her = known.get(person.email)
        if her is None:  # deleted since the batch was sorted: one by one
            continue
        try:
            name = clean_text(person.name, "name")
            organisation = clean_text(person.organisation, "organisation")
        except SubscriptionError as exc:
            outcomes[person.email] = str(exc)
            continue
        if existing == ExistingPolicy.SKIP:
            outcomes[person.email] = ImportedPerson(None, False, [], [], False)
        elif existing == ExistingPolicy.UPDATE:
            outcomes[person.email] = _update(her, writes, name, organisation, person.language)
        else:
            outcome = _add_lists(her, writes, name, organisation, lists, evidence, job_id)
            if outcome is not None:
                outcomes[person.email] = outcome
    writes.write()
    return outcomes


def _update(her: Known, writes: _Writes, name: str, organisation: str, locale: str):
    changes = {
        column: value
        for column, value in (("name", name), ("organisation", organisation), ("locale", locale))
        if value and value != getattr(her, column)
    }
    if changes:
        writes.subscriber(her.id, **changes)
    return ImportedPerson(None, False, [], [], False, details_updated=bool(changes))


def _add_lists(
    her: Known,
    writes: _Writes,
    name: str,
    organisation: str,
    lists: list[MailingList],
    evidence: str,
    job_id: int,
) -> ImportedPerson | None:
    """As :func:`newsletter.roster.import_subscriber` with "add_lists"; None for someone
    who would get a confirmation mail."""
    have = her.subscriptions
    pending = {m.id for m in lists if have.get(m.id) == SubscriptionStatus.PENDING}
    left_herself = [m for m in lists if m.id in her.left and (m.id not in have or m.id in pending)]
    new = [m for m in lists if m.id not in have and m.id not in her.left]
    to_confirm = [m for m in lists if m.id in pending and m.id not in her.left]
    if new and not evidence:
        return None  # pending with a confirmation mail: one by one
    joined = new + (to_confirm if evidence else [])
    if joined:
        now = writes.now
        writes.subscriptions.extend(
            {
                "subscriber_id": her.id,
                "list_id": m.id,
                "status": SubscriptionStatus.CONFIRMED,
                "requested_at": now,
                "confirmed_at": now,
            }
            for m in new
        )
        writes.confirmations.extend(
            {
                "subscriber_id": her.id,
                "list_id": m.id,
                "status": SubscriptionStatus.CONFIRMED,
                "confirmed_at": now,
            }
            for m in to_confirm
        )
        if her.status != SubscriberStatus.CONFIRMED:
            writes.subscriber(her.id, status=SubscriberStatus.CONFIRMED, confirmed_at=now)
        # the order one by one records them in: her pending sign-ups, then the new lists
        writes.event(her.id, ConsentAction.ADDED, to_confirm + new, evidence=evidence)
    if left_herself:
        writes.event(
            her.id,
            ConsentAction.IMPORT_SKIPPED,
            left_herself,
            reason="left_herself",
            import_job=job_id,
        )
    other_details = bool(
        (name and name != her.name) or (organisation and organisation != her.organisation)
    )
    return ImportedPerson(None, False, joined, left_herself, other_details)
