"""Enqueue after commit, never on rollback; actors run in an app context."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.extensions import db
from kkp.mail.models import Delivery
from newsletter.operations import add_subscriber


def queued(broker, queue="mail"):
    return broker.client.llen(f"{broker.namespace}:{queue}")


def test_nothing_is_enqueued_before_commit_or_after_rollback(broker, lists):
    add_subscriber(email="a@example.org", list_ids=[lists["kkp-kompakt"]])
    db.session.flush()
    assert queued(broker, "interactive") == 0
    db.session.rollback()
    assert queued(broker, "interactive") == 0
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0
    add_subscriber(email="a@example.org", list_ids=[lists["kkp-kompakt"]])
    db.session.commit()
    assert queued(broker, "interactive") == 1


def test_worker_sends_what_was_committed(lists, mail, drain):
    add_subscriber(email="b@example.org", list_ids=[lists["kkp-kompakt"]])
    db.session.commit()
    drain()
    assert len(mail.wait_for(1)) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(Delivery.status)) == "sent"


def test_sweeper_hands_out_stuck_deliveries_again(app, lists, mail, drain):
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.mail.operations import sweep_stale

    add_subscriber(email="c@example.org", list_ids=[lists["kkp-kompakt"]])
    db.session.info.pop("kkp_pending_messages", None)  # as if the enqueue was lost
    db.session.commit()
    old = utcnow() - timedelta(minutes=app.config["KKP_DELIVERY_STALE_MINUTES"] + 1)
    db.session.execute(sa.update(Delivery).values(status="sending", updated_at=old))
    db.session.commit()
    assert sweep_stale() == 1
    drain()
    assert len(mail.wait_for(1)) == 1
    db.session.commit()  # end the transaction: see what the worker wrote
    assert sweep_stale() == 0


def test_savepoints_neither_send_early_nor_drop_too_much(broker, lists):
    from kkp.mail.tasks import send_delivery

    send_delivery.send(1)  # outside any savepoint
    with db.session.begin_nested():
        send_delivery.send(2)  # released savepoint: sent with the real commit
    assert queued(broker) == 0, "sent on a SAVEPOINT release, before the commit"
    try:
        with db.session.begin_nested():
            send_delivery.send(3)
            with db.session.begin_nested():
                send_delivery.send(4)
            raise ValueError("roll this savepoint back")
    except ValueError:
        pass
    assert queued(broker) == 0
    db.session.commit()
    sent = sorted(
        __import__("json").loads(raw)["args"][0]
        for raw in broker.client.hvals(f"{broker.namespace}:mail.msgs")
    )
    assert sent == [1, 2]
    db.session.rollback()


def test_every_actor_is_bound_to_the_function_that_runs_it(broker):
    from kkp.mail.operations import deliver
    from newsletter.sending.batches import write_batch
    from newsletter.sending.chunks import send_chunk
    from service.schedule import run_due

    def runs(name):  # the actor runs the function and drops its result
        return broker.get_actor(name).fn.__wrapped__

    assert runs("send_delivery") is deliver
    assert runs("send_interactive_delivery") is deliver
    assert runs("write_issue_batch") is write_batch
    assert runs("send_issue_chunk") is send_chunk
    assert runs("scheduler_tick") is run_due
    # what the function returns stays with direct callers; Dramatiq gets None, and so
    # no warning per message that nobody stores the result
    from kkp.tasks import _discarding

    assert _discarding(lambda: 42)() is None
    assert {"run_import", "import_failed"} <= broker.get_declared_actors()


def test_an_actor_without_a_function_or_declared_twice_is_refused(broker):
    import pytest

    from kkp import tasks

    lonely = tasks.Task("lonely")
    with pytest.raises(RuntimeError, match="no function runs actor lonely"):
        lonely.bind(broker)
    lonely.runs(len)
    with pytest.raises(RuntimeError, match="runs len already"):
        lonely.runs(abs)
    with pytest.raises(RuntimeError, match="declared twice"):
        tasks.task("send_delivery")
