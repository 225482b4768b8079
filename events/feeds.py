"""Upcoming events as feeds: RSS 2.0 and Atom (RFC 4287), soonest first.

Pure builders: events in, bytes out; the routes in `events.pages.published` only serve
them, and `kkp.feeds` writes them (same data, same bytes). An entry's id is the
event's page, which keeps its address when the title changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from events.calendars import location
from events.dates import when
from events.models import Event
from kkp.feeds import EPOCH, FeedEntry, build_feed  # noqa: F401  (EPOCH: the routes)

#: how many upcoming events the feeds carry, soonest first
FEED_SIZE = 50


def event_url(event: Event, base_url: str) -> str:
    """The event's page, `/events/<slug>`: its permalink, guid and Atom id."""
    return f"{base_url}/events/{event.slug}"


def entry_html(event: Event, *, base_url: str, locale: str) -> str:
    """Date, place (or "Online"), the short text and the link to the page, as HTML."""
    parts = [f"<p><strong>{escape(when(event, locale))}</strong></p>"]
    place = location(event, with_join_url=False)
    if place:
        parts.append(f"<p>{escape(place)}</p>")
    if event.summary.strip():
        parts.append(f"<p>{escape(event.summary.strip())}</p>")
    url = event_url(event, base_url)
    parts.append(f'<p><a href="{escape(url)}">{escape(url)}</a></p>')
    return "\n".join(parts)


def feed(
    kind: str,
    events: Sequence[Event],
    *,
    title: str,
    description: str,
    base_url: str,
    updated: datetime,
    author: str,
    language: str = "de",
) -> bytes:
    """RSS 2.0 ("rss") or Atom ("atom") of `events` (in the order given) as UTF-8 bytes.

    updated(datetime): the feed's last change, from the data.
    author(str): Atom's required author, e.g. the office's name.
    """
    entries = [
        FeedEntry(
            url=event_url(event, base_url),
            title=event.title,
            published=event.published_at or event.changed_at,
            updated=event.changed_at,
            html=entry_html(event, base_url=base_url, locale=language),
            category=(event.kind.slug, event.kind.label(language)),
        )
        for event in events
    ]
    return build_feed(
        kind,
        entries,
        title=title,
        description=description,
        page_url=f"{base_url}/events/",
        self_url=f"{base_url}/events/feed.{kind}",
        home_url=f"{base_url}/",
        updated=updated,
        author=author,
        language=language,
    )
