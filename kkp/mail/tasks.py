"""The mail's actor: one delivery, sent by :func:`kkp.mail.operations.deliver`."""

from __future__ import annotations

from kkp.tasks import task

#: one delivery row (confirmations, invitations, reminders: the single mails)
send_delivery = task(
    "send_delivery", max_retries=7, min_backoff=5_000, max_backoff=600_000, queue_name="mail"
)
