"""The public archive: sent issues as web pages, their images."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, abort, render_template

from kkp.extensions import db
from newsletter.blueprint import bp
from newsletter.models import Image, Issue
from newsletter.render import issue_context
from newsletter.settings import office_settings

#: issues people may have received: shown in the archive and the feeds
PUBLISHED = ("sending", "paused", "sent")


def published_issues(limit: int | None = None) -> list[Issue]:
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
    return render_template("newsletter/archive.html", issues=published_issues())


@bp.route("/newsletter/<slug>")
def archive_issue(slug: str):
    issue = db.session.scalar(
        sa.select(Issue).where(Issue.slug == slug, Issue.status.in_(PUBLISHED))
    )
    if issue is None:
        abort(404)
    return render_template(
        "newsletter/archive_issue.html", **issue_context(issue, office_settings())
    )


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
