"""Editor accounts, API tokens and the audit log."""

from __future__ import annotations

import enum
import secrets

import sqlalchemy as sa
from flask_login import UserMixin

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db


class EditorRole(enum.StrEnum):
    """An admin manages editors and tokens; an editor does the daily work. Set when the
    account is made; the database stores the value."""

    ADMIN = "admin"
    EDITOR = "editor"


ROLES = tuple(role.value for role in EditorRole)


class AuditChannel(enum.StrEnum):
    """Through what an action came: the editors' pages, the API, the command line, a
    background job or a public page. The database stores the value."""

    WEB = "web"
    API = "api"
    CLI = "cli"
    WORKER = "worker"
    PUBLIC = "public"


class Editor(UserMixin, db.Model):
    __tablename__ = "editor"

    id = sa.Column(sa.Integer, primary_key=True)
    #: login address, stored lower-case
    email = sa.Column(sa.String(254), nullable=False, unique=True)
    name = sa.Column(sa.String(200), nullable=False, default="")
    #: an :class:`EditorRole`
    role = sa.Column(sa.String(20), nullable=False, default=EditorRole.EDITOR)
    #: argon2id hash
    password_hash = sa.Column(sa.String(255), nullable=False)
    is_active_account = sa.Column(sa.Boolean, nullable=False, default=True)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at = sa.Column(UTCDateTime)
    #: in every session cookie of the editor; a new one (logout, new password) ends them all
    session_token = sa.Column(
        sa.String(64), nullable=False, default=lambda: secrets.token_urlsafe(32)
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.is_active_account

    def get_id(self) -> str:  # Flask-Login: what the session cookie holds
        return f"{self.id}:{self.session_token}"

    @property
    def is_admin(self) -> bool:
        return self.role == EditorRole.ADMIN


class ApiToken(db.Model):
    __tablename__ = "api_token"

    id = sa.Column(sa.Integer, primary_key=True)
    editor_id = sa.Column(sa.ForeignKey("editor.id", ondelete="CASCADE"), nullable=False)
    name = sa.Column(sa.String(200), nullable=False)
    #: SHA-256 of the secret; the secret itself is shown once and never stored
    token_hash = sa.Column(sa.String(64), nullable=False, unique=True)
    #: the first characters of the secret, to tell tokens apart in lists
    prefix = sa.Column(sa.String(12), nullable=False)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at = sa.Column(UTCDateTime)
    revoked_at = sa.Column(UTCDateTime)

    editor = db.relationship(Editor)


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id = sa.Column(sa.Integer, primary_key=True)
    at = sa.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    #: who acted: an editor, or null for the system and subscribers themselves
    editor_id = sa.Column(sa.ForeignKey("editor.id", ondelete="SET NULL"))
    #: an :class:`AuditChannel`
    channel = sa.Column(sa.String(20), nullable=False, default=AuditChannel.WEB)
    #: dotted verb, e.g. "subscriber.create"
    action = sa.Column(sa.String(80), nullable=False)
    object_type = sa.Column(sa.String(40))
    object_id = sa.Column(sa.Integer)
    #: ids and changed field names only, never subscriber addresses
    details = sa.Column(sa.JSON, nullable=False, default=dict)

    editor = db.relationship(Editor)
