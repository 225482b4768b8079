"""Lists, subscribers, their subscriptions and consent history, the suppression list."""

from __future__ import annotations

import enum

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


#: what a consent text is for: signing up for the newsletter, or registering for an event
CONSENT_PURPOSES = ("newsletter", "event_registration")


class ConsentText(db.Model):
    """The consent and privacy text shown beside the checkbox, versioned per purpose.

    Versions are numbered across purposes (the number is what records point to); a
    new version never changes an old one.
    """

    __tablename__ = "consent_text"
    __table_args__ = (sa.Index("ix_consent_text_purpose_version", "purpose", "version"),)

    version = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    #: one of :data:`CONSENT_PURPOSES`
    purpose = sa.Column(
        sa.String(30), nullable=False, default="newsletter", server_default="newsletter"
    )
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
    #: "imported", "list_removed", "details_changed", "import_skipped" (an import did
    #: not add her again to lists she left herself)
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
    #: people left as they were, counted by reason: {"already_subscribed": n,
    #: "left_herself": n (a chosen list she left herself was not added again),
    #: "other_details": n (the file's name or organisation differed; hers were kept)}
    skipped = sa.Column(sa.JSON, nullable=False, default=dict, server_default="{}")
    error = sa.Column(sa.Text)
    finished_at = sa.Column(UTCDateTime)


# -- issues ------------------------------------------------------------------------------


class IssueStatus(enum.StrEnum):
    """draft → scheduled → sending ⇄ paused → sent; any unsent state → cancelled. The
    database stores the value."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    SENT = "sent"
    CANCELLED = "cancelled"


#: the values, for the API's choices
ISSUE_STATUSES = tuple(status.value for status in IssueStatus)


class DeliveryKind(enum.StrEnum):
    """The kinds of :class:`kkp.mail.models.Delivery` the newsletter writes; the
    database stores the value."""

    #: an issue to a subscriber, written by the batch writer, sent by a chunk
    ISSUE = "issue"
    #: an issue as it is now, to an editor's address (a single delivery)
    ISSUE_TEST = "issue_test"
    SUBSCRIPTION_CONFIRMATION = "subscription_confirmation"
    PREFERENCES_LINK = "preferences_link"


issue_list = sa.Table(
    "issue_list",
    db.metadata,
    sa.Column("issue_id", sa.ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("list_id", sa.ForeignKey("mailing_list.id", ondelete="CASCADE"), primary_key=True),
)


class Issue(db.Model):
    """One edition of the newsletter, e.g. "3/2026", and the state of its sending.

    The send cursor: `max_subscriber_id` is frozen when sending starts; the batch
    actor writes delivery rows for subscribers with ids in
    (`last_subscriber_id`, `max_subscriber_id`] and advances `last_subscriber_id`.
    """

    __tablename__ = "issue"

    id = sa.Column(sa.Integer, primary_key=True)
    number = sa.Column(sa.String(40), nullable=False)
    title = sa.Column(sa.String(200), nullable=False)
    #: the archive address, /newsletter/<slug>; fixed once the issue is sent
    slug = sa.Column(sa.String(120), nullable=False, unique=True)
    #: Markdown
    intro = sa.Column(sa.Text, nullable=False, default="")
    status = sa.Column(sa.String(20), nullable=False, default=IssueStatus.DRAFT, index=True)
    scheduled_at = sa.Column(UTCDateTime, index=True)
    started_at = sa.Column(UTCDateTime)
    finished_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    #: recipients counted when sending started
    to_send = sa.Column(sa.Integer, nullable=False, default=0)
    last_subscriber_id = sa.Column(sa.Integer, nullable=False, default=0)
    max_subscriber_id = sa.Column(sa.Integer, nullable=False, default=0)
    #: deliveries that failed one after another, reset by every success
    consecutive_failures = sa.Column(sa.Integer, nullable=False, default=0)
    #: why the issue paused itself (or was paused), shown to editors
    pause_reason = sa.Column(sa.Text)

    #: the rendered mail, frozen when sending starts, per language:
    #: {"de": {"subject": ..., "html": ..., "text": ...}} with placeholders for the
    #: personal parts
    rendered = db.deferred(sa.Column(sa.JSON))  # large: loaded only when used
    #: the web version's HTML (archive page and feeds), kept when sending starts:
    #: {"intro": html, "articles": {"<article id>": html}}; see newsletter.web_version
    web_version = db.deferred(sa.Column(sa.JSON))

    lists = db.relationship("MailingList", secondary=issue_list, order_by="MailingList.position")
    articles = db.relationship(
        "Article",
        back_populates="issue",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Article.position",
    )

    @property
    def is_editable(self) -> bool:
        return self.status in (IssueStatus.DRAFT, IssueStatus.SCHEDULED)


class Article(db.Model):
    __tablename__ = "article"

    id = sa.Column(sa.Integer, primary_key=True)
    issue_id = sa.Column(sa.ForeignKey("issue.id", ondelete="CASCADE"), nullable=False, index=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    title = sa.Column(sa.String(200), nullable=False)
    #: Markdown; rendered and sanitised on output
    body = sa.Column(sa.Text, nullable=False, default="")
    #: [{"label": "...", "url": "https://..."}]
    links = sa.Column(sa.JSON, nullable=False, default=list)
    image_id = sa.Column(sa.ForeignKey("image.id", ondelete="SET NULL"))
    image_alt = sa.Column(sa.String(300), nullable=False, default="")
    #: an event the article announces: shown as a block with date, place and links
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="SET NULL"))

    issue = db.relationship(Issue, back_populates="articles")
    image = db.relationship("Image")
    event = db.relationship("Event")


class Image(db.Model):
    """An uploaded picture, kept in the database so every web process can serve it."""

    __tablename__ = "image"

    id = sa.Column(sa.Integer, primary_key=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: "image/png", "image/jpeg", "image/gif", "image/webp"
    mime = sa.Column(sa.String(40), nullable=False)
    width = sa.Column(sa.Integer, nullable=False)
    height = sa.Column(sa.Integer, nullable=False)
    #: SHA-256 of the bytes, hex; part of the URL, so a URL's content never changes
    sha256 = sa.Column(sa.String(64), nullable=False)
    data = sa.Column(sa.LargeBinary, nullable=False)


class OfficeSetting(db.Model):
    """The office's standard texts that every issue uses (disclaimer, sender name, ...)."""

    __tablename__ = "office_setting"

    key = sa.Column(sa.String(60), primary_key=True)
    value = sa.Column(sa.Text, nullable=False, default="")
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
