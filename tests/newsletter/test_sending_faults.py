"""Sending an issue when things go wrong, on the real path (Dramatiq on Redis, an SMTP
server, SQLite or PostgreSQL): a worker killed mid-send, a server that answers 451 now
and then, a server that is gone for a while, recipients the server refuses.

What an editor sees is asserted: who got the issue (and how often), the deliveries'
status and answer, the issue's status and the reason it paused.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests import services
from tests.newsletter.conftest import add_confirmed, fresh_issue, send_now

ROOT = Path(__file__).resolve().parents[2]


# -- helpers -------------------------------------------------------------------------------


def _deliveries(issue_id: int) -> list:
    from kkp.extensions import db
    from kkp.mail.models import Delivery

    db.session.rollback()
    return db.session.execute(
        sa.select(
            Delivery.id,
            Delivery.recipient,
            Delivery.status,
            Delivery.attempts,
            Delivery.last_error,
            Delivery.message_id,
        )
        .where(Delivery.issue_id == issue_id)
        .order_by(Delivery.id)
    ).all()


def _statuses(issue_id: int) -> Counter:
    return Counter(d.status for d in _deliveries(issue_id))


def _wait(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _wait_sent(issue_id: int, timeout: float):
    return _wait(lambda: fresh_issue(issue_id).status == "sent", timeout, "the issue to be sent")


def _rename(ids: list[int], pattern: str) -> list[str]:
    """Give subscribers new addresses, e.g. `reject{n}@example.org`."""
    from kkp.extensions import db
    from newsletter.models import Subscriber

    addresses = []
    for n, subscriber_id in enumerate(ids):
        address = pattern.format(n=n)
        db.session.execute(
            sa.update(Subscriber).where(Subscriber.id == subscriber_id).values(email=address)
        )
        addresses.append(address)
    db.session.commit()
    return addresses


def _addresses(ids: list[int]) -> set[str]:
    from kkp.extensions import db
    from newsletter.models import Subscriber

    return set(db.session.scalars(sa.select(Subscriber.email).where(Subscriber.id.in_(ids))))


@contextmanager
def configured(app, **values):
    """Change the app's config for a while; the mail transport is made again after."""
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    app.extensions.pop("kkp_transport", None)
    try:
        yield
    finally:
        app.config.update(saved)
        app.extensions.pop("kkp_transport", None)


# -- 1. a worker killed in the middle of sending --------------------------------------------


class WorkerProcess:
    """`python -m dramatiq workers.app` as a child process, on the test app's database,
    broker namespace and SMTP server."""

    def __init__(self, app, log_file: Path):
        self.app = app
        self.log_file = log_file
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict[str, str]:
        config = self.app.config
        env = {k: v for k, v in os.environ.items() if not k.startswith(("KKP_", "dramatiq_"))}
        env.update(
            KKP_INSTANCE_PATH=config["KKP_INSTANCE_PATH"],
            KKP_DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
            KKP_BROKER_URL=config["KKP_BROKER_URL"],
            KKP_BROKER_NAMESPACE=config["KKP_BROKER_NAMESPACE"],
            KKP_SMTP_URL=config["KKP_SMTP_URL"],
            KKP_BASE_URL=config["KKP_BASE_URL"],
            KKP_MAIL_FROM=config["KKP_MAIL_FROM"],
            KKP_SECRET_KEY=config["SECRET_KEY"],
            KKP_RATELIMIT_STORAGE_URL="memory://",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self) -> None:
        log = self.log_file.open("a")
        log.write(f"\n----- worker started at {time.strftime('%H:%M:%S')} -----\n")
        log.flush()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dramatiq", "workers.app", "--processes", "1", "--threads", "2"],
            cwd=ROOT,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the CLI and its worker
        )
        log.close()

    def kill(self) -> None:
        """SIGKILL to the whole group, as a machine that dies: no cleanup at all."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def output(self) -> str:
        return self.log_file.read_text(errors="replace")[-4000:]


@pytest.mark.once_in_postgresql  # long; production runs PostgreSQL
def test_a_worker_killed_mid_send_sends_nobody_twice_and_shows_who_is_in_doubt(
    app, ctx, lists, compose, mail, tmp_path
):
    """What the dead worker had handed to the mail server is never handed out again;
    what it had not begun goes out after the sweeper; the stretch it was in the middle
    of is shown as interrupted (each may or may not have arrived)."""
    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.reasons import INTERRUPTED
    from newsletter import sending

    total = 600
    add_confirmed([lists["kkp-kompakt"]], total)
    issue_id = compose()
    worker = WorkerProcess(app, tmp_path / "worker.log")
    worker.start()
    try:
        assert send_now(issue_id) == total
        _wait(  # a third, and not at a chunk's end
            lambda: len(mail.messages) >= total // 3 + 30,
            60,
            "a third of the mail to arrive",
            interval=0.01,
        )
        worker.kill()
        arrived_at_kill = len(mail.messages)
        statuses = _statuses(issue_id)
        in_doubt = statuses["submitting"]
        print(f"\nkilled after {arrived_at_kill} of {total}; in flight: {dict(statuses)}")
        assert arrived_at_kill < total, "too late: everything was sent before the kill"
        assert fresh_issue(issue_id).status == "sending"
        # at most one stretch per worker thread (the worker has two) is in doubt
        assert in_doubt <= 2 * sending.STATUS_CHECK_EVERY

        # Time passes beyond KKP_DELIVERY_STALE_MINUTES: what the dead worker held (rows
        # in flight, and chunk messages it had fetched) is now stale.
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.issue_id == issue_id, Delivery.status.in_(("queued", "sending")))
            .values(updated_at=utcnow() - timedelta(hours=1))
        )
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.issue_id == issue_id, Delivery.status == "submitting")
            .values(updated_at=utcnow() - timedelta(hours=1))
        )
        db.session.commit()

        worker.start()
        chunks = sending.sweep(stale_minutes=5)  # the scheduler's tick does this
        db.session.commit()
        assert chunks >= 1
        try:
            _wait_sent(issue_id, 90)
        except AssertionError:
            pytest.fail(
                f"not finished: {dict(_statuses(issue_id))}, {len(mail.messages)} mails\n"
                + worker.output()
            )
    finally:
        worker.stop()

    received = Counter(m["to"][0] for m in mail.messages)
    expected = {f"person{i}@example.org" for i in range(total)}
    assert set(received.values()) == {1}, "somebody got the issue twice"
    interrupted = {d.recipient for d in _deliveries(issue_id) if d.status == "failed"}
    assert all(d.last_error == INTERRUPTED for d in _deliveries(issue_id) if d.status == "failed")
    assert len(interrupted) == in_doubt
    # everybody got it, except some of those in doubt (the rest of them did)
    assert expected - set(received) <= interrupted
    assert set(received) <= expected
    print(f"in doubt: {in_doubt}; of them arrived: {len(interrupted & set(received))}")
    assert _statuses(issue_id) == Counter({"sent": total - in_doubt, "failed": in_doubt})
    progress = sending.progress(fresh_issue(issue_id))
    assert (progress["sent"], progress["failed"], progress["left"]) == (
        total - in_doubt,
        in_doubt,
        0,
    )
    assert progress["interrupted"] == in_doubt

    # The editor decides to send to those in doubt again: everybody has the issue then,
    # and only those of them whose copy had arrived have it twice (same Message-ID).
    arrived = len(interrupted & set(received))
    worker.start()
    try:
        assert sending.resend_interrupted(fresh_issue(issue_id)) == in_doubt
        db.session.commit()
        _wait_sent(issue_id, 90)
    finally:
        worker.stop()
    received = Counter(m["to"][0] for m in mail.messages)
    assert set(received) == expected
    assert sum(n - 1 for n in received.values()) == arrived


# -- 2. a server that answers 451 now and then ---------------------------------------------


def test_temporary_refusals_are_retried_until_everyone_has_one_copy(
    app, ctx, lists, compose, mail, worker, quick_retries
):
    from newsletter import sending

    app.config["KKP_ISSUE_CHUNK_SIZE"] = 10
    try:
        add_confirmed([lists["kkp-kompakt"]], 40)
        issue_id = compose()
        calls = itertools.count(1)
        refused: Counter = Counter()

        def every_fifth(envelope):
            if next(calls) % 5 == 0:
                refused[envelope.rcpt_tos[0]] += 1
                return "451 4.3.0 Temporary local problem, please try again"
            return None

        mail.answer = every_fifth
        send_now(issue_id)
        _wait_sent(issue_id, 90)
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100

    received = Counter(m["to"][0] for m in mail.messages)
    assert set(received) == {f"person{i}@example.org" for i in range(40)}
    assert set(received.values()) == {1}, "somebody got two copies"
    assert len(refused) >= 7
    deliveries = _deliveries(issue_id)
    assert {d.status for d in deliveries} == {"sent"}
    for d in deliveries:
        assert d.attempts == 1 + refused[d.recipient], d
        assert d.last_error is None
    assert sum(d.attempts > 1 for d in deliveries) == len(refused)
    progress = sending.progress(fresh_issue(issue_id))
    assert (progress["sent"], progress["failed"], progress["failures"]) == (40, 0, [])


# -- 3. a server that is gone for a while --------------------------------------------------


class HoldingSink:
    """Keeps what it receives; while `hold` is set, a message waits before its answer
    (so that stopping the server then loses it, as a crash would)."""

    def __init__(self):
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        self.hold = False
        #: hold every message once this many have arrived (None: no such limit)
        self.hold_after: int | None = None
        #: a function (address) -> "550 ..." or None, answered at `refuse_at`
        self.refuse = None
        self.refuse_at = "RCPT"

    def _refusal(self, address: str, stage: str) -> str | None:
        if self.refuse is None or self.refuse_at != stage:
            return None
        return self.refuse(address)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self._refusal(address, "RCPT")
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = self._refusal(envelope.rcpt_tos[0], "DATA")
        if answer:
            return answer
        while self.hold or (self.hold_after is not None and self.count() >= self.hold_after):
            await asyncio.sleep(0.05)
        with self.lock:
            self.messages.append({"to": list(envelope.rcpt_tos), "data": envelope.content})
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


@pytest.fixture
def own_server(app):
    """An SMTP server of this test's own, on a fixed port, that the test can stop."""
    sink = HoldingSink()
    port = services.free_port()
    controllers = [Controller(sink, hostname="127.0.0.1", port=port)]
    controllers[0].start()

    def restart():
        controllers.append(Controller(sink, hostname="127.0.0.1", port=port))
        controllers[-1].start()

    with configured(app, KKP_SMTP_URL=f"smtp://127.0.0.1:{port}?timeout=10"):
        yield sink, controllers, restart
    for controller in controllers:
        if controller._thread is not None:
            controller.stop()


#: how long the server is gone; with quick retries (0.1 to 1 s) each chunk tries to
#: reach it several times meanwhile, as it would during a minute of the real backoff
DOWN_SECONDS = 4


def test_an_unreachable_server_delays_sending_without_failing_anyone(
    app, ctx, lists, compose, worker, own_server, quick_retries
):
    """Nobody fails for an unreachable server; sending resumes when it is back. What
    was in DATA when it went (fully handed over, the answer lost) may have arrived: it
    is shown as interrupted, and goes again only when the editor decides so."""
    from kkp.extensions import db
    from kkp.mail.reasons import INTERRUPTED
    from newsletter import sending

    sink, controllers, restart = own_server
    app.config["KKP_ISSUE_CHUNK_SIZE"] = 10
    try:
        add_confirmed([lists["kkp-kompakt"]], 60)
        issue_id = compose()
        sink.hold_after = 15  # what is in DATA after the first 15 is lost with the server
        send_now(issue_id)
        _wait(lambda: sink.count() >= 15, 30, "the first mails")
        time.sleep(0.2)
        controllers[0].stop()
        sink.hold_after = None
        down_since = time.monotonic()
        arrived_before = sink.count()
        print(f"\nserver stopped after {arrived_before} of 60")

        seen_waiting = False
        while time.monotonic() - down_since < DOWN_SECONDS:
            issue = fresh_issue(issue_id)
            statuses = _statuses(issue_id)
            assert issue.status == "sending", (issue.status, issue.pause_reason)
            failed = [d for d in _deliveries(issue_id) if d.status == "failed"]
            assert all(d.last_error.startswith(INTERRUPTED) for d in failed), statuses
            assert len(failed) <= worker.worker_threads, statuses
            progress = sending.progress(issue)
            waiting = [f for f in progress["failures"] if not f["final"]]
            if waiting:
                seen_waiting = True
                assert "connect" in waiting[0]["answer"].lower(), waiting[0]
            time.sleep(0.2)
        assert sink.count() == arrived_before
        assert seen_waiting, "the progress page never said why nothing goes out"

        restart()
        _wait_sent(issue_id, 150)
        back_for = time.monotonic() - down_since - DOWN_SECONDS
        print(f"finished {back_for:.0f} s after the server came back")
        in_doubt = {d.id for d in _deliveries(issue_id) if d.status == "failed"}
        print(f"in doubt: {len(in_doubt)}")
        # the server lost them: the editor sends them again (the progress page offers it)
        if in_doubt:
            assert sending.resend_interrupted(fresh_issue(issue_id)) == len(in_doubt)
            db.session.commit()
            _wait_sent(issue_id, 60)
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100

    received = Counter(m["to"][0] for m in sink.messages)
    assert set(received) == {f"person{i}@example.org" for i in range(60)}
    assert set(received.values()) == {1}, "somebody got two copies"
    deliveries = _deliveries(issue_id)
    assert {d.status for d in deliveries} == {"sent"}
    attempts = {d.attempts for d in deliveries if d.id not in in_doubt}
    assert attempts == {1}, "an unreachable server counted as attempts"
    issue = fresh_issue(issue_id)
    assert issue.consecutive_failures == 0 and issue.pause_reason is None


# -- 4. recipients the server refuses ------------------------------------------------------


@pytest.mark.parametrize("stage", ["RCPT", "DATA"])
def test_refused_recipients_fail_once_and_the_rest_goes_out(
    app, ctx, lists, compose, worker, own_server, stage
):
    from newsletter import sending

    sink, _controllers, _restart = own_server
    answer = "550 5.1.1 Recipient address rejected: User unknown in virtual mailbox table"
    sink.refuse = lambda address: answer if "reject" in address else None
    sink.refuse_at = stage
    app.config["KKP_ISSUE_CHUNK_SIZE"] = 10
    try:
        ids = add_confirmed([lists["kkp-kompakt"]], 30)
        rejected = _rename(ids[3::6], "reject{n}@example.org")
        accepted = _addresses(ids) - set(rejected)
        issue_id = compose()
        send_now(issue_id)
        _wait_sent(issue_id, 60)
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100

    received = Counter(m["to"][0] for m in sink.messages)
    assert set(received) == accepted
    assert set(received.values()) == {1}
    deliveries = _deliveries(issue_id)
    failed = [d for d in deliveries if d.status == "failed"]
    assert {d.recipient for d in failed} == set(rejected)
    for d in failed:
        assert d.attempts == 1, "a permanent refusal was tried again"
        assert d.last_error == answer
    issue = fresh_issue(issue_id)
    assert issue.status == "sent"
    progress = sending.progress(issue)
    assert (progress["sent"], progress["failed"], progress["left"]) == (25, 5, 0)
    shown = {f["recipient"]: f for f in progress["failures"]}
    assert set(shown) == set(rejected)
    assert all(f["final"] and f["answer"] == answer for f in shown.values())


def test_a_server_refusing_everyone_pauses_the_issue_with_its_answer(
    app, ctx, lists, compose, mail, worker, drain
):
    from newsletter import sending

    limit = app.config["KKP_ISSUE_PAUSE_AFTER_FAILURES"]
    chunk, threads = 10, worker.worker_threads
    answer = "550 5.7.1 Service unavailable; client [127.0.0.1] blocked using zen.spamhaus.org"
    mail.answer = lambda envelope: answer
    app.config["KKP_ISSUE_CHUNK_SIZE"] = chunk
    try:
        add_confirmed([lists["kkp-kompakt"]], 100)
        issue_id = compose()
        send_now(issue_id)
        _wait(lambda: fresh_issue(issue_id).status == "paused", 60, "the issue to pause itself")
        drain()
        time.sleep(0.5)
        drain()
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100

    issue = fresh_issue(issue_id)
    assert issue.status == "paused"
    assert answer in issue.pause_reason
    assert str(limit) in issue.pause_reason
    statuses = _statuses(issue_id)
    print(f"\npaused after {statuses['failed']} failures (limit {limit})")
    assert limit <= statuses["failed"] <= limit + chunk * threads
    assert statuses["queued"] == 100 - statuses["failed"], statuses
    assert statuses["sending"] == 0 and statuses["sent"] == 0
    assert mail.messages == []
    progress = sending.progress(issue)
    assert progress["status"] == "paused" and progress["pause_reason"] == issue.pause_reason
    assert progress["failed"] == statuses["failed"] and progress["rate"] == 0

    # The block is lifted and the editor resumes: the rest goes out, once each.
    mail.answer = None
    sending.resume(issue)
    from kkp.extensions import db

    db.session.commit()
    _wait_sent(issue_id, 60)
    received = Counter(m["to"][0] for m in mail.messages)
    sent = {d.recipient for d in _deliveries(issue_id) if d.status == "sent"}
    assert set(received) == sent and set(received.values()) == {1}
    assert len(sent) == 100 - statuses["failed"]
