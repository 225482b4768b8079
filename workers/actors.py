"""The actors: each takes ids, loads its rows again and does nothing twice."""

from __future__ import annotations

import logging

from workers.broker import task

log = logging.getLogger(__name__)


@task(max_retries=7, min_backoff=5_000, max_backoff=600_000, queue_name="mail")
def send_delivery(delivery_id: int) -> None:
    from kkp.mail.operations import deliver

    deliver(delivery_id)


@task(max_retries=0)
def scheduler_tick() -> None:
    """Claim and run what is due; enqueued once a minute by the clock."""
    from kkp.schedule import run_due

    run_due()


@task(max_retries=3, time_limit=3_600_000)
def run_import(job_id: int) -> None:
    from newsletter.importer import run_import_job

    run_import_job(job_id)


@task(max_retries=0)
def import_failed(message_data: dict, exception_data: dict) -> None:
    """`run_import` gave up after its retries: say so on the job instead of "running"."""
    from newsletter.importer import give_up

    give_up(message_data["args"][0], exception_data.get("type", "error"))


@task(max_retries=20, min_backoff=1_000, max_backoff=300_000, queue_name="bulk")
def write_issue_batch(issue_id: int, cursor: int | None = None) -> None:
    """Write the next batch of an issue's delivery rows (and enqueue their chunks)."""
    from newsletter.sending.batches import write_batch

    write_batch(issue_id, cursor)


# Backoff at most a minute: after an outage of the mail server, sending resumes within
# about a minute of its return; after an hour of retries the sweeper takes over.
@task(
    max_retries=60, min_backoff=2_000, max_backoff=60_000, queue_name="bulk", time_limit=1_800_000
)
def send_issue_chunk(issue_id: int, first_id: int, last_id: int) -> None:
    """Send an issue's queued deliveries with ids in [first_id, last_id]."""
    from newsletter.sending.chunks import send_chunk

    send_chunk(issue_id, first_id, last_id)
