"""One batch of an import, set-based: the queries a batch needs are made once for all
its people, and what it writes is written in bulk, one commit per batch.

New people with consent evidence are inserted in bulk here; the people subscribed
already are settled in bulk by :mod:`newsletter.import_known`. Everybody else (a new
person without evidence, or a subscriber who gets a new list without it: both get the
confirmation mail) goes through :func:`newsletter.roster.import_subscriber` one by
one, so the rules stay in one place. The bulk insert writes what that function writes
for a new person with evidence: the subscriber confirmed, her lists confirmed, one
"added" consent event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa

from kkp.db import among, insert_rows, utcnow
from kkp.extensions import db
from newsletter.csvfile import REASONS, Person, reason_text
from newsletter.import_known import load_known, settle_known
from newsletter.models import (
    ConsentEvent,
    ExistingPolicy,
    ImportJob,
    MailingList,
    Subscriber,
    Subscription,
)
from newsletter.roster import ImportedPerson, import_subscriber
from people.addresses import SubscriptionError, clean_text, is_suppressed, suppressed_among

log = logging.getLogger(__name__)


@dataclass
class Sorted:
    """The people of a batch, by what the import does with them."""

    #: refused: unsubscribed or deleted
    suppressed: set[str]
    #: subscribed already
    known: set[str]


def sort_batch(people: list[Person]) -> Sorted:
    """Two queries for the whole batch: the suppression list and the known addresses."""
    emails = [p.email for p in people]
    known = {email for (email,) in among(sa.select(Subscriber.email), Subscriber.email, emails)}
    return Sorted(suppressed=suppressed_among(emails), known=known)


def insert_new_people(
    people: list[Person], *, lists: list[MailingList], evidence: str
) -> dict[str, ImportedPerson | str]:
    """New people with evidence, in three bulk inserts. Returns each one's outcome, or
    the code "refused" with the message for a name the address policy refuses.

    Raises :class:`sqlalchemy.exc.IntegrityError` if one of them was added meanwhile
    (by a sign-up); the caller rolls the savepoint back and goes one by one.
    """
    now = utcnow()
    outcomes: dict[str, ImportedPerson | str] = {}
    rows = []
    for person in people:
        try:
            name = clean_text(person.name, "name")
            organisation = clean_text(person.organisation, "organisation")
        except SubscriptionError as exc:
            outcomes[person.email] = str(exc)
            continue
        rows.append(
            {
                "email": person.email,
                "name": name,
                "organisation": organisation,
                "status": "confirmed",
                "source": "import",
                "locale": person.language or "de",
                "created_at": now,
                "updated_at": now,
                "confirmed_at": now,
            }
        )
    if not rows:
        return outcomes
    insert_rows(Subscriber, rows)
    ids = dict(
        among(
            sa.select(Subscriber.email, Subscriber.id), Subscriber.email, [r["email"] for r in rows]
        )
    )
    insert_rows(
        Subscription,
        [
            {
                "subscriber_id": subscriber_id,
                "list_id": mailing_list.id,
                "status": "confirmed",
                "requested_at": now,
                "confirmed_at": now,
            }
            for subscriber_id in ids.values()
            for mailing_list in lists
        ],
    )
    names = [m.name for m in lists]
    insert_rows(
        ConsentEvent,
        [
            {
                "subscriber_id": subscriber_id,
                "at": now,
                "action": "added",
                "lists": names,
                "source": "import",
                "details": {"evidence": evidence},
            }
            for subscriber_id in ids.values()
        ],
    )
    for email in ids:
        outcomes[email] = ImportedPerson(None, True, lists, [], False)
    return outcomes


@dataclass
class Progress:
    processed: int
    imported: int
    updated: int
    rejected: list[dict]
    #: people the import left as they were, by reason (see :data:`SKIP_REASONS`)
    skipped: dict[str, int]

    def values(self) -> dict:
        return {
            "processed_rows": self.processed,
            "imported": self.imported,
            "updated": self.updated,
            "rejected": list(self.rejected),
            "skipped": dict(self.skipped),
        }

    def count(self, outcome: ImportedPerson, existing: str) -> None:
        if outcome.created:
            self.imported += 1
        elif outcome.joined or outcome.details_updated:
            self.updated += 1
        elif existing == ExistingPolicy.SKIP:
            self._skip("existing")
        elif existing == ExistingPolicy.UPDATE:
            self._skip("unchanged")
        elif not outcome.left_herself:
            self._skip("already_subscribed")
        if outcome.left_herself:
            self._skip("left_herself")
        if outcome.other_details:
            self._skip("other_details")

    def _skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def import_rows(
    job: ImportJob,
    batch: list[tuple[int, Person | str]],
    seen: dict[str, int],
    lists: list,
    progress: Progress,
) -> None:
    """The rows of one batch, set-based where it can be (:mod:`newsletter.import_batch`)."""
    rejected: list[dict] = []
    candidates: list[tuple[int, Person]] = []
    for number, person in batch:
        if isinstance(person, str) or seen.setdefault(person.email, number) != number:
            rejected.append(_import_row(job, number, person, seen))
        else:
            candidates.append((number, person))
    found = sort_batch([person for _number, person in candidates])
    evidence = job.consent_evidence or ""
    new = [
        person
        for _number, person in candidates
        if evidence and person.email not in found.known | found.suppressed
    ]
    outcomes: dict = {}
    if new:
        try:
            with db.session.begin_nested():
                outcomes = insert_new_people(new, lists=lists, evidence=evidence)
        except sa.exc.IntegrityError:  # a sign-up added one meanwhile: one by one
            outcomes = {}
    existing = job.existing or ExistingPolicy.ADD_LISTS
    refused = found.suppressed
    known = [p for _n, p in candidates if p.email in found.known and p.email not in refused]
    if known and existing != ExistingPolicy.SKIP:
        outcomes.update(_settle_known(job, known, lists, evidence, existing))
    for number, person in candidates:
        outcome = outcomes.get(person.email)
        if person.email in found.suppressed:
            outcome = {"row": number, "code": "suppressed", "reason": str(REASONS["suppressed"])}
        elif isinstance(outcome, str):
            outcome = {"row": number, "code": "refused", "reason": outcome}
        elif outcome is None and existing == ExistingPolicy.SKIP and person.email in found.known:
            outcome = ImportedPerson(None, False, [], [], False)
        elif outcome is None:
            outcome = _import_row(job, number, person, seen)
        if isinstance(outcome, dict):
            rejected.append(outcome)
        else:
            progress.count(outcome, existing)
    progress.rejected.extend(sorted(rejected, key=lambda entry: entry["row"]))
    progress.processed += len(batch)


def _settle_known(job: ImportJob, known: list[Person], lists, evidence: str, existing: str):
    """The people subscribed already, in bulk (:mod:`newsletter.import_known`)."""
    return settle_known(
        known,
        load_known([p.email for p in known]),
        lists=lists,
        evidence=evidence,
        existing=existing,
        job_id=job.id,
    )


def _import_row(
    job: ImportJob, number: int, person: Person | str, seen: dict[str, int]
) -> ImportedPerson | dict:
    """What the import did with the person in the row, or the row's rejection."""
    if isinstance(person, str):
        return {"row": number, "code": person, "reason": reason_text({"code": person})}
    first = seen.setdefault(person.email, number)
    if first != number:
        return {
            "row": number,
            "code": "duplicate",
            "first_row": first,
            "reason": str(REASONS["duplicate"]) % {"row": first},
        }
    try:
        with db.session.begin_nested():
            outcome = import_subscriber(
                email=person.email,
                name=person.name,
                organisation=person.organisation,
                list_ids=job.list_ids,
                consent_evidence=job.consent_evidence or None,
                job_id=job.id,
                locale=person.language,
                existing=job.existing or ExistingPolicy.ADD_LISTS,
            )
    except SubscriptionError as exc:
        # import_subscriber checks the suppression list itself; asked only on refusal
        # because that saves a query for every row that goes in.
        if is_suppressed(person.email):
            return {"row": number, "code": "suppressed", "reason": str(REASONS["suppressed"])}
        return {"row": number, "code": "refused", "reason": str(exc)}
    except (sa.exc.IntegrityError, sa.exc.DataError) as exc:
        log.warning("import %s: row %d not stored (%s)", job.id, number, type(exc).__name__)
        return {"row": number, "code": "failed", "reason": str(REASONS["failed"])}
    return outcome
