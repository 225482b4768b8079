"""Upcoming events as feeds: RSS 2.0 and Atom (RFC 4287), soonest first.

Pure builders: events in, bytes out; the routes in `events.published` only serve
them. Same data, same bytes: every date comes from the events, never from the clock,
and the entries keep the order they are given in (feedgen's `add_entry` prepends
unless told otherwise). An entry's id is the event's page, which keeps its address
when the title changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from html import escape

from feedgen.feed import FeedGenerator

from events.calendars import location
from events.dates import when
from events.models import Event

#: how many upcoming events the feeds carry, soonest first
FEED_SIZE = 50
#: what an empty feed gives as its last change
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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


def rss(
    events: Sequence[Event],
    *,
    title: str,
    description: str,
    base_url: str,
    updated: datetime,
    language: str = "de",
) -> bytes:
    """RSS 2.0 of `events` (in the order given) as UTF-8 bytes.

    updated(datetime): the feed's last change, from the data (`lastBuildDate`).
    """
    feed = _feed(
        events,
        title=title,
        description=description,
        base_url=base_url,
        self_url=f"{base_url}/events/feed.rss",
        self_type="application/rss+xml",
        updated=updated,
        language=language,
    )
    return feed.rss_str(pretty=True)


def atom(
    events: Sequence[Event],
    *,
    title: str,
    description: str,
    base_url: str,
    updated: datetime,
    author: str,
    language: str = "de",
) -> bytes:
    """Atom (RFC 4287) of `events` (in the order given) as UTF-8 bytes.

    author(str): the feed's required author, e.g. the office's name.
    """
    feed = _feed(
        events,
        title=title,
        description=description,
        base_url=base_url,
        self_url=f"{base_url}/events/feed.atom",
        self_type="application/atom+xml",
        updated=updated,
        language=language,
    )
    feed.author({"name": author, "uri": f"{base_url}/"})
    return feed.atom_str(pretty=True)


def _feed(
    events: Sequence[Event],
    *,
    title: str,
    description: str,
    base_url: str,
    self_url: str,
    self_type: str,
    updated: datetime,
    language: str,
) -> FeedGenerator:
    list_url = f"{base_url}/events/"
    feed = FeedGenerator()
    feed.id(list_url)  # one id for both formats: the list, which outlives any format
    feed.title(title)
    feed.subtitle(description)  # also RSS's description
    feed.language(language)
    # RSS takes the last link as the channel's link: the list of events
    feed.link(href=self_url, rel="self", type=self_type)
    feed.link(href=list_url, rel="alternate", type="text/html")
    # feedgen writes its own name and version otherwise: bytes would change on upgrade
    feed.generator(title, uri=f"{base_url}/")
    # feedgen stamps the build time here unless told; the data decides instead
    feed.updated(_second(updated))
    for event in events:
        url = event_url(event, base_url)
        entry = feed.add_entry(order="append")  # the default prepends
        entry.id(url)
        entry.guid(url, permalink=True)
        entry.title(event.title)
        # feedgen drops an entry link's rel; an Atom link without rel is "alternate"
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(_second(event.published_at or event.changed_at))
        entry.updated(_second(event.changed_at))
        entry.category(term=event.kind.slug, label=event.kind.label(language))
        entry.content(entry_html(event, base_url=base_url, locale=language), type="html")
    return feed


def _second(value: datetime) -> datetime:
    """Whole seconds, as RSS and HTTP dates have them."""
    return value.astimezone(UTC).replace(microsecond=0)
