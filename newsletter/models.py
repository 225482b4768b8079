"""The newsletter's own rows: imports, issues, articles, images, the office's settings.

The people (lists, subscribers, consent, suppression) are :mod:`people.models`; their
names are re-exported here for the newsletter's modules.
"""

from __future__ import annotations

import enum

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db
from people.models import (  # noqa: F401  (re-exported)
    CONSENT_PURPOSES,
    SOURCES,
    SUBSCRIBER_STATUSES,
    SUBSCRIPTION_STATUSES,
    ConsentAction,
    ConsentEvent,
    ConsentPurpose,
    ConsentSource,
    ConsentText,
    MailingList,
    Subscriber,
    SubscriberSource,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)


class ImportStatus(enum.StrEnum):
    """uploaded (waiting for the editor's column mapping and choices) → queued → running
    → done | failed; a running job whose worker died is taken up again (still running).
    The database stores the value."""

    UPLOADED = "uploaded"
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class ExistingPolicy(enum.StrEnum):
    """What an import does with a person who is subscribed already; the database
    stores the value. Whatever it is, a list she left herself and a suppressed
    address stay as they are."""

    #: leave her as she is
    SKIP = "skip"
    #: take the name and organisation from the file (where the file has one)
    UPDATE = "update"
    #: put her on the chosen lists; her name and organisation stay
    ADD_LISTS = "add_lists"


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
    #: an :class:`ImportStatus`
    status = sa.Column(sa.String(20), nullable=False, default=ImportStatus.QUEUED)
    #: the field each column of the file goes to, in the order of the header row
    #: ("email", "name", "first_name", "last_name", "organisation", "language", or ""
    #: to ignore the column); None: found by the header's names
    column_fields = sa.Column(sa.JSON)
    #: what happens to people already subscribed (:class:`ExistingPolicy`)
    existing = sa.Column(
        sa.String(20),
        nullable=False,
        default=ExistingPolicy.ADD_LISTS,
        server_default=ExistingPolicy.ADD_LISTS.value,
    )
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

    @property
    def path(self) -> str:
        """Where the archive serves it (newsletter.pages.archive.image); never changes."""
        return f"/newsletter/image/{self.id}-{self.sha256[:16]}.{self.mime.split('/')[1]}"


class OfficeSetting(db.Model):
    """The office's standard texts that every issue uses (disclaimer, sender name, ...)."""

    __tablename__ = "office_setting"

    key = sa.Column(sa.String(60), primary_key=True)
    value = sa.Column(sa.Text, nullable=False, default="")
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class IssueTally(db.Model):
    """How many of an issue's deliveries each chunk handed over, beside the deliveries:
    the progress of a send to a million reads a few thousand of these, not a million
    delivery rows that the send keeps changing. Each chunk adds to a row of its own
    (no sending thread waits for another's counter), in the transaction that marks its
    deliveries sent, and only with the rows that statement moved to "sent": a
    delivery becomes "sent" once, only in a chunk, and never leaves it."""

    __tablename__ = "issue_tally"

    issue_id = sa.Column(sa.ForeignKey("issue.id", ondelete="CASCADE"), primary_key=True)
    #: the first delivery id of the chunk (0: what was sent before tallies were kept)
    chunk = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    sent = sa.Column(sa.Integer, nullable=False, default=0)
