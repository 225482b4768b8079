"""Editors, passwords, API tokens and the audit log."""

from __future__ import annotations

import functools
import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user

from kkp.addresses import AddressError, normalise_address
from kkp.auth.models import ROLES, ApiToken, AuditChannel, AuditEntry, Editor, EditorRole
from kkp.auth.sessions import end_all_sessions
from kkp.db import utcnow
from kkp.extensions import db

MIN_PASSWORD_LENGTH = 10


class EditorError(ValueError):
    pass


@functools.cache
def _hasher_of(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    """The hasher of a cost, and a hash of its cost that the login compares against
    when the address is unknown, so both cases take as long."""
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    return hasher, hasher.hash("not a password")


def _hasher() -> tuple[PasswordHasher, str]:
    """The hasher of the cost the config asks for (KKP_PASSWORD_HASH_…)."""
    config = current_app.config
    return _hasher_of(config["KKP_PASSWORD_HASH_TIME_COST"], config["KKP_PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def create_editor(
    email: str, *, role: str = EditorRole.EDITOR, password: str, name: str = ""
) -> Editor:
    if role not in ROLES:
        raise EditorError(f"role must be one of {', '.join(ROLES)}")
    try:
        email = normalise_address(email, local_domains=True)
    except AddressError as exc:
        raise EditorError(str(exc)) from exc
    if len(password) < MIN_PASSWORD_LENGTH:
        raise EditorError(_("The password needs at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))
    if db.session.scalar(sa.select(Editor.id).where(Editor.email == email)):
        raise EditorError(_("There is an editor with this address already."))
    editor = Editor(email=email, role=role, name=name, password_hash=hash_password(password))
    db.session.add(editor)
    db.session.flush()
    audit("editor.create", editor, role=role)
    return editor


def known_form(email: str) -> str:
    """The address as editors are stored (the address policy's form), for look-ups."""
    try:
        return normalise_address(email, smtputf8=True, local_domains=True)
    except AddressError:
        return email.strip().lower()


def authenticate(email: str, password: str) -> Editor | None:
    editor = db.session.scalar(sa.select(Editor).where(Editor.email == known_form(email)))
    hasher, dummy_hash = _hasher()
    try:
        hasher.verify(editor.password_hash if editor else dummy_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if editor is None or not editor.is_active:
        return None
    if hasher.check_needs_rehash(editor.password_hash):
        editor.password_hash = hash_password(password)
    editor.last_login_at = utcnow()
    return editor


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def _token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(editor: Editor, name: str) -> tuple[ApiToken, str]:
    """A new API token; the secret is returned once and only its hash stored."""
    secret = "kkp_" + secrets.token_urlsafe(32)
    token = ApiToken(
        editor=editor,
        name=name.strip()[:200] or "API",
        token_hash=_token_hash(secret),
        prefix=secret[:12],
    )
    db.session.add(token)
    db.session.flush()
    audit("api_token.create", token)
    return token, secret


def revoke_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    audit("api_token.revoke", token)


def editor_for_token(secret: str) -> Editor | None:
    token = db.session.scalar(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _token_hash(secret), ApiToken.revoked_at.is_(None)
        )
    )
    if token is None or not token.editor.is_active:
        return None
    token.last_used_at = utcnow()
    g.kkp_api_token = token
    return token.editor


def acting_editor() -> Editor | None:
    if not has_request_context():
        return g.get("kkp_editor") if g else None
    editor = g.get("kkp_editor")
    if editor is not None:
        return editor
    if current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def audit(action: str, obj=None, **details) -> None:
    """Record who changed what; details hold ids and field names, never addresses."""
    editor = acting_editor()
    channel = (
        g.get("kkp_channel", AuditChannel.WEB) if has_request_context() else AuditChannel.WORKER
    )
    db.session.add(
        AuditEntry(
            editor_id=editor.id if editor else None,
            channel=channel,
            action=action,
            object_type=type(obj).__name__ if obj is not None else None,
            object_id=getattr(obj, "id", None),
            details=details,
        )
    )


def change_password(editor: Editor, current: str, new: str) -> None:
    """Raises :class:`EditorError` when `current` is wrong or `new` too short."""
    try:
        _hasher()[0].verify(editor.password_hash, current)
    except (VerificationError, InvalidHashError) as exc:
        raise EditorError("current password wrong") from exc
    if len(new) < MIN_PASSWORD_LENGTH:
        raise EditorError(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    editor.password_hash = hash_password(new)
    end_all_sessions(editor)
    audit("editor.password_change", editor)
