"""The start page, the language switch, the health check (liveness) and the readiness
check."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import (
    Blueprint,
    Response,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup

from events.operations import upcoming_events
from events.pages.events import event_rows
from kkp.extensions import db, limiter
from kkp.forms import form_errors
from kkp.i18n import COOKIE
from kkp.markup import to_html
from kkp.redirects import safe_local_path
from kkp.tasks import ping
from newsletter.operations import current_consent_text, public_lists
from newsletter.pages.archive import published_issues
from newsletter.settings import LEGAL_PAGES, legal_page, office_settings, stored_settings
from people.models import ConsentPurpose
from service.accessibility import FeedbackForm, queue_feedback

bp = Blueprint("site", __name__)


@bp.get("/")
def index():
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


@bp.get("/readyz")
@limiter.exempt
def readyz():
    """Ready to serve: the database at the newest migration and the broker answering;
    else 503 and the reason in a line (no details: anyone may ask)."""
    try:
        with db.engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        if current != _migration_heads(current_app.extensions["migrate"].migrate.directory):
            return _plain("not ready: the database is not migrated (kkp db upgrade)", 503)
    except Exception as exc:  # noqa: BLE001 - any failure is a finding
        return _plain(f"not ready: database unreachable ({type(exc).__name__})", 503)
    try:
        ping(current_app.extensions["dramatiq"])
    except Exception as exc:  # noqa: BLE001
        return _plain(f"not ready: broker unreachable ({type(exc).__name__})", 503)
    return _plain("ready", 200)


@functools.cache
def _migration_heads(directory: str) -> set[str]:
    return set(ScriptDirectory(directory).get_heads())


def _plain(text: str, status: int) -> Response:
    return Response(
        text + "\n", status, mimetype="text/plain", headers={"Cache-Control": "no-store"}
    )


@bp.app_context_processor
def _legal_links() -> dict:
    """Where every page's footer links lead: the office's pages, else ours (/impressum,
    /datenschutz). Read once per request, and only by templates that use it."""

    def legal_links() -> dict[str, str]:
        cache = request.environ if has_request_context() else {}
        if "kkp.legal_links" not in cache:
            stored = stored_settings()
            cache["kkp.legal_links"] = {
                name: legal_page(name, stored).url or path
                for name, (_variable, path) in LEGAL_PAGES.items()
            }
        return cache["kkp.legal_links"]

    return {"legal_links": legal_links}


def _legal_page(name: str, template: str, **context):
    """The office's text (Markdown, sanitised), a redirect to its page elsewhere, or,
    until the office set either, a plain note with the office's contact."""
    stored = stored_settings()
    page = legal_page(name, stored)
    if page.url:
        return redirect(page.url)
    return render_template(
        template,
        text=_page_html(page.text),
        contact_email=stored.get("contact_email", ""),
        **context,
    )


def _page_html(text: str) -> Markup | None:
    """The office's Markdown as a page's body (sanitised), or None if it is empty."""
    if not text.strip():
        return None
    html = to_html(text)
    # to_html puts an article's headings below its title (h3, h4); here the page's
    # title is the h1, so they move up one level
    html = html.replace("<h3>", "<h2>").replace("</h3>", "</h2>")
    html = html.replace("<h4>", "<h3>").replace("</h4>", "</h3>")
    return Markup(html)


@bp.get("/impressum")
def impressum():
    return _legal_page("impressum", "site/impressum.html")


@bp.get("/datenschutz")
def privacy():
    return _legal_page(
        "privacy",
        "site/privacy.html",
        consent=current_consent_text(ConsentPurpose.NEWSLETTER),
        event_consent=current_consent_text(ConsentPurpose.EVENT_REGISTRATION),
    )


def _form_limit() -> str:
    return current_app.config["KKP_PUBLIC_FORM_LIMIT"]


@bp.route("/barrierefreiheit", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def accessibility():
    """The accessibility statement (BITV 2.0): the office's text, else ours, and a form
    to report a barrier."""
    stored = stored_settings()
    form = FeedbackForm()
    if form.validate_on_submit():
        queue_feedback(
            name=form.name.data or "", email=form.email.data or "", message=form.message.data
        )
        db.session.commit()
        return redirect(url_for("site.accessibility_thanks"), 303)
    return render_template(
        "site/accessibility.html",
        text=_page_html(stored.get("accessibility_text", "")),
        contact_email=stored.get("contact_email", ""),
        form=form,
        errors=form_errors(form) if request.method == "POST" else {},
    ), (422 if request.method == "POST" else 200)


@bp.get("/barrierefreiheit/danke")
def accessibility_thanks():
    return render_template("site/accessibility_thanks.html")


@bp.get("/favicon.ico")
def favicon():
    return redirect(url_for("static", filename="favicon.svg"), code=301)
