"""The people: lists, subscribers, their subscriptions and consent history (with the
versioned consent texts), the suppression list and the bounces that lead to it. Used by
the newsletter and by events."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db


class SubscriberStatus(enum.StrEnum):
    """pending → confirmed, once the address is confirmed (a person who leaves is
    deleted, not marked). The database stores the value."""

    PENDING = "pending"
    CONFIRMED = "confirmed"


class SubscriptionStatus(enum.StrEnum):
    """pending → confirmed, once that list is confirmed (leaving a list deletes the
    row). The database stores the value."""

    PENDING = "pending"
    CONFIRMED = "confirmed"


class SubscriberSource(enum.StrEnum):
    """Where a subscriber came from; never changes. The database stores the value."""

    FORM = "form"
    EDITOR = "editor"
    API = "api"
    IMPORT = "import"


class ConsentAction(enum.StrEnum):
    """What a :class:`ConsentEvent` records: a sign-up requested, its confirmation mail
    sent, then confirmed; later she is added or imported by the office, leaves lists,
    or an import does not add her again to lists she left herself (import_skipped).
    lists_changed, imported and details_changed may stand in older rows. The database
    stores the value."""

    REQUESTED = "requested"
    CONFIRMATION_SENT = "confirmation_sent"
    CONFIRMED = "confirmed"
    LISTS_CHANGED = "lists_changed"
    ADDED = "added"
    IMPORTED = "imported"
    LIST_REMOVED = "list_removed"
    DETAILS_CHANGED = "details_changed"
    IMPORT_SKIPPED = "import_skipped"


class ConsentSource(enum.StrEnum):
    """Through what a :class:`ConsentEvent` happened: one of the
    :class:`SubscriberSource` values, or the person's own choice through the signed
    links in her mail. The database stores the value."""

    FORM = "form"
    EDITOR = "editor"
    API = "api"
    IMPORT = "import"
    PREFERENCES = "preferences"
    UNSUBSCRIBE = "unsubscribe"
    ONE_CLICK = "one-click"


class SuppressionReason(enum.StrEnum):
    """Why an address is on the suppression list; the database stores the value."""

    UNSUBSCRIBED = "unsubscribed"
    DELETED = "deleted"
    BOUNCED = "bounced"
    #: the person marked a mail as spam (a feedback report of her mailbox provider)
    COMPLAINED = "complained"


class ConsentPurpose(enum.StrEnum):
    """What a consent text is for: signing up for the newsletter, or registering for an
    event. The database stores the value."""

    NEWSLETTER = "newsletter"
    EVENT_REGISTRATION = "event_registration"


#: the values, for the API's choices
SUBSCRIBER_STATUSES = tuple(status.value for status in SubscriberStatus)
SUBSCRIPTION_STATUSES = tuple(status.value for status in SubscriptionStatus)
#: where a subscriber came from
SOURCES = tuple(source.value for source in SubscriberSource)


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
    #: a :class:`SubscriberStatus`
    status = sa.Column(sa.String(20), nullable=False, default=SubscriberStatus.PENDING, index=True)
    #: a :class:`SubscriberSource`
    source = sa.Column(sa.String(20), nullable=False, default=SubscriberSource.FORM)
    #: language of the mail this person gets
    locale = sa.Column(sa.String(5), nullable=False, default="de")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    #: indexed for the dashboard's "confirmed this week", which a million would read
    confirmed_at = sa.Column(UTCDateTime, index=True)

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


class Subscription(db.Model):
    """A subscriber on one list; pending until that list is confirmed."""

    __tablename__ = "subscription"
    __table_args__ = (
        sa.Index("ix_subscription_list_status", "list_id", "status", "subscriber_id"),
    )

    subscriber_id = sa.Column(sa.ForeignKey("subscriber.id", ondelete="CASCADE"), primary_key=True)
    list_id = sa.Column(sa.ForeignKey("mailing_list.id", ondelete="CASCADE"), primary_key=True)
    #: a :class:`SubscriptionStatus`
    status = sa.Column(sa.String(20), nullable=False, default=SubscriptionStatus.PENDING)
    requested_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    confirmed_at = sa.Column(UTCDateTime)

    subscriber = db.relationship(Subscriber, back_populates="subscriptions")
    mailing_list = db.relationship(MailingList)


#: what a consent text is for (see :class:`ConsentPurpose`)
CONSENT_PURPOSES = tuple(purpose.value for purpose in ConsentPurpose)


class ConsentText(db.Model):
    """The consent and privacy text shown beside the checkbox, versioned per purpose.

    Versions are numbered across purposes (the number is what records point to); a
    new version never changes an old one.
    """

    __tablename__ = "consent_text"
    __table_args__ = (sa.Index("ix_consent_text_purpose_version", "purpose", "version"),)

    version = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
    #: a :class:`ConsentPurpose`
    purpose = sa.Column(
        sa.String(30),
        nullable=False,
        default=ConsentPurpose.NEWSLETTER,
        server_default=ConsentPurpose.NEWSLETTER.value,
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
    #: a :class:`ConsentAction`
    action = sa.Column(sa.String(40), nullable=False)
    #: names of the lists concerned, at the time
    lists = sa.Column(sa.JSON, nullable=False, default=list)
    consent_version = sa.Column(sa.ForeignKey("consent_text.version"))
    #: a :class:`ConsentSource`
    source = sa.Column(sa.String(20), nullable=False, default=ConsentSource.FORM)
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
    #: a :class:`SuppressionReason`
    reason = sa.Column(sa.String(20), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)


class Bounce(db.Model):
    """A returned mail that concerned one of our deliveries: a hard or soft bounce, or a
    complaint (see :mod:`people.bounces`). The address only as its hash, as on the
    suppression list."""

    __tablename__ = "bounce"
    __table_args__ = (sa.Index("ix_bounce_email_hash_received", "email_hash", "received_at"),)

    id = sa.Column(sa.Integer, primary_key=True)
    #: the delivery the returned mail names through its return path (VERP)
    delivery_id = sa.Column(sa.ForeignKey("delivery.id", ondelete="SET NULL"), index=True)
    subscriber_id = sa.Column(sa.ForeignKey("subscriber.id", ondelete="SET NULL"), index=True)
    #: SHA-256 of the delivery's address, hex (the key of :class:`Suppression`)
    email_hash = sa.Column(sa.String(64), nullable=False)
    #: a :class:`kkp.mail.bounce_parse.BounceKind`: hard, soft or complaint
    kind = sa.Column(sa.String(20), nullable=False)
    #: the enhanced status code, e.g. "5.1.1", or ""
    status = sa.Column(sa.String(12), nullable=False, default="")
    #: the receiving server's words, at most 500 characters
    diagnostic = sa.Column(sa.String(500), nullable=False, default="")
    #: a hash of the returned mail's Message-ID (else of its bytes): each is recorded once
    message_key = sa.Column(sa.String(64), nullable=False, unique=True)
    received_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
