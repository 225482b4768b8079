"""Starting an issue (now or at a time), and the editor's controls while it goes out:
pause, resume, cancel, send again to those in doubt."""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.issues import IssueError, IssueStateError
from newsletter.models import Issue, IssueStatus, Subscriber
from newsletter.render import list_id_header, render_issue
from newsletter.render import sender as sender_of
from newsletter.sending.batches import chunk_ranges
from newsletter.sending.messages import LOCALES, mail_domain
from newsletter.sending.progress import interrupted
from newsletter.sending.recipients import count_recipients
from newsletter.settings import office_settings
from newsletter.tasks import send_issue_chunk, write_issue_batch
from newsletter.web_version import keep_web_version

log = logging.getLogger(__name__)


# -- starting, scheduling ----------------------------------------------------------------


def check_sendable(issue: Issue) -> int:
    """Raise :class:`IssueError` unless the issue can go out; return its recipient count."""
    if issue.status not in (IssueStatus.DRAFT, IssueStatus.SCHEDULED):
        raise IssueStateError(_("This issue is being sent or was sent already."))
    if not issue.articles:
        raise IssueError(_("The issue has no articles yet; add at least one before sending."))
    if not issue.lists:
        raise IssueError(_("Please choose at least one list to send the issue to."), "lists")
    count = count_recipients(issue)
    if count == 0:
        raise IssueError(_("Nobody on the chosen lists has confirmed a subscription yet."))
    return count


def start_sending(issue: Issue) -> int:
    """Freeze the recipients' range and the rendered mail, and start the batches."""
    count = check_sendable(issue)
    settings = office_settings()
    issue.rendered = {locale: render_issue(issue, settings, locale) for locale in LOCALES}
    keep_web_version(issue)
    issue.rendered["_meta"] = {
        "sender": sender_of(settings),
        "list_id": list_id_header(issue, mail_domain(), settings["newsletter_name"]),
    }
    issue.max_subscriber_id = db.session.scalar(sa.select(sa.func.max(Subscriber.id))) or 0
    issue.last_subscriber_id = 0
    issue.to_send = count
    issue.status = IssueStatus.SENDING
    issue.started_at = utcnow()
    issue.scheduled_at = issue.scheduled_at or issue.started_at
    issue.consecutive_failures = 0
    issue.pause_reason = None
    db.session.flush()
    audit("issue.send", issue, recipients=count)
    write_issue_batch.send(issue.id)
    log.info("issue %s: sending to %d recipients", issue.id, count)
    return count


def schedule(issue: Issue, when: datetime) -> int:
    """Send at `when` (aware, any zone). The tick after that time starts it."""
    if when <= utcnow():
        raise IssueError(_("Please choose a time in the future."), "scheduled_at")
    count = check_sendable(issue)
    issue.status = IssueStatus.SCHEDULED
    issue.scheduled_at = when
    db.session.flush()
    audit("issue.schedule", issue, at=when.isoformat())
    return count


def unschedule(issue: Issue) -> None:
    if issue.status != IssueStatus.SCHEDULED:
        raise IssueStateError(_("This issue is not scheduled."))
    issue.status = IssueStatus.DRAFT
    issue.scheduled_at = None
    db.session.flush()
    audit("issue.unschedule", issue)


def start_due(now: datetime | None = None) -> int:
    """Start every scheduled issue whose time has come (called by the scheduler tick)."""
    now = now or utcnow()
    started = 0
    ids = db.session.scalars(
        sa.select(Issue.id).where(Issue.status == IssueStatus.SCHEDULED, Issue.scheduled_at <= now)
    ).all()
    for issue_id in ids:
        # Two clocks by mistake tick twice: the row lock lets one tick start the issue;
        # the other skips it, or finds it sending already once the lock is released.
        issue = db.session.scalars(
            sa.select(Issue)
            .where(Issue.id == issue_id, Issue.status == IssueStatus.SCHEDULED)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).first()
        if issue is None:
            db.session.rollback()
            continue
        try:
            start_sending(issue)
        except IssueError as exc:
            issue.status = IssueStatus.PAUSED
            issue.pause_reason = str(exc)
            log.warning("scheduled issue %s could not start: %s", issue_id, exc)
        db.session.commit()
        started += 1
    return started


# -- pause, resume, cancel ---------------------------------------------------------------


def pause(issue: Issue, reason: str | None = None) -> None:
    if issue.status != IssueStatus.SENDING:
        raise IssueStateError(_("Only an issue that is being sent can be paused."))
    issue.status = IssueStatus.PAUSED
    issue.pause_reason = reason
    db.session.flush()
    audit("issue.pause", issue)


def resume(issue: Issue) -> None:
    """Continue where sending stopped; nobody gets the issue twice."""
    if issue.status != IssueStatus.PAUSED:
        raise IssueStateError(_("Only a paused issue can be resumed."))
    if not issue.rendered:  # a scheduled issue that could not start
        issue.status = IssueStatus.DRAFT
        start_sending(issue)
        return
    issue.status = IssueStatus.SENDING
    issue.pause_reason = None
    issue.consecutive_failures = 0
    db.session.flush()
    audit("issue.resume", issue)
    _enqueue_pending(issue)


def _enqueue_pending(issue: Issue) -> None:
    """Enqueue chunks for the issue's queued deliveries, and the batch writer if needed."""
    queued = chunk_ranges(Delivery.issue_id == issue.id, Delivery.status == DeliveryStatus.QUEUED)
    for first, last in queued:
        send_issue_chunk.send(issue.id, first, last)
    if issue.last_subscriber_id < issue.max_subscriber_id:
        write_issue_batch.send(issue.id)


def resend_interrupted(issue: Issue) -> int:
    """The editor's choice: send those in doubt again (some may then have it twice).
    Returns how many go out again."""
    if issue.status not in (IssueStatus.SENDING, IssueStatus.PAUSED, IssueStatus.SENT):
        raise IssueStateError(_("Only an issue that is or was being sent can do this."))
    ids = db.session.scalars(
        sa.update(Delivery)
        .where(interrupted(issue.id))
        .values(status=DeliveryStatus.QUEUED, last_error=None, updated_at=utcnow())
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not ids:
        return 0
    if issue.status == IssueStatus.SENT:
        issue.status = IssueStatus.SENDING
        issue.finished_at = None
    db.session.flush()
    audit("issue.resend_interrupted", issue, count=len(ids))
    if issue.status == IssueStatus.SENDING:
        _enqueue_pending(issue)
    return len(ids)


def cancel(issue: Issue) -> int:
    """Stop for good; what was sent stays sent. Returns the deliveries cancelled."""
    if issue.status not in (IssueStatus.SCHEDULED, IssueStatus.SENDING, IssueStatus.PAUSED):
        raise IssueStateError(_("Only a scheduled, paused or running issue can be cancelled."))
    issue.status = IssueStatus.CANCELLED
    issue.finished_at = utcnow()
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.issue_id == issue.id, Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED, updated_at=utcnow())
    )
    db.session.flush()
    audit("issue.cancel", issue, cancelled=result.rowcount)
    return result.rowcount
