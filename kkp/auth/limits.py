"""Limits on guessing passwords: failed attempts are counted (not logins), per account
and per client address, in the rate-limit storage (Flask-Limiter's `deduct_when`).

A locked account or address is refused even with the right password until the window
has passed; the answer says when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, g, request
from flask_babel import format_time
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from kkp.auth.operations import known_form
from kkp.errors import error_response
from kkp.extensions import limiter


def record_failure() -> None:
    """This request was a failed attempt: it counts against its account and address."""
    g.kkp_attempt_failed = True


def _failed(_response) -> bool:
    return bool(g.get("kkp_attempt_failed"))


def _account_from_form() -> str:
    """The account tried, hashed: limiter keys end up in its storage and log lines."""
    typed = (request.form.get("email") or "").strip()
    email = known_form(typed) if typed else ""  # one key for every spelling of it
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32] if email else ""


def _account_logged_in() -> str:
    return f"editor:{current_user.id}" if current_user.is_authenticated else ""


def _too_many(limit):
    """The answer to a locked account or address: when to try again, in words."""
    until = max(limit.reset_at, g.get("kkp_locked_until", 0))
    g.kkp_locked_until = until
    at = format_time(datetime.fromtimestamp(until + 59, UTC), "short")
    response, status = error_response(
        429, _("Too many failed attempts to log in. Please try again at %(time)s.", time=at)
    )
    response.status_code = status
    return response


def _limit(key: Callable[[], str]):
    return limiter.limit(
        lambda: current_app.config["KKP_LOGIN_LIMIT"],
        key_func=key,
        methods=["POST"],
        deduct_when=_failed,
        on_breach=_too_many,
    )


def limit_login_failures(view):
    """Failed logins counted per account tried and per client address."""
    return _limit(get_remote_address)(_limit(_account_from_form)(view))


def limit_password_failures(view):
    """Wrong current passwords (changing one's password) per editor and per address."""
    return _limit(get_remote_address)(_limit(_account_logged_in)(view))
