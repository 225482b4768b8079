"""The import's batch path (:mod:`newsletter.import_batch`, :mod:`newsletter.import_known`)
against the one-by-one path it replaces: the same file on the same people gives the
same subscribers, lists, consent records, mails and report, with every rule of a
person's own choice; and a batch takes a fixed number of statements."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import current_app

from kkp.extensions import db
from kkp.mail.models import Delivery
from newsletter import import_batch, importer
from newsletter.models import (
    ConsentEvent,
    ImportJob,
    Subscriber,
    Subscription,
    Suppression,
)
from newsletter.operations import suppress

#: people subscribed already, by kind (see :func:`seed`)
KINDS = 8
#: the file of the comparison: people subscribed already, new people
KNOWN, NEW = KINDS + 2, 6


def seed(lists: dict[str, int], known: int) -> None:
    """`known` subscribers in eight kinds of state, and two suppressed addresses."""
    a, b, c = lists["kkp-kompakt"], lists["fortbildungen"], lists["netzwerktreffen"]
    for i in range(known):
        kind = i % KINDS
        pending = kind in (2, 7)
        person = Subscriber(
            email=f"bekannt{i}@example.org",
            name=f"Bekannt {i}",
            organisation="Amt",
            status="pending" if pending else "confirmed",
            locale="de",
        )
        on = {0: [a], 1: [a, b, c], 2: [a], 7: [b, c]}.get(kind, [a])
        for list_id in on:
            person.subscriptions.append(
                Subscription(list_id=list_id, status="pending" if pending else "confirmed")
            )
        if kind in (3, 5):  # left Fortbildungen herself (the ids recorded)
            person.consent_events.append(
                ConsentEvent(
                    action="list_removed",
                    lists=["Fortbildungen"],
                    source="one-click",
                    details={"list_ids": [b]},
                )
            )
        if kind == 4:  # the same, recorded before the ids were
            person.consent_events.append(
                ConsentEvent(action="list_removed", lists=["Fortbildungen"], source="preferences")
            )
        if kind == 5:  # and then somebody typed her address into the form for it
            person.subscriptions.append(Subscription(list_id=b, status="pending"))
        if kind == 6:  # an editor took her off: not her own choice
            person.consent_events.append(
                ConsentEvent(action="list_removed", lists=["Fortbildungen"], source="editor")
            )
        db.session.add(person)
    suppress("weg1@example.org", "unsubscribed")
    suppress("weg2@example.org", "deleted")
    db.session.commit()


def csv_file(known: int, new: int) -> bytes:
    rows = ["E-Mail;Name;Organisation;Sprache"]
    for i in range(known):
        name = f"Bekannt {i}" if i % 3 else f"Anders {i}"
        rows.append(f"Bekannt{i}@Example.org;{name};{'' if i % 2 else 'Stadt'};{'en' * (i % 2)}")
    for i in range(new):
        rows.append(f"neu{i}@example.org;Neu {i};Kreis {i % 7};{'en' if i % 5 == 0 else ''}")
    rows += [
        "weg1@example.org;Weg;;",
        "WEG2@example.org;Weg;;",
        "kaputt;X;;",
        "neu0@example.org;Doppelt;;",
        "bekannt1@example.org;Doppelt;;",
    ]
    return ("\r\n".join(rows) + "\r\n").encode()


def run(lists, editor, content: bytes, *, existing: str, evidence: str) -> int:
    job = ImportJob(
        filename="liste.csv",
        data=content,
        list_ids=[lists["kkp-kompakt"], lists["fortbildungen"], lists["netzwerktreffen"]],
        column_fields=["email", "name", "organisation", "language"],
        consent_evidence=evidence,
        existing=existing,
        editor_id=editor["id"],
        total_rows=content.count(b"\r\n") - 1,
    )
    db.session.add(job)
    db.session.commit()
    importer.run_import_job(job.id)
    return job.id


def snapshot(lists: dict[str, int], job_id: int):
    """Everything the import wrote, without ids and times."""
    db.session.expire_all()
    slugs = {list_id: slug for slug, list_id in lists.items()}
    mails = dict(
        db.session.execute(
            sa.select(Delivery.subscriber_id, sa.func.count()).group_by(Delivery.subscriber_id)
        ).all()
    )
    people = {}
    for s in db.session.scalars(sa.select(Subscriber).order_by(Subscriber.email)):
        people[s.email] = (
            (s.name, s.organisation, s.status, s.source, s.locale, s.confirmed_at is None),
            sorted((slugs[x.list_id], x.status, x.confirmed_at is None) for x in s.subscriptions),
            [
                (
                    e.action,
                    e.source,
                    e.lists,
                    {k: v for k, v in e.details.items() if k != "delivery_id"},
                )
                for e in s.consent_events
            ],
            mails.get(s.id, 0),
        )
    job = db.session.get(ImportJob, job_id)
    report = (job.status, job.imported, job.updated, job.rejected, job.skipped)
    return people, report


def clear() -> None:
    for model in (Delivery, ConsentEvent, Subscription, Subscriber, Suppression, ImportJob):
        db.session.execute(sa.delete(model))
    db.session.commit()


def one_by_one(monkeypatch) -> None:
    """The batch path switched off: every row through ``import_subscriber``."""
    monkeypatch.setattr(import_batch, "insert_new_people", lambda people, **kw: {})
    monkeypatch.setattr(import_batch, "settle_known", lambda people, known, **kw: {})


@pytest.mark.parametrize(
    ("existing", "evidence"),
    [("add_lists", "Fachtag"), ("add_lists", ""), ("update", "Fachtag"), ("skip", "Fachtag")],
)
def test_the_batch_path_does_what_one_by_one_does(
    ctx, lists, editor, monkeypatch, existing, evidence
):
    monkeypatch.setitem(current_app.config, "KKP_IMPORT_BATCH_SIZE", 7)
    content = csv_file(known=KNOWN, new=NEW)
    seed(lists, KNOWN)
    batch = snapshot(lists, run(lists, editor, content, existing=existing, evidence=evidence))
    clear()
    seed(lists, KNOWN)
    with monkeypatch.context() as patched:
        one_by_one(patched)
        single = snapshot(lists, run(lists, editor, content, existing=existing, evidence=evidence))
    # the import job's number differs; everything else must not
    for people in (batch[0], single[0]):
        for _details, _lists, events, _mails in people.values():
            for _action, _source, _names, details in events:
                details.pop("import_job", None)
    assert batch[1] == single[1]
    assert batch[0] == single[0]
    status, imported, updated, rejected, _skipped = batch[1]
    assert status == "done" and imported == NEW
    assert {(r["row"], r["code"]) for r in rejected} == {
        (KNOWN + NEW + 2, "suppressed"),
        (KNOWN + NEW + 3, "suppressed"),
        (KNOWN + NEW + 4, "invalid_email"),
        (KNOWN + NEW + 5, "duplicate"),
        (KNOWN + NEW + 6, "duplicate"),
    }
    if existing == "add_lists" and evidence:
        # a list she left herself stays left, also with a pending sign-up for it
        left = batch[0]["bekannt5@example.org"]
        assert ("fortbildungen", "pending", True) in left[1]
        assert left[2][-1][0] == "import_skipped"


def test_a_batch_takes_a_fixed_number_of_statements(ctx, lists, editor, monkeypatch):
    monkeypatch.setitem(current_app.config, "KKP_IMPORT_BATCH_SIZE", 100)
    seed(lists, 20 * KINDS)
    statements = []

    def counted(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", counted)
    try:
        job_id = run(
            lists, editor, csv_file(known=20 * KINDS, new=140), existing="add_lists", evidence="X"
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counted)
    job = db.session.get(ImportJob, job_id)
    assert (job.status, job.imported, job.processed_rows) == ("done", 140, 305)
    batches = 4
    # one by one would be several statements a person: 160 known, 140 new
    assert len(statements) <= 25 * batches, len(statements)


def test_a_sign_up_during_the_batch_sends_it_one_by_one(ctx, lists, editor, monkeypatch):
    """Somebody signs up between the batch's lookup and its insert: the bulk insert
    fails on her address, and the batch goes one by one instead, once."""
    seed(lists, 1)
    real_sort = import_batch.sort_batch

    def missed_her(people):
        found = real_sort(people)
        found.known.discard("bekannt0@example.org")
        return found

    monkeypatch.setattr(import_batch, "sort_batch", missed_her)
    job_id = run(lists, editor, csv_file(known=1, new=3), existing="add_lists", evidence="X")
    people, (status, imported, updated, _rejected, _skipped) = snapshot(lists, job_id)
    # three new, and the "Doppelt" row for bekannt1, who is new in this file
    assert (status, imported, updated) == ("done", 4, 1)
    assert [(slug, status) for slug, status, _ in people["bekannt0@example.org"][1]] == [
        ("fortbildungen", "confirmed"),
        ("kkp-kompakt", "confirmed"),
        ("netzwerktreffen", "confirmed"),
    ]
    assert len(people) == 5
