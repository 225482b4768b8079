"""Materials of an event or a course: files and links its participants find on their
own page once it has begun, and in the follow-up mail."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db


class MaterialKind(enum.StrEnum):
    """The database stores the value."""

    FILE = "file"
    LINK = "link"


class EventMaterial(db.Model):
    """A file (its bytes in the database) or a link, of a single event or of a course
    (a series booked whole); exactly one of `event_id`, `series_id` is set."""

    __tablename__ = "event_material"
    __table_args__ = (
        sa.CheckConstraint(
            "(event_id IS NULL) <> (series_id IS NULL)", name="ck_material_one_owner"
        ),
        sa.Index("ix_event_material_owner", "event_id", "series_id", "position"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    series_id = sa.Column(sa.ForeignKey("event_series.id", ondelete="CASCADE"))
    #: the order on the page and in the mail, smallest first
    position = sa.Column(sa.Integer, nullable=False, default=0)
    title = sa.Column(sa.String(200), nullable=False)
    #: a :class:`MaterialKind`
    kind = sa.Column(sa.String(10), nullable=False)
    #: a link's http(s) address; empty for a file
    url = sa.Column(sa.String(2000), nullable=False, default="")
    #: a file's cleaned name, with the extension its first bytes call for
    filename = sa.Column(sa.String(200), nullable=False, default="")
    #: a file's media type, read from its first bytes
    content_type = sa.Column(sa.String(100), nullable=False, default="")
    #: a file's size in bytes; 0 for a link
    size = sa.Column(sa.Integer, nullable=False, default=0)
    data = sa.Column(sa.LargeBinary)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
