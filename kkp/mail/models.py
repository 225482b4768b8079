"""Every mail is a row: deliveries, and the local outbox used without SMTP."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db


class DeliveryStatus(enum.StrEnum):
    """Where a delivery stands; the database stores the value."""

    #: written, waiting for a worker
    QUEUED = "queued"
    #: claimed by a worker, not yet handed to the mail server
    SENDING = "sending"
    #: being handed to the mail server: after a crash it may have arrived, so it is never
    #: handed out again (see newsletter.sending.sweeper)
    SUBMITTING = "submitting"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Delivery(db.Model):
    """One mail to one recipient, written before anything is sent."""

    __tablename__ = "delivery"
    __table_args__ = (
        # what the sweeper looks for; an issue's deliveries have their own sweeper, and
        # leaving them out spares every one of them two index updates
        sa.Index(
            "ix_delivery_status_updated",
            "status",
            "updated_at",
            postgresql_where=sa.text("issue_id IS NULL"),
            sqlite_where=sa.text("issue_id IS NULL"),
        ),
        sa.Index("ix_delivery_subscriber_kind", "subscriber_id", "kind", "created_at"),
        # how many mails one address got lately from the public forms (a limit per
        # address); an issue's deliveries are never counted, so they stay out
        sa.Index(
            "ix_delivery_recipient_created",
            "recipient",
            "created_at",
            postgresql_where=sa.text("issue_id IS NULL"),
            sqlite_where=sa.text("issue_id IS NULL"),
        ),
        # an issue reaches each subscriber once
        sa.Index("ux_delivery_issue_subscriber", "issue_id", "subscriber_id", unique=True),
        sa.Index("ix_delivery_issue_status", "issue_id", "status", "sent_at"),
        # an issue's recent failures and retries (its progress page): few rows, found
        # without reading the deliveries that went out or wait
        sa.Index(
            "ix_delivery_issue_error",
            "issue_id",
            "updated_at",
            postgresql_where=sa.text("last_error IS NOT NULL"),
            sqlite_where=sa.text("last_error IS NOT NULL"),
        ),
        # the last week's failures of every kind (the dashboard), however many went out
        sa.Index(
            "ix_delivery_failed_updated",
            "updated_at",
            postgresql_where=sa.text("status = 'failed'"),
            sqlite_where=sa.text("status = 'failed'"),
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: which message builder renders it, e.g. "subscription_confirmation"
    kind = sa.Column(sa.String(50), nullable=False)
    #: the address; emptied when the subscriber is deleted
    recipient = sa.Column(sa.String(254), nullable=False)
    subscriber_id = sa.Column(sa.ForeignKey("subscriber.id", ondelete="SET NULL"))
    #: the newsletter issue this delivery belongs to (not set for test sends)
    issue_id = sa.Column(sa.ForeignKey("issue.id", ondelete="CASCADE"))
    #: what the builder needs beyond the subscriber (ids, list ids), JSON
    params = sa.Column(sa.JSON, nullable=False, default=dict)
    status = sa.Column(sa.String(20), nullable=False, default=DeliveryStatus.QUEUED)
    attempts = sa.Column(sa.Integer, nullable=False, default=0)
    #: the SMTP answer or error of the last failed attempt
    last_error = sa.Column(sa.Text)
    message_id = sa.Column(sa.String(255))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    sent_at = sa.Column(UTCDateTime)


class OutboxMessage(db.Model):
    """A mail kept locally instead of being sent (no `KKP_SMTP_URL`)."""

    __tablename__ = "outbox_message"

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    envelope_from = sa.Column(sa.String(254), nullable=False)
    recipients = sa.Column(sa.Text, nullable=False)
    subject = sa.Column(sa.Text, nullable=False, default="")
    message_id = sa.Column(sa.String(255))
    #: the message exactly as it would have gone over SMTP (CRLF line ends)
    raw = sa.Column(sa.LargeBinary, nullable=False)


class SendWindow(db.Model):
    """Messages sent in one window of `KKP_SEND_RATE`, when there is no Redis to count."""

    __tablename__ = "send_window"

    window = sa.Column(sa.BigInteger, primary_key=True, autoincrement=False)
    used = sa.Column(sa.Integer, nullable=False, default=0)
