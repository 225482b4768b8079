"""The feeds of upcoming events, RSS 2.0 and Atom: read back with feedparser and,
because its `bozo` flag only reports malformed XML, with the standard library's XML
parser for the elements the formats require; conditional requests; the same bytes for
the same data, whatever the clock says."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} (\+0000|GMT)"
)


@pytest.fixture
def events(make_event):
    """Three upcoming events (in person, online, hybrid), a draft and a past one."""
    later = make_event("Fortbildung Deeskalation", kind="fortbildung", days=20)
    online = make_event(
        "Online-Sprechstunde",
        days=5,
        format="online",
        venue="",
        address="",
        join_url="https://meet.example.org/geheim",
    )
    soon = make_event("Netzwerktreffen Nord", days=2, format="hybrid")
    make_event("Geheimer Entwurf", days=3, status="draft")
    past = make_event("Schon vorbei", days=-3)
    return {"soon": soon, "online": online, "later": later, "past": past}


def _newest_upcoming(events) -> datetime:
    """The feeds' last change: the past event was published after it ended, which never
    put it in the feeds."""
    return max(events[key].changed_at for key in ("soon", "online", "later"))


def _seconds(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(microsecond=0)


def test_rss_has_every_required_element(client, events):
    from events.calendar_cache import calendar_name

    response = client.get("/events/feed.rss")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == RSS_TYPE

    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == calendar_name()
    assert parsed.feed.link == "http://kkp.test/events/"
    assert [e.title for e in parsed.entries] == [
        "Netzwerktreffen Nord",
        "Online-Sprechstunde",
        "Fortbildung Deeskalation",
    ]

    channel = ET.fromstring(response.data).find("channel")
    assert channel.findtext("title") == calendar_name()
    assert channel.findtext("link") == "http://kkp.test/events/"
    assert channel.findtext("description")
    assert channel.find(f"{ATOM}link").attrib == {
        "href": "http://kkp.test/events/feed.rss",
        "rel": "self",
        "type": "application/rss+xml",
    }
    newest = _newest_upcoming(events)
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == _seconds(newest)
    items = channel.findall("item")
    for item, key in zip(items, ("soon", "online", "later"), strict=True):
        event = events[key]
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "true"
        assert guid.text == item.findtext("link") == f"http://kkp.test/events/{event.slug}"
        assert item.findtext("title") == event.title
        assert item.findtext("description")
        pub_date = item.findtext("pubDate")
        assert RFC822.fullmatch(pub_date), pub_date
        assert parsedate_to_datetime(pub_date) == _seconds(event.published_at)


def test_atom_has_every_required_element(client, events, app):
    from events.calendar_cache import calendar_name

    response = client.get("/events/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ATOM_TYPE

    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == "http://kkp.test/events/"
    assert parsed.feed.author_detail.name == app.config["KKP_OFFICE_NAME"]
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "self": "http://kkp.test/events/feed.atom",
        "alternate": "http://kkp.test/events/",
    }

    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == calendar_name()
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{name}"), name
    assert root.findtext(f"{ATOM}author/{ATOM}name") == app.config["KKP_OFFICE_NAME"]
    newest = _newest_upcoming(events)
    assert datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == _seconds(newest)
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 3
    for entry, key in zip(entries, ("soon", "online", "later"), strict=True):
        event = events[key]
        url = f"http://kkp.test/events/{event.slug}"
        assert entry.findtext(f"{ATOM}id") == url
        assert entry.findtext(f"{ATOM}title") == event.title
        updated = datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        assert updated == event.changed_at  # its own moment, fraction of a second and all
        assert entry.find(f"{ATOM}content").get("type") == "html"
        (link,) = entry.findall(f"{ATOM}link")
        assert link.get("rel", "alternate") == "alternate" and link.get("href") == url


def test_entries_say_when_and_where_never_a_join_link_behind_registration(client, events):
    from events.dates import when

    entries = feedparser.parse(client.get("/events/feed.atom").data).entries
    html = {e.title: e.content[0].value for e in entries}
    soon = events["soon"]
    assert when(soon, "de") in html["Netzwerktreffen Nord"]
    assert "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden / Online" in html["Netzwerktreffen Nord"]
    assert "Online" in html["Online-Sprechstunde"]
    assert "meet.example.org" not in "".join(html.values())
    assert f'href="http://kkp.test/events/{soon.slug}"' in html["Netzwerktreffen Nord"]
    assert "Austausch der Netzwerkpartner" in html["Fortbildung Deeskalation"]


@pytest.mark.parametrize("url", ["/events/feed.rss", "/events/feed.atom"])
def test_conditional_get_and_same_bytes(client, events, url):
    full = client.get(url)
    again = client.get(url)
    assert full.data == again.data and full.headers["ETag"] == again.headers["ETag"]
    etag = full.headers["ETag"]
    assert not etag.startswith("W/")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    since = full.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": since}).status_code == 304
    both = client.get(url, headers={"If-None-Match": '"other"', "If-Modified-Since": since})
    assert both.status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "kaputt"}).status_code == 200


def test_an_edit_changes_the_entry_but_not_its_id(client, events):
    from events.operations import input_from, update_event
    from kkp.extensions import db

    before = client.get("/events/feed.atom")
    event = events["online"]
    data = input_from(event)
    data.title = "Online-Sprechstunde (verschoben)"
    update_event(event, data)
    db.session.commit()
    after = client.get("/events/feed.atom", headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    entry = feedparser.parse(after.data).entries[1]
    assert entry.title == "Online-Sprechstunde (verschoben)"
    assert entry.id == f"http://kkp.test/events/{event.slug}"
    assert datetime(*entry.updated_parsed[:6], tzinfo=UTC) == _seconds(event.changed_at)
    assert datetime(*feedparser.parse(after.data).feed.updated_parsed[:6], tzinfo=UTC) == (
        _seconds(event.changed_at)
    )


def test_a_cancelled_event_leaves_the_feed(client, events):
    from events.operations import cancel_event
    from kkp.extensions import db

    cancel_event(events["online"])
    db.session.commit()
    parsed = feedparser.parse(client.get("/events/feed.rss").data)
    assert [e.title for e in parsed.entries] == ["Netzwerktreffen Nord", "Fortbildung Deeskalation"]
    updated = parsedate_to_datetime(parsed.feed.updated)
    assert updated == _seconds(events["online"].cancelled_at)


def test_the_builders_give_the_same_bytes_whenever_they_run(ctx, events):
    from events import feeds
    from events.operations import upcoming_events

    upcoming = upcoming_events()
    common = {"title": "T", "description": "D", "base_url": "http://kkp.test"}
    updated = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
    first = feeds.feed("atom", upcoming, author="A", updated=updated, **common)
    assert feeds.feed("atom", upcoming, author="A", updated=updated, **common) == first
    assert b"2026-05-01T08:00:00+00:00" in first
    rss = feeds.feed("rss", upcoming, author="A", updated=updated, **common)
    assert feeds.feed("rss", upcoming, author="A", updated=updated, **common) == rss


def test_empty_feeds_are_valid(client, ctx):
    for url, version in (("/events/feed.rss", "rss20"), ("/events/feed.atom", "atom10")):
        response = client.get(url)
        assert response.status_code == 200
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo and parsed.version == version and parsed.entries == []
