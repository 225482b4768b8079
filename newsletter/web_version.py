"""A sent issue's web version, rendered once and kept.

An issue cannot change once sending starts, so its Markdown is turned into HTML then
(:func:`keep_web_version`, called by :func:`newsletter.sending.start_sending`) and the
archive page and the feeds read the kept HTML, never the Markdown again. Issues sent
before versions were kept get theirs at their first view, once. What can still change
is read live and is cheap: the event blocks (a cancelled event shows as cancelled)
and the office's settings.
"""

from __future__ import annotations

from kkp import markup
from newsletter.models import Issue


def render_web_version(issue: Issue) -> dict:
    """The issue's sanitised HTML: `{"intro": html, "articles": {"<article id>": html}}`."""
    return {
        "intro": markup.to_html(issue.intro),
        "articles": {str(article.id): markup.to_html(article.body) for article in issue.articles},
    }


def keep_web_version(issue: Issue) -> dict:
    """Render the web version and keep it with the issue (the caller commits)."""
    issue.web_version = render_web_version(issue)
    return issue.web_version


def web_version(issue: Issue) -> dict:
    """The kept web version; rendered and kept now for an issue sent before versions
    were kept (the request commits it)."""
    kept = issue.web_version
    if not kept or set(kept.get("articles", {})) != {str(a.id) for a in issue.articles}:
        kept = keep_web_version(issue)
    return kept
