"""Returned mails read from an IMAP mailbox (`KKP_BOUNCE_IMAP_URL`), the other way in
beside `kkp bounce` (a pipe from the mail server).

A poll takes the mails in the folder, oldest first and at most :data:`MAX_PER_POLL`,
in batches (`?batch=` of the URL); each goes through :func:`people.bounces.process_bounce`
and is committed on its own, then the batch is moved to the processed folder (or
deleted). A database failure stops the poll and leaves the mail, and those after it,
for the next; a mail processed twice (two workers at once, a poll that died before
moving it) is recorded once, as process_bounce knows it. Logs count, never name an
address.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

import sqlalchemy.exc
from flask import current_app

from kkp.extensions import db
from kkp.mail.bounce_parse import MAX_BYTES
from kkp.mail.imap import Mailbox, MailboxError, MailboxSettings, open_mailbox
from people.bounces import process_bounce
from people.tasks import poll_bounce_mailbox

log = logging.getLogger(__name__)

#: mails read by one poll at most; the rest wait for the next
MAX_PER_POLL = 1000
#: what a poll counts beside the outcomes of process_bounce
FAILED = "failed"
DATABASE_DOWN = "database_down"


@poll_bounce_mailbox.runs
def poll(now: datetime | None = None) -> Counter[str]:
    """Read the bounce mailbox once; what happened, counted by
    :class:`people.bounces.Outcome` (and "failed" for mails left for a bug). Nothing
    when `KKP_BOUNCE_IMAP_URL` is unset; the mailbox unreachable is logged, not raised."""
    url = current_app.config.get("KKP_BOUNCE_IMAP_URL")
    if not url:
        return Counter()
    try:
        with open_mailbox(MailboxSettings.from_url(url)) as mailbox:
            counts = read(mailbox, now)
    except (MailboxError, ValueError) as exc:  # neither names a secret
        log.warning("bounce mailbox not read: %s", exc)
        return Counter()
    if counts:
        log.info("bounce mailbox read: %s", ", ".join(f"{n} {k}" for k, n in counts.items()))
    return counts


def read(mailbox: Mailbox, now: datetime | None = None) -> Counter[str]:
    """Process and settle the mails in the open mailbox's folder."""
    counts: Counter[str] = Counter()
    uids = mailbox.uids()[:MAX_PER_POLL]
    step = mailbox.settings.batch
    for start in range(0, len(uids), step):
        fetched = mailbox.fetch(uids[start : start + step], MAX_BYTES)
        done = []
        for uid, raw in fetched.items():
            outcome = _process(raw, now)
            if outcome == DATABASE_DOWN:
                mailbox.settle(done)
                counts[DATABASE_DOWN] += 1
                return counts
            counts[outcome] += 1
            if outcome != FAILED:
                done.append(uid)
        mailbox.settle(done)
    return counts


def _process(raw: bytes, now: datetime | None) -> str:
    try:
        result = process_bounce(raw, now=now)
        db.session.commit()
    except sqlalchemy.exc.SQLAlchemyError as exc:
        db.session.rollback()
        log.warning("bounce mailbox: database failure, the mail stays: %s", type(exc).__name__)
        return DATABASE_DOWN
    except Exception:  # noqa: BLE001 - a bug must not hold up the other mails
        db.session.rollback()
        log.exception("bounce mailbox: a mail could not be processed and stays")
        return FAILED
    return result.outcome
