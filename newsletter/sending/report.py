"""What a sent issue did, in figures: recipients, delivered, failed (by reason),
interrupted, bounced, and the unsubscribes that followed.

No tracking: the service counts no opens and no clicks (no pixels, no tracked links).
The unsubscribe links do not carry the issue, so the unsubscribes counted are those
of the issue's recipients in the :data:`UNSUBSCRIBE_DAYS` days after the send started:
lists left through their own links (consent history), and whole leaves (the audit
entry of the deletion names the issues the person had got in those days, see
:func:`newsletter.operations.delete_subscriber`).
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from kkp.mail import reasons
from kkp.mail.bounce_parse import BounceKind
from kkp.mail.models import Delivery, DeliveryStatus
from kkp.spreadsheet import BOM, berlin_time, spreadsheet_safe
from newsletter.models import Issue
from newsletter.sending.progress import interrupted
from people.addresses import email_hash
from people.models import (
    Bounce,
    ConsentAction,
    ConsentEvent,
    ConsentSource,
    Suppression,
    SuppressionReason,
)

#: unsubscribes within this many days after the send started count for the issue
UNSUBSCRIBE_DAYS = 14
#: how a person leaves through the links in her mail (not the office's doing)
OWN_LINKS = (ConsentSource.UNSUBSCRIBE, ConsentSource.ONE_CLICK, ConsentSource.PREFERENCES)
CSV_HEADER = ("E-Mail", "Grund", "Versuche", "Zuletzt versucht")


@dataclass(frozen=True, slots=True)
class SendReport:
    """The figures of one issue's send; `reasons` are (stored reason, count), most first."""

    started_at: datetime
    finished_at: datetime | None
    recipients: int
    delivered: int
    failed: int
    interrupted: int
    not_sent: int
    pending: int
    bounced: int
    unsubscribed: int
    unsubscribe_until: datetime
    reasons: list[tuple[str, int]] = field(default_factory=list)


def _reason_key(last_error: str | None) -> str:
    """Failures grouped by reason: the service's own by their code, a server's answer
    as given."""
    text = (last_error or "").strip()
    for code in (
        reasons.INTERRUPTED,
        reasons.GAVE_UP,
        reasons.UNBUILDABLE,
        reasons.NO_SMTPUTF8,
        reasons.UNSUBSCRIBED,
    ):
        if text == code or text.startswith(code + ":"):
            return code
    return text


def send_report(issue: Issue, now: datetime | None = None) -> SendReport | None:
    """The issue's figures, or None before sending started."""
    if issue.started_at is None:
        return None
    counts = dict(
        db.session.execute(
            sa.select(Delivery.status, sa.func.count())
            .where(Delivery.issue_id == issue.id)
            .group_by(Delivery.status)
        ).all()
    )
    failed_errors = db.session.execute(
        sa.select(Delivery.last_error, sa.func.count())
        .where(Delivery.issue_id == issue.id, Delivery.status == DeliveryStatus.FAILED)
        .group_by(Delivery.last_error)
    ).all()
    grouped: Counter[str] = Counter()
    for error, n in failed_errors:
        grouped[_reason_key(error)] += n
    until = issue.started_at + timedelta(days=UNSUBSCRIBE_DAYS)
    sent = counts.get(DeliveryStatus.SENT, 0)
    failed = counts.get(DeliveryStatus.FAILED, 0)
    return SendReport(
        started_at=issue.started_at,
        finished_at=issue.finished_at,
        recipients=max(issue.to_send or 0, sum(counts.values())),
        delivered=sent,
        failed=failed,
        interrupted=db.session.scalar(sa.select(sa.func.count()).where(interrupted(issue.id))) or 0,
        not_sent=counts.get(DeliveryStatus.CANCELLED, 0),
        pending=sum(
            counts.get(s, 0)
            for s in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.SUBMITTING)
        ),
        bounced=_bounced(issue),
        unsubscribed=_unsubscribed(issue, until),
        unsubscribe_until=until,
        reasons=sorted(grouped.items(), key=lambda item: (-item[1], item[0])),
    )


def _bounced(issue: Issue) -> int:
    """Recipients whose mail came back as a hard bounce, and those whose address was
    suppressed after bounces since the send started."""
    returned = set(
        db.session.scalars(
            sa.select(Bounce.delivery_id)
            .join(Delivery, Delivery.id == Bounce.delivery_id)
            .where(Delivery.issue_id == issue.id, Bounce.kind == BounceKind.HARD)
        )
    )
    keys = set(
        db.session.scalars(
            sa.select(Suppression.email_hash).where(
                Suppression.reason == SuppressionReason.BOUNCED,
                Suppression.created_at >= issue.started_at,
            )
        )
    )
    if keys:
        recipients = db.session.execute(
            sa.select(Delivery.id, Delivery.recipient).where(
                Delivery.issue_id == issue.id, Delivery.recipient != ""
            )
        )
        returned |= {i for i, r in recipients if email_hash(r) in keys}
    return len(returned)


def _unsubscribed(issue: Issue, until: datetime) -> int:
    """Recipients who left a list or everything through their own links in the days
    after the send started (each counted once)."""
    received = sa.select(Delivery.subscriber_id).where(
        Delivery.issue_id == issue.id,
        Delivery.status == DeliveryStatus.SENT,
        Delivery.subscriber_id.is_not(None),
    )
    left_lists = set(
        db.session.scalars(
            sa.select(ConsentEvent.subscriber_id).where(
                ConsentEvent.action == ConsentAction.LIST_REMOVED,
                ConsentEvent.source.in_(OWN_LINKS),
                ConsentEvent.at >= issue.started_at,
                ConsentEvent.at < until,
                ConsentEvent.subscriber_id.in_(received),
            )
        )
    )
    deletions = db.session.scalars(
        sa.select(AuditEntry.details).where(
            AuditEntry.action == "subscriber.delete",
            AuditEntry.at >= issue.started_at,
            AuditEntry.at < until,
        )
    )
    left_all = {
        d.get("subscriber_id")
        for d in deletions
        if d.get("reason") == SuppressionReason.UNSUBSCRIBED and issue.id in d.get("issues", ())
    }
    return len(left_lists | left_all)


def failed_csv(issue: Issue) -> str:
    """The failed addresses with the reason in words, for German spreadsheets."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    rows = db.session.execute(
        sa.select(Delivery.recipient, Delivery.last_error, Delivery.attempts, Delivery.updated_at)
        .where(Delivery.issue_id == issue.id, Delivery.status == DeliveryStatus.FAILED)
        .order_by(Delivery.id)
    )
    for recipient, error, attempts, at in rows:
        writer.writerow(
            [
                spreadsheet_safe(recipient or "(gelöscht)"),
                spreadsheet_safe(reasons.describe(error)),
                str(attempts),
                berlin_time(at),
            ]
        )
    return buffer.getvalue()
