"""A chunk's stretches: what one did, marked before it goes to the mail server and
recorded after; and pausing the issue when deliveries keep failing or a mail setting
is wrong."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import reasons
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.models import Issue, IssueStatus
from newsletter.sending import statements
from newsletter.sending.tally import add_sent

log = logging.getLogger(__name__)


#: a delivery this chunk holds: claimed, or being handed to the mail server
HELD = (DeliveryStatus.SENDING, DeliveryStatus.SUBMITTING)


class Stretch:
    """What happened to the deliveries of one stretch of a chunk, to be recorded.

    `held`: the chunk's rows and the attempt each was claimed with; a row whose attempt
    has moved on belongs to another chunk now (the sweeper handed it out again).
    `chunk`: the chunk's first delivery id, which keys its tally."""

    def __init__(self, held: dict[int, int], chunk: int = 0):
        self.held = held
        self.chunk = chunk
        self.sent: list[tuple[int, str]] = []
        self.failed: list[tuple[int, str]] = []
        self.retry: list[tuple[int, str]] = []
        self.cancelled: list[int] = []
        #: never tried: back to the queue without counting the attempt
        self.back: list[int] = []
        self.retry_error: str | None = None
        #: failures since the last success in this stretch, and whether any went out
        self.streak = 0
        self.any_sent = False
        #: the issue's failures in a row when this stretch was marked (None: unknown)
        self.failures_seen: int | None = None

    def fail(self, delivery_id: int, error: str, *, server: bool = True) -> None:
        """`server`: the mail server refused it (counts towards pausing the issue)."""
        self.failed.append((delivery_id, error))
        if server:
            self.streak += 1

    def sent_ids(self) -> set[int]:
        return {i for i, _ in self.sent}

    def decided(self) -> set[int]:
        return {
            *(i for i, _ in self.sent),
            *(i for i, _ in self.failed),
            *(i for i, _ in self.retry),
            *self.cancelled,
            *self.back,
        }


def mark_submitting(
    issue_id: int, rows, held: dict[int, int]
) -> tuple[dict[int, int], int | None] | None:
    """Claim a stretch and mark it as being handed to the mail server, before any of it
    is, if the issue still sends: its rows still queued go to "submitting" with one more
    attempt.

    After a crash the sweeper finds these rows in "submitting" and does not hand them
    out again (they may have arrived); the chunk's later rows were never claimed and are
    still queued. Returns None when the issue was paused or cancelled, else the rows this
    chunk claimed (another copy of the chunk may have taken some) with their attempts,
    and the issue's count of failures in a row as the same statement saw it (None if no
    row was claimed). One statement, one more only if no row was claimed. The caller
    commits; `held` (the chunk's rows and their attempts) learns the claimed attempts
    first, so that whatever stops the chunk after the commit gives them back."""
    marked = db.session.execute(
        statements.mark(db.session.get_bind().dialect.name),
        {"issue": issue_id, "held_ids": [r.id for r in rows], "now": utcnow()},
    ).all()
    if marked:
        owned = {row[0]: row[1] for row in marked}
        held.update(owned)
        return owned, marked[0][2]
    return _unless_stopped(issue_id)


def _unless_stopped(issue_id: int) -> tuple[dict[int, int], None] | None:
    """No row claimed: None if the issue no longer sends, else nothing to send here."""
    status = db.session.scalar(sa.select(Issue.status).where(Issue.id == issue_id))
    return None if status != IssueStatus.SENDING else ({}, None)


def next_stretch(issue_id: int, stretch: Stretch, rows) -> tuple[dict[int, int], int | None] | None:
    """Between two stretches, in one transaction: record what the last one did, and
    mark the next one as being handed over if the issue still sends.

    Returns what :func:`mark_submitting` does: None when the issue was paused or
    cancelled (by an editor, or just now for failing)."""
    if stretch.sent and stretch.failures_seen == 0 and stretch.decided() == stretch.sent_ids():
        marked = _record_sent_and_mark(issue_id, stretch, rows)  # the common case
    else:
        record(issue_id, stretch, commit=False)
        if stretch.streak:
            pause_if_failing(issue_id, stretch, commit=False)
        marked = mark_submitting(issue_id, rows, stretch.held)
    db.session.commit()
    return marked


def _record_sent_and_mark(issue_id: int, stretch: Stretch, rows):
    """A stretch that all went out, while nothing failed before it: one statement
    records it and marks the next one (if the issue still sends).

    The two sets of rows are told apart by their status: the next stretch's are still
    queued, the sent ones are not (marked "submitting", or settled by the sweeper
    meanwhile: they went out all the same)."""
    first_id, first_message_id = stretch.sent[0]
    changed = db.session.execute(
        statements.sent_and_mark(db.session.get_bind().dialect.name),
        {
            "issue": issue_id,
            "sent_ids": [i for i, _ in stretch.sent],
            "held_ids": [r.id for r in rows],
            "now": utcnow(),
            "suffix": first_message_id[len(f"<{first_id}") :],
        },
    ).all()
    add_sent(issue_id, stretch.chunk, sum(1 for row in changed if row[1] == DeliveryStatus.SENT))
    marked = [row for row in changed if row[1] == DeliveryStatus.SUBMITTING]
    if marked:
        owned = {row[0]: row[2] for row in marked}
        stretch.held.update(owned)  # before the commit: see mark_submitting
        return owned, marked[0][3]
    return _unless_stopped(issue_id)


def record(issue_id: int, stretch: Stretch, *, commit: bool = True) -> None:
    """Write what a stretch did; with `commit`, end the transaction and pause the issue
    if it keeps failing (else the caller does both)."""
    now = utcnow()
    if stretch.sent:
        # One statement for the stretch: the Message-IDs differ only in the delivery id
        # (see message_id_for), so the database writes them from the id.
        first_id, first_message_id = stretch.sent[0]
        moved = db.session.execute(
            statements.record_sent(db.session.get_bind().dialect.name),
            {
                "sent_ids": [i for i, _ in stretch.sent],
                "now": now,
                "suffix": first_message_id[len(f"<{first_id}") :],
            },
        )
        add_sent(issue_id, stretch.chunk, moved.rowcount)

    def row(i: int, status: str, error: str | None) -> dict:
        return {"id": i, "status": status, "last_error": error, "updated_at": now}

    rows = (
        [row(i, DeliveryStatus.FAILED, e) for i, e in stretch.failed]
        + [row(i, DeliveryStatus.QUEUED, e) for i, e in stretch.retry]
        + [row(i, DeliveryStatus.CANCELLED, reasons.UNSUBSCRIBED) for i in stretch.cancelled]
    )
    if rows:
        db.session.execute(sa.update(Delivery), rows)
    if stretch.back:
        # never tried: back to the queue without counting the attempt
        db.session.execute(
            sa.update(Delivery)
            .where(
                sa.tuple_(Delivery.id, Delivery.attempts).in_(
                    [(i, stretch.held[i]) for i in stretch.back]
                ),
                Delivery.status.in_(HELD),
            )
            .values(
                status=DeliveryStatus.QUEUED,
                attempts=Delivery.attempts - 1,
                updated_at=now,
                last_error=stretch.retry_error,
            )
            .execution_options(synchronize_session=False)
        )
    if stretch.back or stretch.retry:
        # Cancelled while this chunk ran: what it gives back stays out of the queue.
        cancelled = sa.select(Issue.status).where(Issue.id == issue_id).scalar_subquery()
        db.session.execute(
            sa.update(Delivery)
            .where(
                Delivery.issue_id == issue_id,
                Delivery.status == DeliveryStatus.QUEUED,
                cancelled == IssueStatus.CANCELLED,
            )
            .values(status=DeliveryStatus.CANCELLED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    streak = stretch.streak
    # A stretch that went out resets the count; not needed when it was 0 a moment ago.
    if streak or (stretch.any_sent and stretch.failures_seen != 0):
        failures = streak if stretch.any_sent else Issue.consecutive_failures + streak
        # Only when the count changes: an UPDATE that matches locks the issue row, and
        # every chunk writing 0 over 0 would keep the batch writer waiting for it.
        db.session.execute(
            sa.update(Issue)
            .where(Issue.id == issue_id, Issue.consecutive_failures != failures)
            .values(consecutive_failures=failures)
            .execution_options(synchronize_session=False)
        )
    if not commit:
        return
    db.session.commit()
    if streak:
        pause_if_failing(issue_id, stretch)


def pause_if_failing(issue_id: int, stretch: Stretch, *, commit: bool = True) -> None:
    limit = current_app.config["KKP_ISSUE_PAUSE_AFTER_FAILURES"]
    failures = db.session.scalar(sa.select(Issue.consecutive_failures).where(Issue.id == issue_id))
    if failures is None or failures < limit:
        if commit:
            db.session.commit()
        return
    last_error = reasons.describe((stretch.failed or stretch.retry)[-1][1])
    reason = _(
        "Paused automatically after %(n)d failed deliveries in a row. The mail server "
        "last answered: %(answer)s",
        n=failures,
        answer=last_error,
    )
    paused = db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue_id, Issue.status == IssueStatus.SENDING)
        .values(status=IssueStatus.PAUSED, pause_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if commit:
        db.session.commit()
    if paused.rowcount:
        log.warning("issue %s paused after %d failures in a row", issue_id, failures)


def pause_for_settings(issue_id: int, error: str) -> None:
    """A mail setting is wrong (DKIM key, send rate, SMTP URL): nothing can go out until
    it is fixed, so the issue waits, paused, with the error as the reason."""
    paused = db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue_id, Issue.status == IssueStatus.SENDING)
        .values(status=IssueStatus.PAUSED, pause_reason=error[:2000])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if paused.rowcount:
        log.error("issue %s paused: %s", issue_id, error)
