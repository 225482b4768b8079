"""The archive as feeds: RSS 2.0 and Atom (RFC 4287), each entry an issue's full web
version (intro and articles, sanitised, absolute links, no personal links).

Pure builders: issues, their kept web versions and the office's settings in, bytes
out; the routes in `newsletter.pages.archive` only serve them, and answer a conditional
request from :func:`fingerprint` without building anything. Same data, same bytes:
every date comes from the issues and the events their articles announce, never from
the clock, and the entries keep the order they are given in, so a feed's ETag changes
only when what it shows changes (an announced event that is cancelled, say).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape, unescape
from urllib.parse import urljoin, urlsplit

from kkp.feeds import EPOCH, FeedEntry, build_feed
from kkp.markup import is_web_url
from newsletter.models import Image, Issue
from newsletter.render import event_block
from newsletter.web_version import render_web_version

#: how many issues the feeds carry, newest first
FEED_SIZE = 20
#: the widest an image is shown (as in the mail, `newsletter.render.MAX_IMAGE_WIDTH`)
MAX_IMAGE_WIDTH = 552

# The sanitiser writes every attribute as name="value" with quotes escaped inside the
# value, so a start tag splits into its attributes exactly.
_ANCHOR = re.compile(r'<a((?:\s+[\w:-]+="[^"]*")*)\s*>')
_HREF = re.compile(r'(\shref=")([^"]*)(")')


def issue_url(issue: Issue, base_url: str) -> str:
    """The issue's web version, `/newsletter/<slug>`: its permalink, guid and Atom id."""
    return f"{base_url}/newsletter/{issue.slug}"


def image_url(image: Image, base_url: str) -> str:
    """Where the archive serves an image (the same URL as `newsletter.render.image_url`)."""
    return f"{base_url}/newsletter/image/{image.id}-{image.sha256[:16]}.{image.mime.split('/')[1]}"


def last_change(issues: Sequence[Issue]) -> datetime:
    """When the newest of `issues` was published or one of the events they announce
    last changed (UTC): the feeds' `updated`.

    An issue's content is frozen once sending starts, so its `started_at` is its last
    change, but for its event blocks (a cancelled event shows as cancelled);
    `updated_at` moves with every sending batch and would change the bytes.
    Whole seconds, as RSS and HTTP dates have them.
    """
    updates = (entry_updated(issue) for issue in issues if issue.started_at)
    return max(updates, default=EPOCH).replace(microsecond=0)


def entry_updated(issue: Issue) -> datetime:
    """The issue's publication, or the later last change of an event it announces; to
    the microsecond, so issues started in the same second keep apart."""
    changes = [issue.started_at or EPOCH]
    changes += [a.event.changed_at for a in issue.articles if a.event is not None]
    return max(changes)


def event_html(block: dict) -> str:
    """An article's event block (see `newsletter.render.event_block`) as HTML."""
    words = block["words"]
    parts = [f"<p><strong>{escape(words['when'])}:</strong> {escape(block['when'])}"]
    if block["place"]:
        parts.append(f"<br><strong>{escape(words['where'])}:</strong> {escape(block['place'])}")
    if block["notes"]:
        parts.append("<br>" + escape(" ".join(block["notes"])))
    parts.append("</p><p>")
    if block["cancelled"]:
        parts.append(f"<strong>{escape(words['cancelled'])}</strong>")
    else:
        parts.append(f'<a href="{escape(block["url"])}">{escape(words["link"])}</a>')
    parts.append(f' · <a href="{escape(block["ics_url"])}">{escape(words["calendar"])}</a>')
    if block["join_url"]:
        parts.append(f' · <a href="{escape(block["join_url"])}">{escape(words["join"])}</a>')
    parts.append("</p>")
    return "".join(parts)


def issue_html(issue: Issue, *, base_url: str, locale: str = "de", kept: dict | None = None) -> str:
    """The issue's web version as one HTML fragment, every URL in it absolute; event
    blocks in `locale`.

    kept(dict): the issue's kept web version (:mod:`newsletter.web_version`), whose
    HTML is used instead of rendering the Markdown again.
    """
    if kept is None:
        kept = render_web_version(issue)
    page = issue_url(issue, base_url)
    parts = [_absolute_links(kept["intro"], page)]
    for article in issue.articles:
        parts.append(f"<h2>{escape(article.title)}</h2>")
        if article.image is not None:
            width = min(article.image.width, MAX_IMAGE_WIDTH)
            parts.append(
                f'<p><img src="{escape(image_url(article.image, base_url))}" '
                f'alt="{escape(article.image_alt)}" width="{width}"></p>'
            )
        parts.append(_absolute_links(kept["articles"][str(article.id)], page))
        block = event_block(article.event, base_url=base_url, locale=locale)
        if block is not None:
            parts.append(event_html(block))
        links = [link for link in article.links or [] if is_web_url(link.get("url", ""))]
        if links:
            items = "".join(
                f'<li><a href="{escape(link["url"])}">{escape(link.get("label") or link["url"])}'
                "</a></li>"
                for link in links
            )
            parts.append(f"<ul>{items}</ul>")
    return "\n".join(part for part in parts if part)


def feed(
    kind: str,
    issues: Sequence[Issue],
    settings: dict[str, str],
    *,
    base_url: str,
    description: str,
    author: str,
    language: str = "de",
    kept: Mapping[int, dict] | None = None,
) -> bytes:
    """RSS 2.0 ("rss") or Atom ("atom") of `issues` (newest first) as UTF-8 bytes.

    description(str): the channel's required description, in the office's language.
    author(str): Atom's required author, e.g. the office's name.
    kept(Mapping[int, dict]): each issue's kept web version by issue id; an issue
    without one is rendered.
    """
    kept = kept or {}
    entries = [
        FeedEntry(
            url=issue_url(issue, base_url),
            title=f"{issue.number}: {issue.title}",
            published=issue.started_at,
            # content is frozen once sending starts, but for the event blocks
            updated=entry_updated(issue),
            html=issue_html(issue, base_url=base_url, locale=language, kept=kept.get(issue.id)),
        )
        for issue in issues
    ]
    return build_feed(
        kind,
        entries,
        title=settings["newsletter_name"],
        description=description,
        page_url=f"{base_url}/newsletter/",
        self_url=f"{base_url}/newsletter/feed.{kind}",
        home_url=f"{base_url}/",
        updated=last_change(issues),
        author=author,
        language=language,
    )


#: bumped whenever the feeds' bytes change for the same data (a new element, another
#: layout): part of every fingerprint, so readers holding the old bytes get the new
FORMAT = 1


def fingerprint(
    kind: str,
    issues: Sequence[Issue],
    settings: dict[str, str],
    *,
    base_url: str,
    description: str,
    author: str,
    language: str = "de",
) -> str:
    """The feed's strong ETag (without quotes), from what its bytes are built of,
    without building them: a conditional request is answered from this alone.

    A sent issue cannot change (its web version is kept once), so its id and
    publication stand for it, with its articles' images and events; an event may
    change, and any write to it moves its `updated_at`.
    """
    parts: list = [FORMAT, kind, base_url, description, author, language]
    parts.append(settings["newsletter_name"])
    for issue in issues:
        parts.append((issue.id, issue.slug, issue.started_at.isoformat()))
        for article in issue.articles:  # an image or event deleted sets its id to NULL
            event = article.event
            parts.append((article.id, article.image_id, article.event_id))
            if event is not None:
                parts.append(event.updated_at.isoformat())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _absolute_links(html: str, page_url: str) -> str:
    """Relative hrefs (`/termine`, `#anker`) made absolute against the issue's page:
    feed readers resolve them against the feed, or not at all."""

    def anchor(match: re.Match) -> str:
        return _HREF.sub(href, match.group(0))

    def href(match: re.Match) -> str:
        url = unescape(match.group(2))
        try:
            if not urlsplit(url).scheme:
                url = urljoin(page_url, url)
        except ValueError:  # e.g. "http://[": a reader could not follow it either
            return ""
        return f"{match.group(1)}{escape(url)}{match.group(3)}"

    return _ANCHOR.sub(anchor, html)
