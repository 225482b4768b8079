"""The newsletter's actors; each takes ids, loads its rows again and does nothing twice.

Declared here, run by the functions that name them with ``@<actor>.runs``: the CSV
import (:mod:`newsletter.importer`) and the send pipeline (:mod:`newsletter.sending`).
"""

from __future__ import annotations

from kkp.mail.tasks import BULK_PRIORITY
from kkp.tasks import task

#: an import job (:func:`newsletter.importer.run_import_job`)
run_import = task("run_import", max_retries=3, time_limit=3_600_000)

#: `run_import` gave up after its retries: say so on the job instead of "running"
import_failed = task("import_failed", max_retries=0)

#: the next batch of an issue's delivery rows, and their chunks
#: (:func:`newsletter.sending.batches.write_batch`)
write_issue_batch = task(
    "write_issue_batch",
    max_retries=20,
    min_backoff=1_000,
    max_backoff=300_000,
    queue_name="bulk",
    priority=BULK_PRIORITY,
)

#: an issue's queued deliveries with ids in [first_id, last_id]
#: (:func:`newsletter.sending.chunks.send_chunk`). Backoff at most a minute: after an
#: outage of the mail server, sending resumes within about a minute of its return;
#: after an hour of retries the sweeper takes over.
send_issue_chunk = task(
    "send_issue_chunk",
    max_retries=60,
    min_backoff=2_000,
    max_backoff=60_000,
    queue_name="bulk",
    priority=BULK_PRIORITY,
    time_limit=1_800_000,
)
