"""Editor sessions: one session token per editor in the cookie, compared on every
request, so that logging out and a new password end every session of that editor,
copies of the cookie included; an idle session ends; Secure cookies behind https."""

from __future__ import annotations

import hmac
import secrets
import time

from flask import Flask, current_app, g, has_request_context, request, session
from flask_login import login_user

from kkp.auth.models import Editor
from kkp.extensions import db, login_manager

#: the time of the editor's last request in this session (seconds since the epoch)
LAST_SEEN = "kkp_seen"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def start_session(editor: Editor) -> None:
    """Log `editor` in in this browser, with the editor's current session token."""
    login_user(editor)
    session[LAST_SEEN] = int(time.time())


def end_all_sessions(editor: Editor) -> None:
    """Every session of `editor` ends, in every browser (flushed with the request)."""
    editor.session_token = new_session_token()


def _idle_too_long() -> bool:
    minutes = current_app.config["KKP_EDITOR_IDLE_MINUTES"]
    if not minutes:
        return False
    seen = session.get(LAST_SEEN)
    return not isinstance(seen, int) or time.time() - seen > minutes * 60


@login_manager.user_loader
def load_editor(user_id: str) -> Editor | None:
    """The editor of this session, or None: unknown, inactive, a session token that no
    longer holds (logged out, new password) or a session idle for too long."""
    editor_id, _, token = user_id.partition(":")
    editor = db.session.get(Editor, int(editor_id)) if editor_id.isdigit() else None
    if editor is None or not editor.is_active or not token:
        return None
    if not hmac.compare_digest(editor.session_token.encode(), token.encode()):
        return None
    if _idle_too_long():
        g.kkp_session_idle = True
        session.pop("_user_id", None)
        session.pop(LAST_SEEN, None)
        return None
    if not _polling():
        session[LAST_SEEN] = int(time.time())
    return editor


def _polling() -> bool:
    """A page asking for news by itself (the progress view every 2 s): not the editor
    at work, so it does not keep an idle session alive."""
    return has_request_context() and request.path.endswith(".json") and request.method == "GET"


def ended_for_idleness() -> bool:
    """True in the request in which an idle session was ended."""
    return bool(g.get("kkp_session_idle"))


def init_app(app: Flask) -> None:
    """Cookies only over https when the site is reached by https."""
    secure = app.config["KKP_BASE_URL"].startswith("https://")
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
