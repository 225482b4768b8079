"""A mail server that takes the message but whose answer never comes (content
scanning past the client's timeout, a connection cut after the final dot): the message
may have arrived, so it is neither sent again on a new connection nor retried later; it
is shown as interrupted."""

from __future__ import annotations

import asyncio
import threading

import pytest
import sqlalchemy as sa

from tests.newsletter.conftest import add_confirmed, relay


class SlowAnswer:
    """Keeps every message, then answers after `delay` seconds."""

    def __init__(self, delay: float):
        self.delay = delay
        self.received: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append(envelope.rcpt_tos[0])
        await asyncio.sleep(self.delay)
        return "250 queued"


@pytest.fixture
def slow_relay(app):
    with relay(app, SlowAnswer(delay=1.5), query="?timeout=0.5") as handler:
        yield handler


def _status(delivery_id: int):
    from kkp.extensions import db
    from kkp.mail.models import Delivery

    db.session.rollback()
    row = db.session.get(Delivery, delivery_id)
    db.session.refresh(row)
    return row


def test_an_issue_delivery_whose_answer_was_lost_is_not_sent_again(
    app, ctx, lists, compose, slow_relay
):
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.reasons import INTERRUPTED
    from newsletter import sending
    from newsletter.models import Issue

    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    sending.start_sending(db.session.get(Issue, issue_id))
    db.session.commit()
    sending.write_batch(issue_id)
    delivery_id = db.session.scalar(sa.select(Delivery.id).where(Delivery.issue_id == issue_id))
    for _ in range(3):  # the chunk, its retries, the sweeper: none sends it again
        try:
            sending.send_chunk(issue_id, delivery_id, delivery_id)
        except sending.RetryLater:
            pass
        sending.sweep(stale_minutes=0)
    row = _status(delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith(INTERRUPTED)
    assert slow_relay.received == ["person0@example.org"]


def test_a_single_mail_whose_answer_was_lost_is_not_sent_again(app, ctx, compose, slow_relay):
    from kkp.extensions import db
    from kkp.mail.operations import deliver, queue_delivery, sweep_stale
    from kkp.mail.reasons import INTERRUPTED
    from newsletter.models import DeliveryKind

    delivery_id = queue_delivery(
        DeliveryKind.ISSUE_TEST, "redaktion@example.org", params={"issue_id": compose()}
    ).id
    db.session.commit()
    for _ in range(3):
        assert deliver(delivery_id) in ("failed", "skipped")
        sweep_stale()
    row = _status(delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error.startswith(INTERRUPTED)
    assert slow_relay.received == ["redaktion@example.org"]
