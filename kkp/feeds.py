"""RSS 2.0 and Atom (RFC 4287) from plain entries: the one feed builder behind the
newsletter archive's feeds and the events' feeds.

Same data, same bytes: every date comes from the entries and `updated`, never from
the clock (feedgen stamps the build time unless told), no generator version is
written, and entries keep the order they are given in (feedgen's `add_entry`
prepends unless told otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

#: what an empty feed gives as its last change
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MIMETYPES = {"rss": "application/rss+xml", "atom": "application/atom+xml"}


@dataclass(frozen=True)
class FeedEntry:
    #: the entry's page: its id, guid (permalink) and link
    url: str
    title: str
    published: datetime
    #: the entry's last change; Atom keeps its fraction of a second
    updated: datetime
    #: the content, HTML
    html: str
    #: (term, label), e.g. an event's kind
    category: tuple[str, str] | None = None


def whole_second(value: datetime) -> datetime:
    """UTC in whole seconds, as RSS and HTTP dates have them."""
    return value.astimezone(UTC).replace(microsecond=0)


def build_feed(
    kind: str,
    entries: Iterable[FeedEntry],
    *,
    title: str,
    description: str,
    page_url: str,
    self_url: str,
    home_url: str,
    updated: datetime,
    author: str,
    language: str = "de",
) -> bytes:
    """The feed as UTF-8 bytes; `kind` is "rss" or "atom".

    page_url(str): the HTML page the feed mirrors, also the feed's id (one id for both
    formats: the page outlives any format). updated(datetime): the feed's last change,
    from the data.
    """
    if kind not in MIMETYPES:
        raise ValueError(f"kind must be rss or atom, not {kind!r}")
    feed = FeedGenerator()
    feed.id(page_url)
    feed.title(title)
    feed.subtitle(description)  # also RSS's description
    feed.language(language)
    # RSS takes the last link as the channel's link: the page
    feed.link(href=self_url, rel="self", type=MIMETYPES[kind])
    feed.link(href=page_url, rel="alternate", type="text/html")
    # feedgen writes its own name and version otherwise: bytes would change on upgrade
    feed.generator(title, uri=home_url)
    feed.updated(whole_second(updated))
    for item in entries:
        entry = feed.add_entry(order="append")
        entry.id(item.url)
        entry.guid(item.url, permalink=True)
        entry.title(item.title)
        # feedgen drops an entry link's rel; an Atom link without rel is "alternate"
        entry.link(href=item.url, rel="alternate", type="text/html")
        entry.published(whole_second(item.published))
        # to the microsecond, as stored: entries changed in the same second (a command
        # that publishes several events) keep apart, and feed validators expect each
        # entry's `updated` to be its own (W3C: DuplicateUpdated)
        entry.updated(item.updated.astimezone(UTC))
        if item.category:
            term, label = item.category
            entry.category(term=term, label=label)
        entry.content(item.html, type="html")
    if kind == "atom":
        feed.author({"name": author, "uri": home_url})
        return feed.atom_str(pretty=True)
    return feed.rss_str(pretty=True)
