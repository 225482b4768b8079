"""Interactive mail has its own lane: its own queue, served by its own processes, so a
confirmation never waits behind a bulk send."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from dramatiq import Worker

from kkp.extensions import db
from kkp.mail.operations import bulk_lane, is_interactive
from kkp.mail.tasks import INTERACTIVE_QUEUE, WORKER_QUEUES
from newsletter.operations import add_subscriber
from newsletter.tasks import send_issue_chunk, write_issue_batch
from tests.newsletter.test_signup_flow import subscribe

ROOT = Path(__file__).resolve().parents[2]


def queued(broker, queue: str) -> int:
    return broker.client.llen(f"{broker.namespace}:{queue}")


def queues_of(argv: list[str]) -> set[str]:
    """What `dramatiq … --queues a b` consumes."""
    return set(argv[argv.index("--queues") + 1 :])


def test_a_confirmation_arrives_while_the_bulk_queue_is_full(client, broker, lists, mail):
    # a send under way: thousands of chunks and the next batch wait, and no bulk
    # worker runs (all of its threads busy, as during a long send)
    for first in range(0, 500 * 250, 250):
        broker.enqueue(send_issue_chunk.message(1, first + 1, first + 250))
    broker.enqueue(write_issue_batch.message(1))
    lane = Worker(broker, queues={INTERACTIVE_QUEUE}, worker_threads=1, worker_timeout=50)
    lane.start()
    try:
        response = subscribe(client, email="eilig@example.org", lists=[lists["kkp-kompakt"]])
        assert response.status_code == 303
        [received] = mail.wait_for(1, timeout=10)
    finally:
        lane.stop(timeout=10_000)
    assert received["to"] == ["eilig@example.org"]
    assert b"/subscribe/confirm/" in received["data"].replace(b"=\r\n", b"")
    assert queued(broker, "bulk") == 501, "the interactive lane took bulk work"


def test_what_is_done_to_many_at_once_stays_off_the_interactive_lane(broker, lists):
    add_subscriber(email="einzeln@example.org", list_ids=[lists["kkp-kompakt"]])
    db.session.commit()
    assert (queued(broker, INTERACTIVE_QUEUE), queued(broker, "mail")) == (1, 0)
    with bulk_lane():  # as an import's confirmation mails
        for n in range(3):
            add_subscriber(email=f"import{n}@example.org", list_ids=[lists["kkp-kompakt"]])
        db.session.commit()
    assert (queued(broker, INTERACTIVE_QUEUE), queued(broker, "mail")) == (1, 3)
    waited_for = ("subscription_confirmation", "registration_request", "course_request")
    assert all(is_interactive(kind) for kind in waited_for)
    assert not any(is_interactive(kind) for kind in ("event_reminder", "certificate", "issue"))


def test_every_queue_is_served_and_the_interactive_one_alone(app, broker):
    """Procfile and `make run`: the mailer consumes the interactive queue alone, the
    worker every other queue; a new queue nobody serves fails here."""
    from service.devserver.children import commands

    procfile = dict(
        line.split(": ", 1) for line in (ROOT / "Procfile").read_text().splitlines() if line
    )
    # ${WORKER_PROCESSES:-4} -> 4: the command as the shell runs it
    production = {
        name: shlex.split(re.sub(r"\$\{\w+:-(\w+)\}", r"\1", command))
        for name, command in procfile.items()
    }
    for layout in (production, commands(5000, ROOT / "instance")):
        assert queues_of(layout["mailer"]) == {INTERACTIVE_QUEUE}
        assert queues_of(layout["worker"]) == set(WORKER_QUEUES)
    assert broker.get_declared_queues() == {INTERACTIVE_QUEUE, *WORKER_QUEUES}
    assert "nice" not in procfile["mailer"], "the mailer waits behind nobody"
