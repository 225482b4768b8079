"""The public archive: sent issues as web pages, their images, and the archive feeds."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Response, abort, current_app, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from kkp.conditional import conditional_build
from kkp.db import contains_pattern
from kkp.extensions import db
from kkp.markup import is_web_url
from kkp.office import office_name
from kkp.tables import umlaut_spellings
from newsletter import drafts, feeds
from newsletter.models import Article, Image, Issue, IssueStatus, OfficeSetting
from newsletter.pages.subscribing import bp
from newsletter.render import MAX_IMAGE_WIDTH, event_block, image_url, web_url
from newsletter.settings import office_settings
from newsletter.web_version import web_version

#: issues people may have received: shown in the archive and the feeds
PUBLISHED = (IssueStatus.SENDING, IssueStatus.PAUSED, IssueStatus.SENT)
#: the longest search text taken; the rest is cut off
MAX_QUERY = 200
#: how long a feed reader or proxy may reuse a feed without asking again, in seconds
FEED_MAX_AGE = 300


def published_issues(limit: int | None = None, *, with_articles: bool = False) -> list[Issue]:
    """Issues in the archive, newest first (ties broken by id, so the order is stable);
    `with_articles` loads their articles and the events these announce too."""
    query = (
        sa.select(Issue)
        .where(Issue.status.in_(PUBLISHED), Issue.started_at.is_not(None))
        .order_by(Issue.started_at.desc(), Issue.id.desc())
    )
    if with_articles:
        query = query.options(selectinload(Issue.articles).selectinload(Article.event))
    if limit:
        query = query.limit(limit)
    return db.session.scalars(query).all()


def search_issues(text: str) -> list[Issue]:
    """Published issues whose number, title, intro or an article's title or text
    contains `text` (case-insensitive, `%` and `_` taken literally), newest first."""
    if db.engine.dialect.name == "postgresql":
        patterns = [contains_pattern(text.lower())]  # lower() folds umlauts there
    else:
        # SQLite's lower() folds ASCII letters only: umlauts are tried as German
        # words spell them (see newsletter.search)
        spellings = umlaut_spellings(text)
        patterns = [
            contains_pattern("".join(c.lower() if c.isascii() else c for c in v)) for v in spellings
        ]

    def found(*columns) -> sa.ColumnElement[bool]:
        return sa.or_(*(sa.func.lower(c).like(p, escape="\\") for p in patterns for c in columns))

    in_articles = sa.select(Article.issue_id).where(found(Article.title, Article.body))
    query = (
        sa.select(Issue)
        .where(Issue.status.in_(PUBLISHED), Issue.started_at.is_not(None))
        .where(sa.or_(found(Issue.number, Issue.title, Issue.intro), Issue.id.in_(in_articles)))
        .order_by(Issue.started_at.desc(), Issue.id.desc())
    )
    return db.session.scalars(query).all()


@bp.route("/newsletter/")
def archive():
    q = " ".join(request.args.get("q", "").split())[:MAX_QUERY]
    return render_template(
        "newsletter/archive.html",
        issues=search_issues(q) if q else published_issues(),
        q=q,
        settings=office_settings(),
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
    had_version = issue.web_version is not None
    context = archive_context(issue, office_settings())
    if not had_version:
        db.session.commit()  # an issue sent before web versions were kept: kept now
    return render_template("newsletter/archive_issue.html", **context)


def archive_context(issue: Issue, settings: dict[str, str]) -> dict:
    """What the issue page shows: the kept web version, the event blocks as they are
    now, in the office's language."""
    config = current_app.config
    kept = web_version(issue)
    articles = []
    for article in issue.articles:
        image = article.image
        articles.append(
            {
                "id": article.id,
                "title": article.title,
                "html": kept["articles"][str(article.id)],
                # the composer accepts only web links; an older row gets the same rule
                "links": [link for link in article.links or [] if is_web_url(link.get("url", ""))],
                "image_url": image_url(image) if image else None,
                "image_alt": article.image_alt,
                "image_width": min(image.width, MAX_IMAGE_WIDTH) if image else None,
                "event": event_block(
                    article.event,
                    base_url=config["KKP_BASE_URL"],
                    locale=config["BABEL_DEFAULT_LOCALE"],
                ),
            }
        )
    return {
        "issue": issue,
        "settings": settings,
        "intro_html": kept["intro"],
        "articles": articles,
        "web_url": web_url(issue),
    }


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
    issues = published_issues(feeds.FEED_SIZE, with_articles=True)
    settings = office_settings()
    config = current_app.config
    with force_locale(config["BABEL_DEFAULT_LOCALE"]):
        common = {
            "base_url": config["KKP_BASE_URL"],
            "description": _feed_description(),
            "language": config["BABEL_DEFAULT_LOCALE"],
            "author": office_name(),
        }
    etag = feeds.fingerprint(kind, issues, settings, **common)

    def build() -> bytes:
        kept = _kept_versions(issues)
        with force_locale(config["BABEL_DEFAULT_LOCALE"]):
            return feeds.feed(kind, issues, settings, kept=kept, **common)

    return conditional_build(
        build, f"application/{kind}+xml", _last_modified(issues), etag=etag, max_age=FEED_MAX_AGE
    )


def _kept_versions(issues: list[Issue]) -> dict[int, dict]:
    """The issues' kept web versions by id, in one query; kept now (and committed) for
    issues sent before web versions were kept."""
    ids = [issue.id for issue in issues]
    kept = dict(
        db.session.execute(sa.select(Issue.id, Issue.web_version).where(Issue.id.in_(ids))).all()
    )
    missing = [issue for issue in issues if not kept.get(issue.id)]
    for issue in missing:
        kept[issue.id] = web_version(issue)
    if missing:
        db.session.commit()
    return kept


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
    # (the choice of a template is no setting the feeds show)
    settings_changed = db.session.scalar(
        sa.select(sa.func.max(OfficeSetting.updated_at)).where(
            OfficeSetting.key != drafts.TEMPLATE_KEY
        )
    )
    return max(feeds.last_change(issues), settings_changed or feeds.EPOCH)
