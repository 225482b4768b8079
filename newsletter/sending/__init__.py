"""Sending an issue: a cursor over a frozen subscriber range, delivery rows first,
chunks of them sent over one SMTP connection per worker thread. The modules, in the
order a send runs:

1. :mod:`.start`: :func:`start_sending` renders the issue once per language (and its
   web version, see :mod:`newsletter.web_version`), freezes `max_subscriber_id` and
   enqueues :func:`write_batch`; pause, resume and cancel are status changes the next
   batch and chunk see. :mod:`.recipients` says who receives it.
2. :mod:`.batches`: :func:`write_batch` takes the next subscribers by keyset, writes
   their delivery rows, advances the cursor, and enqueues :func:`send_chunk` for the
   new rows and itself while subscribers remain.
3. :mod:`.chunks`: :func:`send_chunk` reads the queued rows of its id range, and stretch
   by stretch claims them, fills each recipient's parts (:mod:`.messages`) into the
   prepared message, sends, and records the outcome (:mod:`.stretches`); the hot
   statements are built once (:mod:`.statements`).
4. :mod:`.progress`: :func:`check_finished` marks the issue sent; :func:`progress` is
   what the editor watches.
5. :mod:`.sweeper`: :func:`sweep` settles what dead workers left behind.

Test sends (:mod:`.proofs`) go out as single deliveries.

Every step is idempotent: rows are claimed with a conditional UPDATE, the cursor
advances only from where the batch started, and a subscriber has one delivery per issue
(unique index).

What the admin pages, the API, the scheduler and the tests use is re-exported here;
importing the package registers the test sends' message builder.
"""

from newsletter.sending.batches import write_batch
from newsletter.sending.chunks import STATUS_CHECK_EVERY, RetryLater, send_chunk
from newsletter.sending.messages import LOCALES, prepared
from newsletter.sending.progress import progress
from newsletter.sending.proofs import MAX_TEST_ADDRESSES, test_send  # and its builder
from newsletter.sending.recipients import count_recipients
from newsletter.sending.start import (
    cancel,
    check_sendable,
    pause,
    resend_interrupted,
    resume,
    schedule,
    start_due,
    start_sending,
    unschedule,
)
from newsletter.sending.sweeper import sweep

__all__ = [
    "LOCALES",
    "MAX_TEST_ADDRESSES",
    "STATUS_CHECK_EVERY",
    "RetryLater",
    "cancel",
    "check_sendable",
    "count_recipients",
    "pause",
    "prepared",
    "progress",
    "resend_interrupted",
    "resume",
    "schedule",
    "send_chunk",
    "start_due",
    "start_sending",
    "sweep",
    "test_send",
    "unschedule",
    "write_batch",
]
