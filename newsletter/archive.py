"""The public archive: sent issues as web pages, their images, and the archive feeds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from kkp.conditional import conditional_response
from kkp.extensions import db
from newsletter import feeds
from newsletter.blueprint import bp
from newsletter.markup import is_web_url
from newsletter.models import Image, Issue, OfficeSetting
from newsletter.render import issue_context
from newsletter.settings import office_settings

#: issues people may have received: shown in the archive and the feeds
PUBLISHED = ("sending", "paused", "sent")
#: how long a feed reader or proxy may reuse a feed without asking again, in seconds
FEED_MAX_AGE = 300


def published_issues(limit: int | None = None) -> list[Issue]:
    """Issues in the archive, newest first (ties broken by id, so the order is stable)."""
    query = (
        sa.select(Issue)
        .where(Issue.status.in_(PUBLISHED), Issue.started_at.is_not(None))
        .order_by(Issue.started_at.desc(), Issue.id.desc())
    )
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).all()


@bp.route("/newsletter/")
def archive():
    return render_template(
        "newsletter/archive.html", issues=published_issues(), settings=office_settings()
    )


@bp.route("/newsletter/<slug>")
def archive_issue(slug: str):
    issue = db.session.scalar(
        sa.select(Issue).where(
            Issue.slug == slug, Issue.status.in_(PUBLISHED), Issue.started_at.is_not(None)
        )
    )
    if issue is None:
        abort(404)
    context = issue_context(issue, office_settings())
    for article in context["articles"]:
        # the composer accepts only web links; an older or imported row gets the same rule
        article["links"] = [link for link in article["links"] if is_web_url(link.get("url", ""))]
    return render_template("newsletter/archive_issue.html", **context)


@bp.route("/newsletter/image/<int:image_id>-<digest>.<ext>")
def image(image_id: int, digest: str, ext: str):
    picture = db.session.get(Image, image_id)
    if picture is None or not picture.sha256.startswith(digest) or len(digest) < 16:
        abort(404)
    response = Response(picture.data, mimetype=picture.mime)
    # the URL names the content's hash: it never changes
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# -- feeds -------------------------------------------------------------------------------
# Static rules outrank `<slug>` in Werkzeug's routing, and slugs never contain a dot.


@bp.route("/newsletter/feed.<any(rss, atom):kind>")
def feed(kind: str):
    issues, settings = published_issues(feeds.FEED_SIZE), office_settings()
    config = current_app.config
    with force_locale(config["BABEL_DEFAULT_LOCALE"]):
        common = {
            "base_url": config["KKP_BASE_URL"],
            "description": _feed_description(),
            "language": config["BABEL_DEFAULT_LOCALE"],
        }
        body = feeds.feed(kind, issues, settings, author=config["KKP_OFFICE_NAME"], **common)
    return conditional_response(
        body, f"application/{kind}+xml", _last_modified(issues), max_age=FEED_MAX_AGE
    )


def _feed_description() -> str:
    # the feeds speak the office's language whatever the reader's cookie says, so
    # everyone gets the same bytes
    return _(
        "News, network meetings and trainings of the coordination office for "
        "municipal crime prevention."
    )


def _last_modified(issues: list[Issue]) -> datetime:
    """The newest issue's publication, or a later change of the settings the feeds
    show (the newsletter's name)."""
    settings_changed = db.session.scalar(sa.select(sa.func.max(OfficeSetting.updated_at)))
    return max(feeds.last_change(issues), settings_changed or feeds.EPOCH)
