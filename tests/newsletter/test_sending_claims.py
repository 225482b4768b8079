"""Each stretch claims its own rows (newsletter.sending.stretches): a claim committed
just before the chunk is stopped gives its rows back untried, and a row of the stretch
that went out is recorded sent, never claimed again, whatever happened to it meanwhile.
Answers stay with their messages across smtplib's own path and an abandoned pipeline."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from tests.conftest import MailSink
from tests.newsletter.conftest import add_confirmed, relay
from tests.newsletter.test_sending_faults import _deliveries


def _start(issue_id: int) -> list[int]:
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from newsletter import sending
    from newsletter.models import Issue

    sending.start_sending(db.session.get(Issue, issue_id))
    db.session.commit()
    sending.write_batch(issue_id)
    return db.session.scalars(
        sa.select(Delivery.id).where(Delivery.issue_id == issue_id).order_by(Delivery.id)
    ).all()


def test_a_claim_committed_before_the_chunk_is_interrupted_goes_back_to_the_queue(
    app, ctx, lists, compose, monkeypatch
):
    """The stretch's claim (mark_submitting) is committed, then the chunk is stopped
    before it hands anything over (a commit whose acknowledgement was lost with the
    database connection, or Dramatiq's time limit landing right after the commit).
    Nothing went to the mail server: the rows must go back to the queue, not be left in
    "submitting" for the sweeper to show as in doubt."""
    from kkp.extensions import db
    from kkp.mail.reasons import INTERRUPTED
    from newsletter import sending
    from newsletter.sending import chunks

    real_mark = chunks.mark_submitting

    def mark_then_lose_the_ack(issue_id, rows, held):
        real_mark(issue_id, rows, held)
        db.session.commit()  # the server committed ...
        raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(chunks, "mark_submitting", mark_then_lose_the_ack)
    add_confirmed([lists["kkp-kompakt"]], 3)
    with relay(app, MailSink()) as sink:
        issue_id = compose()
        ids = _start(issue_id)
        with pytest.raises(sa.exc.OperationalError):
            sending.send_chunk(issue_id, min(ids), max(ids))
        assert sink.messages == []  # nothing was handed over
        after_chunk = Counter((d.status, d.attempts) for d in _deliveries(issue_id))
        sending.sweep(stale_minutes=0)
        after_sweep = [(d.status, (d.last_error or "")[:40]) for d in _deliveries(issue_id)]
    # never tried: back in the queue without counting the attempt
    assert after_chunk == {("queued", 0): 3}, after_chunk
    assert not any(e.startswith(INTERRUPTED) for _, e in after_sweep), after_sweep


def test_answers_stay_aligned_across_the_smtputf8_path_and_an_aborted_pipeline(app, ctx):
    """A deferred answer read before smtplib's own path (SMTPUTF8), and an answer left
    due by an abandoned Pipeline read by the next single send on the connection."""
    from kkp.mail.transport import Pipeline, transport_for
    from tests.newsletter.test_sending_pipelined import JudgingSink

    message = b"Subject: x\r\n\r\nHallo\r\n"
    with relay(app, JudgingSink(), enable_SMTPUTF8=True) as sink:
        transport = transport_for(app)
        pipe = Pipeline(transport)
        pipe.send("a", message, envelope_from="b@kkp.test", recipients=["spam@example.org"])
        pipe.send("b", message, envelope_from="b@kkp.test", recipients=["jörg@example.org"])
        pipe.send("c", message, envelope_from="b@kkp.test", recipients=["busy@example.org"])
        pipe.flush()
        got = [(k, e and str(e)[:3]) for k, e in pipe.take()]
        assert got == [("a", "554"), ("b", None), ("c", "451")]
        # an aborted pipeline leaves an answer due; the next single send is not confused
        pipe = Pipeline(transport)
        pipe.send("d", message, envelope_from="b@kkp.test", recipients=["spam1@example.org"])
        assert (
            transport.send_bytes(message, envelope_from="b@kkp.test", recipients=["ok@example.org"])
            == "250 OK"
        )
        transport.close()
    assert sink.received == ["jörg@example.org", "ok@example.org"]


def test_a_sent_row_found_queued_again_is_recorded_sent_not_claimed(
    app, ctx, lists, compose, monkeypatch
):
    """A row of the stretch that went out but is queued again when the stretch is
    recorded (the sweeper showed a stale chunk's row as interrupted, and the editor
    chose "send those in doubt again") is recorded sent and tallied: the statement that
    records a stretch and claims the next tells them apart by the next one's ids, not
    by status alone."""
    from kkp.extensions import db
    from kkp.mail.models import Delivery, DeliveryStatus
    from newsletter import sending
    from newsletter.sending import chunks
    from newsletter.sending.tally import sent_of

    monkeypatch.setattr(chunks, "STATUS_CHECK_EVERY", 2)
    real_next = chunks.next_stretch

    def requeued_meanwhile(issue_id, stretch, rows):
        first_sent = stretch.sent[0][0]
        db.session.execute(  # sweeper (failed, interrupted) then resend_interrupted
            sa.update(Delivery)
            .where(Delivery.id == first_sent)
            .values(status=DeliveryStatus.QUEUED, last_error=None)
        )
        return real_next(issue_id, stretch, rows)

    monkeypatch.setattr(chunks, "next_stretch", requeued_meanwhile)
    add_confirmed([lists["kkp-kompakt"]], 4)
    with relay(app, MailSink()) as sink:
        issue_id = compose()
        ids = _start(issue_id)
        sending.send_chunk(issue_id, min(ids), max(ids))
        received = len(sink.messages)
    db.session.rollback()
    first = db.session.get(Delivery, ids[0])
    assert received == 4
    assert (first.status, first.attempts) == ("sent", 1), (first.status, first.attempts)
    assert sent_of([issue_id]) == {issue_id: 4}
