"""Lists, subscribers, their subscriptions and consent history, the suppression list."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db

SUBSCRIBER_STATUSES = ("pending", "confirmed")
SUBSCRIPTION_STATUSES = ("pending", "confirmed")
#: where a subscriber came from
SOURCES = ("form", "editor", "api", "import")


class MailingList(db.Model):
    """A topic people subscribe to, e.g. "KKP Kompakt" or "Fortbildungen"."""

    __tablename__ = "mailing_list"

    id = sa.Column(sa.Integer, primary_key=True)
    slug = sa.Column(sa.String(80), nullable=False, unique=True)
    name = sa.Column(sa.String(200), nullable=False)
    description = sa.Column(sa.Text, nullable=False, default="")
    #: shown on the public sign-up form and in the preference centre
    is_public = sa.Column(sa.Boolean, nullable=False, default=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Subscriber(db.Model):
    __tablename__ = "subscriber"

    id = sa.Column(sa.Integer, primary_key=True)
    #: normalised address (domain lower-cased); unique
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    name = sa.Column(sa.String(200), nullable=False, default="")
    organisation = sa.Column(sa.String(200), nullable=False, default="")
    #: "pending" until the address is confirmed once, then "confirmed"
    status = sa.Column(sa.String(20), nullable=False, default="pending", index=True)
    #: "form", "editor", "api" or "import"
    source = sa.Column(sa.String(20), nullable=False, default="form")
    #: language of the mail this person gets
    locale = sa.Column(sa.String(5), nullable=False, default="de")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    confirmed_at = sa.Column(UTCDateTime)

    subscriptions = db.relationship(
        "Subscription",
        back_populates="subscriber",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    consent_events = db.relationship(
        "ConsentEvent",
        back_populates="subscriber",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ConsentEvent.id",
    )

    def lists_with(self, status: str) -> list[MailingList]:
        return [s.mailing_list for s in self.subscriptions if s.status == status]


class Subscription(db.Model):
    """A subscriber on one list; pending until that list is confirmed."""

    __tablename__ = "subscription"
    __table_args__ = (
        sa.Index("ix_subscription_list_status", "list_id", "status", "subscriber_id"),
    )

    subscriber_id = sa.Column(sa.ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True)
    list_id = sa.Column(sa.ForeignKey("mailing_list.id", ondelete="CASCADE"), primary_key=True)
    status = sa.Column(sa.String(20), nullable=False, default="pending")
    requested_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    confirmed_at = sa.Column(UTCDateTime)

    subscriber = db.relationship(Subscriber, back_populates="subscriptions")
    mailing_list = db.relationship(MailingList)


class ConsentText(db.Model):
    """The consent and privacy text shown beside the checkbox, versioned."""

    __tablename__ = "consent_text"

    version = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    text = sa.Column(sa.Text, nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class ConsentEvent(db.Model):
    """One step of the double opt-in and what followed: the consent evidence."""

    __tablename__ = "consent_event"

    id = sa.Column(sa.Integer, primary_key=True)
    subscriber_id = sa.Column(
        sa.ForeignKey("subscriber.id", ondelete="CASCADE"), nullable=False, index=True
    )
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: "requested", "confirmation_sent", "confirmed", "lists_changed", "added",
    #: "imported", "list_removed", "details_changed"
    action = sa.Column(sa.String(40), nullable=False)
    #: names of the lists concerned, at the time
    lists = sa.Column(sa.JSON, nullable=False, default=list)
    consent_version = sa.Column(sa.ForeignKey("consent_text.version"))
    source = sa.Column(sa.String(20), nullable=False, default="form")
    #: client address, only when KKP_RECORD_IP=1
    ip = sa.Column(sa.String(45))
    #: e.g. the delivery id of the confirmation mail, the editor's evidence note
    details = sa.Column(sa.JSON, nullable=False, default=dict)

    subscriber = db.relationship(Subscriber, back_populates="consent_events")
    consent_text = db.relationship(ConsentText)


class Suppression(db.Model):
    """An address that left: only its hash is kept, and it is never mailed again."""

    __tablename__ = "suppression"

    #: SHA-256 of the normalised address, hex
    email_hash = sa.Column(sa.String(64), primary_key=True)
    #: "unsubscribed", "deleted", "bounced"
    reason = sa.Column(sa.String(20), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class ImportJob(db.Model):
    """A CSV upload processed in the background, with its report."""

    __tablename__ = "import_job"

    id = sa.Column(sa.Integer, primary_key=True)
    editor_id = sa.Column(sa.ForeignKey("editor.id", ondelete="SET NULL"))
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    filename = sa.Column(sa.String(255), nullable=False, default="")
    #: the uploaded bytes; dropped when the job is done
    data = sa.Column(sa.LargeBinary)
    #: ids of the lists the rows join
    list_ids = sa.Column(sa.JSON, nullable=False, default=list)
    #: the editor states the people consented elsewhere (then no confirmation mail)
    consent_evidence = sa.Column(sa.Text, nullable=False, default="")
    #: "queued", "running", "done", "failed"
    status = sa.Column(sa.String(20), nullable=False, default="queued")
    total_rows = sa.Column(sa.Integer, nullable=False, default=0)
    processed_rows = sa.Column(sa.Integer, nullable=False, default=0)
    imported = sa.Column(sa.Integer, nullable=False, default=0)
    updated = sa.Column(sa.Integer, nullable=False, default=0)
    #: [{"row": n, "reason": "..."}] for every rejected row
    rejected = sa.Column(sa.JSON, nullable=False, default=list)
    error = sa.Column(sa.Text)
    finished_at = sa.Column(UTCDateTime)
