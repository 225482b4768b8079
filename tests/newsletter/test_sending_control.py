"""The editor's controls over a running issue, on the real path (Dramatiq on Redis, an
SMTP server, SQLite or PostgreSQL): pause, resume, cancel, a schedule that comes due,
batch writers that run twice, people who leave while the issue goes out."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.newsletter.conftest import add_confirmed, fresh_issue, send_now
from tests.newsletter.test_sending_faults import (
    _deliveries,
    _statuses,
    _wait,
    _wait_sent,
)


def _slowly(envelope):
    """The server takes 10 ms per message (it blocks its own loop: one at a time)."""
    time.sleep(0.01)
    return None


def _settled(mail, drain) -> int:
    """Wait until every queue is empty and the worker idle (nothing left that could
    send); return how many mails arrived in all."""
    drain()
    return len(mail.messages)


def _everyone_once(mail, expected: set[str]) -> None:
    received = Counter(m["to"][0] for m in mail.messages)
    assert set(received) == expected, set(received) ^ expected
    twice = [address for address, n in received.items() if n > 1]
    assert not twice, f"got it twice: {twice}"


@pytest.fixture
def start_worker(broker):
    """A worker started when the test says so (the `worker` fixture starts at once)."""
    from dramatiq import Worker

    started = []

    def start(threads: int = 2):
        w = Worker(broker, worker_threads=threads, worker_timeout=50)
        w.start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop(timeout=10_000)


@pytest.fixture
def small_chunks(app):
    def set_sizes(chunk: int, batch: int = 1000):
        app.config["KKP_ISSUE_CHUNK_SIZE"] = chunk
        app.config["KKP_ISSUE_BATCH_SIZE"] = batch

    yield set_sizes
    app.config["KKP_ISSUE_CHUNK_SIZE"] = 100
    app.config["KKP_ISSUE_BATCH_SIZE"] = 1000


# -- pause, resume, cancel -----------------------------------------------------------------


def test_pause_stops_within_a_chunk_and_resume_sends_the_rest_once(
    app, ctx, lists, compose, mail, worker, drain, small_chunks
):
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.issues import IssueError

    chunk, threads, total = 10, worker.worker_threads, 300
    small_chunks(chunk, batch=50)
    add_confirmed([lists["kkp-kompakt"]], total)
    issue_id = compose()
    mail.answer = _slowly
    send_now(issue_id)
    _wait(lambda: len(mail.messages) >= 60, 30, "the first mails", interval=0.01)

    sending.pause(fresh_issue(issue_id), reason="Tippfehler im Titel")
    db.session.commit()
    at_pause = len(mail.messages)
    after_pause = _settled(mail, drain) - at_pause
    print(f"\npaused at {at_pause} of {total}; {after_pause} more arrived after the pause")
    assert after_pause <= chunk * threads
    assert at_pause + after_pause < total

    drain()  # whatever was left to run has run
    sent = len(mail.messages)
    assert sent == at_pause + after_pause, "mail went on after the pause"
    issue = fresh_issue(issue_id)
    assert issue.status == "paused" and issue.pause_reason == "Tippfehler im Titel"
    statuses = _statuses(issue_id)
    assert statuses["sent"] == sent and statuses["sending"] == 0 and statuses["failed"] == 0
    progress = sending.progress(issue)
    assert (progress["status"], progress["sent"], progress["total"]) == ("paused", sent, total)
    assert progress["left"] == total - sent and progress["rate"] == 0
    with pytest.raises(IssueError):
        sending.pause(issue)

    sending.resume(issue)
    db.session.commit()
    _wait_sent(issue_id, 60)
    _everyone_once(mail, {f"person{i}@example.org" for i in range(total)})
    assert _statuses(issue_id) == Counter({"sent": total})
    assert fresh_issue(issue_id).pause_reason is None


def test_cancel_stops_for_good(app, ctx, lists, compose, mail, worker, drain, small_chunks):
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.issues import IssueError

    # chunks larger than the status check interval: a chunk in flight stops midway
    chunk, threads, total = 50, worker.worker_threads, 300
    small_chunks(chunk)
    add_confirmed([lists["kkp-kompakt"]], total)
    issue_id = compose()
    mail.answer = _slowly
    send_now(issue_id)
    _wait(lambda: len(mail.messages) >= 30, 30, "the first mails", interval=0.01)

    cancelled = sending.cancel(fresh_issue(issue_id))
    db.session.commit()
    at_cancel = len(mail.messages)
    after_cancel = _settled(mail, drain) - at_cancel
    print(f"\ncancelled at {at_cancel} of {total}; {after_cancel} more arrived after")
    assert cancelled > 0
    assert after_cancel <= chunk * threads

    sent = len(mail.messages)
    issue = fresh_issue(issue_id)
    assert issue.status == "cancelled" and issue.finished_at is not None
    statuses = _statuses(issue_id)
    assert set(statuses) == {"sent", "cancelled"}, statuses
    assert statuses["sent"] == sent and statuses["cancelled"] == total - sent
    progress = sending.progress(issue)
    assert progress["status"] == "cancelled"
    assert (progress["sent"], progress["cancelled"]) == (sent, total - sent)
    assert progress["pending"] == 0 and progress["left"] == 0

    with pytest.raises(IssueError):
        sending.resume(issue)
    with pytest.raises(IssueError):
        sending.cancel(issue)
    db.session.rollback()
    assert sending.sweep(stale_minutes=0) == 0
    db.session.commit()
    drain()
    assert len(mail.messages) == sent, "mail went out after the cancel"
    assert fresh_issue(issue_id).status == "cancelled"
    received = Counter(m["to"][0] for m in mail.messages)
    assert set(received.values()) == {1}


# -- a schedule that comes due -------------------------------------------------------------


def test_a_scheduled_issue_starts_when_the_tick_finds_it_due(
    app, ctx, lists, compose, mail, worker, drain
):
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue
    from service.schedule import run_due

    add_confirmed([lists["kkp-kompakt"]], 12)
    issue_id = compose()
    assert sending.schedule(fresh_issue(issue_id), utcnow() + timedelta(hours=2)) == 12
    db.session.commit()
    run_due()
    issue = fresh_issue(issue_id)
    assert issue.status == "scheduled" and _deliveries(issue_id) == []

    db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue_id)
        .values(scheduled_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    run_due()
    run_due()  # a second tick (or a second clock) starts nothing twice
    assert fresh_issue(issue_id).status in ("sending", "sent")
    _wait_sent(issue_id, 30)
    drain()
    _everyone_once(mail, {f"person{i}@example.org" for i in range(12)})
    issue = fresh_issue(issue_id)
    assert issue.started_at is not None and issue.finished_at >= issue.started_at


def test_a_scheduled_issue_that_cannot_start_pauses_with_the_reason(
    app, ctx, lists, compose, mail, worker, drain
):
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue, Subscription
    from service.schedule import run_due

    add_confirmed([lists["kkp-kompakt"]], 2)
    issue_id = compose()
    sending.schedule(fresh_issue(issue_id), utcnow() + timedelta(hours=2))
    db.session.commit()
    db.session.execute(sa.delete(Subscription))  # everybody left meanwhile
    db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue_id)
        .values(scheduled_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    run_due()
    issue = fresh_issue(issue_id)
    assert issue.status == "paused"
    assert issue.pause_reason  # the editor reads why
    assert _deliveries(issue_id) == []
    drain()
    assert mail.messages == []


# -- the batch writer twice ----------------------------------------------------------------


def test_batch_writers_running_at_once_write_each_delivery_once(
    app, ctx, lists, compose, mail, start_worker, small_chunks
):
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from newsletter import sending
    from newsletter.tasks import write_issue_batch

    total = 120
    small_chunks(10, batch=25)
    add_confirmed([lists["kkp-kompakt"]], total)
    issue_id = compose()
    send_now(issue_id)  # enqueues the batch writer; no worker runs yet
    write_issue_batch.send_now(issue_id)  # ... and once more, by mistake

    results: list[str] = []
    errors: list[str] = []
    barrier = threading.Barrier(4)

    def writer():
        with app.app_context():
            barrier.wait()
            for _ in range(200):
                try:
                    results.append(sending.write_batch(issue_id))
                except sa.exc.OperationalError as exc:  # SQLite: locked; Dramatiq retries
                    db.session.rollback()
                    errors.append(str(exc)[:200])
                issue = fresh_issue(issue_id)
                if issue.last_subscriber_id >= issue.max_subscriber_id:
                    break
                time.sleep(0.005)
            db.session.remove()

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    print(f"\nwriters: {Counter(results)}, errors: {len(errors)}")
    assert results.count("written") >= total // 25

    rows = _deliveries(issue_id)
    subscribers = db.session.scalars(
        sa.select(Delivery.subscriber_id).where(Delivery.issue_id == issue_id)
    ).all()
    assert len(rows) == total and len(set(subscribers)) == total
    assert {r.status for r in rows} == {"queued"}

    # the unique index holds even against a writer that skips every check
    with pytest.raises(sa.exc.IntegrityError):
        with db.session.begin_nested():
            db.session.add(
                Delivery(
                    kind="issue",
                    issue_id=issue_id,
                    subscriber_id=subscribers[0],
                    recipient="person0@example.org",
                )
            )
    db.session.rollback()

    start_worker()
    _wait_sent(issue_id, 60)
    time.sleep(0.5)
    _everyone_once(mail, {f"person{i}@example.org" for i in range(total)})
    assert len(_deliveries(issue_id)) == total


# -- people who leave, people who never confirmed ------------------------------------------


def test_who_leaves_after_the_batch_was_written_gets_nothing(
    app, ctx, lists, compose, mail, start_worker
):
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Subscriber
    from newsletter.operations import unsubscribe

    add_confirmed([lists["kkp-kompakt"]], 10)
    add_confirmed([lists["kkp-kompakt"], lists["netzwerktreffen"]], 2, start=100)
    issue_id = compose()
    send_now(issue_id)
    assert sending.write_batch(issue_id) == "written"  # rows written, chunks enqueued
    assert _statuses(issue_id) == Counter({"queued": 12})

    def subscriber(email):
        return db.session.scalar(sa.select(Subscriber).where(Subscriber.email == email))

    unsubscribe(subscriber("person0@example.org"))  # everything: deleted, suppressed
    # leaves the issue's list, stays on another one
    unsubscribe(subscriber("person100@example.org"), list_id=lists["kkp-kompakt"])
    db.session.commit()

    start_worker()
    _wait_sent(issue_id, 30)
    time.sleep(0.5)
    expected = {f"person{i}@example.org" for i in [*range(1, 10), 101]}
    _everyone_once(mail, expected)
    statuses = _statuses(issue_id)
    assert statuses == Counter({"sent": 10, "cancelled": 2})
    progress = sending.progress(fresh_issue(issue_id))
    assert (progress["sent"], progress["cancelled"], progress["left"]) == (10, 2, 0)


def test_pending_suppressed_and_unconfirmed_lists_never_receive(
    app, ctx, lists, compose, mail, worker, drain
):
    from kkp.extensions import db
    from newsletter.models import Subscriber, Subscription
    from newsletter.operations import add_subscriber, unsubscribe
    from people.addresses import SubscriptionError

    kkp = lists["kkp-kompakt"]
    add_confirmed([kkp], 3)
    add_confirmed([kkp], 2, start=50, status="pending")
    # confirmed on another list, asked for this one and has not confirmed it yet
    (other,) = add_confirmed([lists["fortbildungen"]], 1, start=70)
    db.session.add(Subscription(subscriber_id=other, list_id=kkp, status="pending"))
    (gone,) = add_confirmed([kkp], 1, start=90)
    unsubscribe(db.session.get(Subscriber, gone))
    db.session.commit()
    with pytest.raises(SubscriptionError):
        add_subscriber(email="person90@example.org", list_ids=[kkp], consent_evidence="Anruf")
    db.session.rollback()

    issue_id = compose()
    assert send_now(issue_id) == 3
    _wait_sent(issue_id, 30)
    drain()
    _everyone_once(mail, {f"person{i}@example.org" for i in range(3)})
    assert len(_deliveries(issue_id)) == 3


@pytest.mark.postgresql_only
def test_a_locked_issue_row_delays_the_batch_writer_without_stopping_it(
    app, ctx, lists, compose, mail, broker
):
    """FOR UPDATE SKIP LOCKED: while someone holds the issue row, the batch writer
    does not wait in a worker thread; it looks again shortly, and the send completes."""
    from dramatiq import Worker

    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue

    add_confirmed([lists["kkp-kompakt"]], 30)
    issue_id = compose()
    sending.start_sending(db.session.get(Issue, issue_id))
    db.session.commit()  # the batch writer is enqueued; no worker runs yet
    worker = Worker(broker, worker_threads=2, worker_timeout=50)
    with db.engine.connect() as other:
        other.execute(sa.text("SELECT id FROM issue WHERE id = :i FOR UPDATE"), {"i": issue_id})
        worker.start()
        try:
            time.sleep(1.5)  # the writer finds the row locked, several times
            assert mail.messages == []
            other.rollback()
            mail.wait_for(30)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                db.session.rollback()
                db.session.expire_all()
                if db.session.get(Issue, issue_id).status == "sent":
                    break
                time.sleep(0.1)
        finally:
            worker.join()
            worker.stop(timeout=10_000)
    assert db.session.get(Issue, issue_id).status == "sent"
    assert len(mail.messages) == 30
