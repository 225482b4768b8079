"""The tallies a send keeps beside its deliveries: each delivery that went out is
counted once (a stretch recorded again adds nothing), and the progress of a running or
paused issue, the dashboard and the issues' table read them, agreeing with the rows."""

from __future__ import annotations

import sqlalchemy as sa

from tests.newsletter.conftest import add_confirmed, fresh_issue, send_now


def _exact_sent(issue_id: int) -> int:
    from kkp.extensions import db
    from kkp.mail.models import Delivery

    return db.session.scalar(
        sa.select(sa.func.count()).where(Delivery.issue_id == issue_id, Delivery.status == "sent")
    )


def _ids(issue_id: int) -> list[int]:
    from kkp.extensions import db
    from kkp.mail.models import Delivery

    return db.session.scalars(
        sa.select(Delivery.id).where(Delivery.issue_id == issue_id).order_by(Delivery.id)
    ).all()


def test_a_half_sent_issue_shows_the_rows_counts(app, ctx, lists, compose, mail):
    from kkp.extensions import db
    from newsletter import dashboard, issue_table, sending
    from newsletter.models import IssueTally

    add_confirmed([lists["kkp-kompakt"]], 20)
    issue_id = compose()
    send_now(issue_id)
    assert sending.write_batch(issue_id) == "written"
    ids = _ids(issue_id)
    sending.send_chunk(issue_id, ids[0], ids[11])  # 12 of 20
    assert len(mail.wait_for(12)) == 12

    issue = fresh_issue(issue_id)
    shown = sending.progress(issue)
    assert (shown["sent"], shown["total"], shown["left"], shown["pending"]) == (12, 20, 8, 8)
    assert _exact_sent(issue_id) == 12
    assert db.session.scalar(sa.select(sa.func.sum(IssueTally.sent))) == 12
    (running,) = dashboard.running_sends()
    assert (running.sent, running.total, running.failed) == (12, 20, 0)
    assert issue_table.sent_counts([issue]) == {issue_id: 12}

    sending.send_chunk(issue_id, ids[12], ids[-1])
    issue = fresh_issue(issue_id)
    assert issue.status == "sent"
    shown = sending.progress(issue)  # finished: counted row by row
    assert (shown["sent"], shown["left"]) == (20, 0)
    assert issue_table.sent_counts([issue]) == {issue_id: 20}
    assert db.session.scalar(sa.select(sa.func.sum(IssueTally.sent))) == 20


def test_a_stretch_recorded_again_counts_nothing_twice(app, ctx, lists, compose, mail):
    """After the database was gone a moment, a chunk writes its stretch again
    (`_patiently`): what went out then is counted once."""
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import IssueTally
    from newsletter.sending.stretches import Stretch, record

    add_confirmed([lists["kkp-kompakt"]], 6)
    issue_id = compose()
    send_now(issue_id)
    sending.write_batch(issue_id)
    ids = _ids(issue_id)
    sending.send_chunk(issue_id, ids[0], ids[-1])
    assert db.session.scalar(sa.select(sa.func.sum(IssueTally.sent))) == 6

    again = Stretch({i: 1 for i in ids}, ids[0])
    again.sent = [(i, f"<{i}.{issue_id}.0@kkp.test>") for i in ids]
    record(issue_id, again)
    assert db.session.scalar(sa.select(sa.func.sum(IssueTally.sent))) == 6
    assert _exact_sent(issue_id) == 6


def test_the_rate_reads_a_short_span_once_the_send_is_fast(app, ctx, lists, compose, monkeypatch):
    """The progress's rate counts the last ten seconds when they hold enough to be
    steady, half a minute otherwise, and never more than the send has run."""
    import importlib
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from newsletter import sending

    progress = importlib.import_module("newsletter.sending.progress")

    add_confirmed([lists["kkp-kompakt"]], 20)
    issue_id = compose()
    send_now(issue_id)
    assert sending.write_batch(issue_id) == "written"
    ids = _ids(issue_id)
    now = utcnow()
    for ago, chosen in ((5, ids[:12]), (20, ids[12:])):
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_(chosen))
            .values(status="sent", sent_at=now - timedelta(seconds=ago))
        )
    db.session.commit()
    issue = fresh_issue(issue_id)
    issue.started_at = now - timedelta(minutes=1)
    db.session.commit()

    monkeypatch.setattr(progress, "STEADY", 12)
    assert progress.recent_rate(issue, now) == 12 / 10
    monkeypatch.setattr(progress, "STEADY", 13)
    assert progress.recent_rate(issue, now) == 20 / 30
    issue.started_at = now - timedelta(seconds=25)
    assert progress.recent_rate(issue, now) == 20 / 25
    assert issue.status == "sending" and sending.progress(issue)["rate"] == 0.8
