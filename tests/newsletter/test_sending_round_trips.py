"""The waits of a send: SQL statements and commits per chunk stay few (a stretch costs
two statements, neither the issue's row nor its rendered mail is read per chunk), and
a relay that offers PIPELINING gets every message once, a refused recipient failing."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from kkp.mail.models import Delivery
from tests.newsletter.conftest import add_confirmed, fresh_issue, relay, send_now
from tests.newsletter.test_sending_faults import _deliveries

#: recipients of the measured send, all in one chunk of three stretches (of 100)
RECIPIENTS = 300


class Counted:
    """Statements and commits of the worker's threads (not the test's own)."""

    def __init__(self):
        self.test_thread = threading.get_ident()
        self.statements: list[str] = []
        self.commits = 0
        self.lock = threading.Lock()

    def statement(self, conn, cursor, statement, parameters, context, executemany):
        if threading.get_ident() != self.test_thread:
            with self.lock:
                self.statements.append(" ".join(statement.split())[:80])

    def commit(self, conn):
        if threading.get_ident() != self.test_thread:
            with self.lock:
                self.commits += 1


def _wait_for(what, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "the issue was not sent in time"
        time.sleep(0.05)


def test_a_chunk_takes_few_statements_and_commits(app, ctx, lists, compose, mail, worker, drain):
    from kkp.extensions import db
    from newsletter.sending import STATUS_CHECK_EVERY

    saved = app.config["KKP_ISSUE_CHUNK_SIZE"]
    app.config["KKP_ISSUE_CHUNK_SIZE"] = RECIPIENTS
    counted = Counted()
    try:
        add_confirmed([lists["kkp-kompakt"]], RECIPIENTS)
        issue_id = compose()
        sa.event.listen(db.engine, "before_cursor_execute", counted.statement)
        sa.event.listen(db.engine, "commit", counted.commit)
        try:
            send_now(issue_id)
            mail.wait_for(RECIPIENTS)
            _wait_for(lambda: fresh_issue(issue_id).status == "sent")
            drain()
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", counted.statement)
            sa.event.remove(db.engine, "commit", counted.commit)
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = saved
    assert Counter(m["to"][0] for m in mail.messages).most_common(1)[0][1] == 1
    stretches = -(-RECIPIENTS // STATUS_CHECK_EVERY)
    assert stretches == 3
    # the batch writer: 5 or 6; the chunk: its claim, the rendered mail and the lists
    # (once per process), people, suppressions, one per stretch (recorded and the next
    # marked together when all of it went out), the last record, finished; and what
    # each recorded stretch sent added to the chunk's tally
    shown = "\n".join(counted.statements)
    assert len(counted.statements) <= 6 + 5 + stretches + 2 + stretches, shown
    assert sum("issue_tally" in s for s in counted.statements) == stretches, shown
    assert not [s for s in counted.statements if s.startswith("SELECT issue.id, issue.number")][
        1:
    ], shown
    # a commit per stretch, the last record's and the finish's apart (two chunks ending
    # at once would miss each other's rows in one transaction); the batch writer's two
    assert counted.commits <= stretches + 2 + 3, shown


class PipeliningSink:
    """Offers PIPELINING as Postfix does; refuses recipients named `reject…` at RCPT."""

    def __init__(self):
        self.received: list[str] = []
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("reject"):
            return "550 5.1.1 User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.extend(envelope.rcpt_tos)
        return "250 OK"


def test_a_pipelined_send_fails_the_refused_and_sends_the_rest_once(
    app, ctx, lists, compose, worker, drain
):
    from kkp.extensions import db
    from newsletter.models import Subscriber

    ids = add_confirmed([lists["kkp-kompakt"]], 12)
    for n, subscriber_id in enumerate(ids[2::5]):
        db.session.execute(
            sa.update(Subscriber)
            .where(Subscriber.id == subscriber_id)
            .values(email=f"reject{n}@example.org")
        )
    db.session.commit()
    with relay(app, PipeliningSink()) as sink:
        issue_id = compose()
        send_now(issue_id)
        _wait_for(lambda: fresh_issue(issue_id).status == "sent")
        drain()
    assert sorted(sink.received) == sorted(
        f"person{n}@example.org" for n in range(12) if n % 5 != 2
    )
    outcome = {d.recipient: (d.status, d.attempts, d.last_error) for d in _deliveries(issue_id)}
    for n in range(2):
        assert outcome[f"reject{n}@example.org"] == ("failed", 1, "550 5.1.1 User unknown")
    assert Counter(status for status, _, _ in outcome.values()) == {"sent": 10, "failed": 2}


@pytest.mark.postgresql_only
def test_a_chunk_does_not_wait_for_the_batch_writer(app, ctx, lists, compose, mail):
    """The batch writer holds the issue row while it writes a batch (at a million
    subscribers, many batches). A chunk that claims and marks its deliveries checks the
    issue's key (FOR KEY SHARE, since the rows changed earlier in its transaction): with
    the writer's FOR NO KEY UPDATE it goes on at once; FOR UPDATE held it up."""
    from kkp.extensions import db
    from newsletter import sending

    add_confirmed([lists["kkp-kompakt"]], 20)
    issue_id = compose()
    send_now(issue_id)
    taken: list[str] = []

    def writer_lock(conn, cursor, statement, parameters, context, executemany):
        if "FROM issue" in statement and " FOR " in statement:
            taken.append(statement[statement.index(" FOR ") :].strip())

    sa.event.listen(db.engine, "before_cursor_execute", writer_lock)
    try:
        assert sending.write_batch(issue_id) == "written"
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", writer_lock)
    assert taken == ["FOR NO KEY UPDATE SKIP LOCKED"]
    ids = db.session.scalars(
        sa.select(Delivery.id).where(Delivery.issue_id == issue_id).order_by(Delivery.id)
    ).all()
    first, last = ids[0], ids[9]  # half of them: the issue is not finished by this chunk
    db.session.commit()
    with db.engine.connect() as writer:  # the writer, busy with the next batch
        writer.execute(
            sa.text("SELECT id FROM issue WHERE id = :i FOR NO KEY UPDATE"), {"i": issue_id}
        )
        db.session.execute(sa.text("SET lock_timeout = '3s'"))
        counts = sending.send_chunk(issue_id, first, last)
        writer.rollback()
    assert counts.sent == 10
    assert Counter(d.status for d in _deliveries(issue_id)) == {"sent": 10, "queued": 10}
    assert len(mail.wait_for(10)) == 10
