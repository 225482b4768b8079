"""A send over a mail server that offers PIPELINING: each message's final answer is
read with the next message's commands (kkp.mail.transport.Pipeline). Whatever that
answer says, it lands on the message it belongs to: a refusal of the content fails
that one alone, a temporary one is tried again, a lost one leaves that one in doubt
(never sent again) while the rest go out once."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter

import sqlalchemy as sa

from tests.newsletter.conftest import add_confirmed, relay
from tests.newsletter.test_sending_faults import _deliveries


class JudgingSink:
    """Offers PIPELINING as Postfix does and answers each message after its content:
    `spam…` refused for good, `busy…` refused for now the first time, `slow…` after
    `delay` seconds (past the client's timeout)."""

    def __init__(self, delay: float = 1.5):
        self.delay = delay
        self.received: list[str] = []
        self.busy_once: set[str] = set()
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        (rcpt,) = envelope.rcpt_tos
        if rcpt.startswith("spam"):
            return "554 5.7.1 Message content rejected"
        if rcpt.startswith("busy") and rcpt not in self.busy_once:
            self.busy_once.add(rcpt)
            return "451 4.7.1 Try again later"
        with self.lock:
            self.received.append(rcpt)
        if rcpt.startswith("slow"):
            await asyncio.sleep(self.delay)
        return "250 2.0.0 queued"


def _rename(ids: list[int], names: dict[int, str]) -> None:
    from kkp.extensions import db
    from newsletter.models import Subscriber

    for index, email in names.items():
        db.session.execute(
            sa.update(Subscriber).where(Subscriber.id == ids[index]).values(email=email)
        )
    db.session.commit()


def _send_until_done(issue_id: int, sweep: bool = False) -> None:
    """Run the issue's one chunk as the worker would, its retries too."""
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from newsletter import sending
    from newsletter.models import Issue

    sending.start_sending(db.session.get(Issue, issue_id))
    db.session.commit()
    sending.write_batch(issue_id)
    ids = db.session.scalars(sa.select(Delivery.id).where(Delivery.issue_id == issue_id)).all()
    for _ in range(4):
        try:
            sending.send_chunk(issue_id, min(ids), max(ids))
        except sending.RetryLater:
            continue
        if sweep:
            sending.sweep(stale_minutes=0)
    db.session.rollback()


def test_each_answer_read_with_the_next_message_lands_on_its_own(app, ctx, lists, compose):
    ids = add_confirmed([lists["kkp-kompakt"]], 9)
    _rename(ids, {1: "spam0@example.org", 4: "busy0@example.org", 8: "spam1@example.org"})
    with relay(app, JudgingSink()) as sink:
        issue_id = compose()
        _send_until_done(issue_id)
    outcome = {d.recipient: (d.status, d.attempts, d.last_error) for d in _deliveries(issue_id)}
    refused = ("failed", 1, "554 5.7.1 Message content rejected")
    assert outcome["spam0@example.org"] == refused  # answered with the next message
    assert outcome["spam1@example.org"] == refused  # the last: answered at the flush
    assert outcome["busy0@example.org"][:2] == ("sent", 2)
    others = [f"person{n}@example.org" for n in (0, 2, 3, 5, 6, 7)]
    assert all(outcome[email][:2] == ("sent", 1) for email in others)
    assert Counter(sink.received) == Counter([*others, "busy0@example.org"])


def test_an_answer_lost_with_the_next_message_leaves_only_that_one_in_doubt(
    app, ctx, lists, compose
):
    from kkp.mail.reasons import INTERRUPTED

    ids = add_confirmed([lists["kkp-kompakt"]], 5)
    _rename(ids, {1: "slow0@example.org"})
    with relay(app, JudgingSink(delay=1.5), query="?timeout=0.5") as sink:
        issue_id = compose()
        _send_until_done(issue_id, sweep=True)
    outcome = {d.recipient: d for d in _deliveries(issue_id)}
    slow = outcome["slow0@example.org"]
    assert (slow.status, slow.attempts) == ("failed", 1)
    assert slow.last_error.startswith(INTERRUPTED)
    others = [f"person{n}@example.org" for n in (0, 2, 3, 4)]
    assert all(outcome[email].status == "sent" for email in others)
    # nobody twice: the one in doubt was handed over once, the rest once each
    assert Counter(sink.received) == Counter([*others, "slow0@example.org"])


def test_the_answer_to_a_message_is_read_with_the_next_ones_commands(app, ctx):
    from kkp.mail.transport import Pipeline, transport_for

    message = b"Subject: x\r\n\r\nHallo\r\n"
    with relay(app, JudgingSink()) as sink:
        pipe = Pipeline(transport_for(app))
        pipe.send("a", message, envelope_from="b@kkp.test", recipients=["spam@example.org"])
        assert (pipe.take(), pipe.in_flight) == ([], ["a"])  # handed over, not answered
        pipe.send("b", message, envelope_from="b@kkp.test", recipients=["ok@example.org"])
        ((key, refusal),) = pipe.take()
        assert (key, str(refusal), refusal.permanent) == (
            "a",
            "554 5.7.1 Message content rejected",
            True,
        )
        pipe.flush()
        assert (pipe.take(), pipe.in_flight) == ([("b", None)], [])
        transport_for(app).close()
    assert sink.received == ["ok@example.org"]
