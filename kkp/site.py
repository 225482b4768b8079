"""The start page, the language switch and the health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from kkp.extensions import db
from kkp.i18n import COOKIE
from kkp.redirects import safe_local_path

bp = Blueprint("site", __name__)


@bp.get("/")
def index():
    from events.blueprint import event_rows
    from events.operations import upcoming_events
    from newsletter.archive import published_issues
    from newsletter.operations import public_lists
    from newsletter.settings import office_settings

    latest = published_issues(limit=1)
    return render_template(
        "site/index.html",
        lists=public_lists(),
        latest_issue=latest[0] if latest else None,
        newsletter_name=office_settings()["newsletter_name"],
        events=event_rows(upcoming_events(limit=5)),
    )


@bp.get("/lang/<code>")
def set_language(code: str):
    response = redirect(safe_local_path(request.args.get("next"), url_for("site.index")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie(
            COOKIE,
            code,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"],
        )
    return response


@bp.get("/healthz")
def healthz():
    from workers.broker import ping

    checks = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        ping(current_app.extensions["dramatiq"])
        checks["broker"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["broker"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "error", **checks), 200 if healthy else 503


@bp.get("/impressum")
def impressum():
    return render_template("site/impressum.html")


@bp.get("/datenschutz")
def privacy():
    from newsletter.operations import current_consent_text

    return render_template("site/privacy.html", consent=current_consent_text())


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
