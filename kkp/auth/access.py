"""Guards for the editors' interface."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app
from flask_login import current_user


def protect(bp: Blueprint) -> None:
    """Every route of an admin blueprint needs a logged-in editor."""

    @bp.before_request
    def _require_editor():
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        return None


def admin_required(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.is_authenticated or not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper
