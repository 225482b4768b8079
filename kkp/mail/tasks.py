"""The mail's actors: one delivery, sent by :func:`kkp.mail.operations.deliver`, on one
of two lanes.

A mail somebody waits for right now (a double opt-in confirmation, a registration's
link or confirmation, an editor's test send) goes on the interactive lane: its own
queue, served by its own worker processes (the Procfile's `mailer`), so it never waits
behind a bulk send's chunks. Every other single mail (reminders, messages to a group,
certificates, follow-ups) goes on the worker's lane beside the bulk queue.

Priorities (lower runs first) order only what one worker process has fetched already:
with Redis a queue has no priority, so they help where one process serves every queue
(an old Procfile, a small set-up) and never replace the lanes.
"""

from __future__ import annotations

from kkp.tasks import task

#: the interactive lane's queue: only the `mailer` processes consume it
INTERACTIVE_QUEUE = "interactive"
#: the queues the `worker` processes consume: everything but the interactive lane
WORKER_QUEUES = ("default", "mail", "bulk")

#: first among what a worker fetched: a mail somebody waits for
INTERACTIVE_PRIORITY = 0
#: then the other single mails
SINGLE_PRIORITY = 10
#: then the bulk send's batches and chunks (:mod:`newsletter.tasks`)
BULK_PRIORITY = 100

_RETRIES = {"max_retries": 7, "min_backoff": 5_000, "max_backoff": 600_000}

#: one delivery row somebody waits for (see :func:`kkp.mail.operations.message_builder`)
send_interactive_delivery = task(
    "send_interactive_delivery",
    queue_name=INTERACTIVE_QUEUE,
    priority=INTERACTIVE_PRIORITY,
    **_RETRIES,
)

#: one delivery row nobody waits for at once (invitations, reminders, certificates)
send_delivery = task("send_delivery", queue_name="mail", priority=SINGLE_PRIORITY, **_RETRIES)
