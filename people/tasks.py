"""The people's actor: reading the bounce mailbox.

Declared here, run by :func:`people.bounce_mailbox.poll`; the scheduler
(:mod:`service.schedule`) enqueues it every `KKP_BOUNCE_POLL_SECONDS` when
`KKP_BOUNCE_IMAP_URL` is set. No retries: the next poll comes anyway, and a mail that
could not be processed stays in the mailbox for it.
"""

from __future__ import annotations

from kkp.tasks import task

#: read the bounce mailbox once (:func:`people.bounce_mailbox.poll`)
poll_bounce_mailbox = task("poll_bounce_mailbox", max_retries=0, time_limit=600_000)
