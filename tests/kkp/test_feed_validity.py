"""Every feed passes the W3C Feed Validation Service without a warning, with the demo
content (events and issues made as the app makes them, all in one second).

The rules of the validator that these feeds could break are checked here directly.
With `KKP_FEEDVALIDATOR` pointing at the `src` folder of a checkout of
github.com/w3c/feedvalidator (it needs `html5lib`), the validator itself runs too; it is
on no package registry this project may install from, so without that variable its
test is deselected (not skipped: nothing is missing that CI could have).
"""

from __future__ import annotations

import os
import re
import sys
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import pytest

# once, in the SQLite pass: what a feed reader sees does not depend on the database
pytestmark = pytest.mark.sqlite_only

ATOM = "{http://www.w3.org/2005/Atom}"
FEEDS = ("/events/feed.atom", "/events/feed.rss", "/newsletter/feed.atom", "/newsletter/feed.rss")
#: the validator's RFC 3339 (feedvalidator/validators.py, class rfc3339)
RFC3339 = re.compile(r"^\d\d\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d*)?(Z|([+-]\d\d:\d\d))$")


@pytest.fixture
def demo_feeds(client, ctx):
    from service.demo import seed

    assert seed().startswith("demo content added")
    feeds = {}
    for path in FEEDS:
        response = client.get(path)
        assert response.status_code == 200, path
        feeds[path] = response.data
    return feeds


def _duplicates(values: list[str]) -> list[str]:
    return sorted({v for v in values if values.count(v) > 1})


def atom_warnings(data: bytes, url: str) -> list[str]:
    root = ElementTree.fromstring(data)
    found = []
    entries = root.findall(f"{ATOM}entry")
    if not entries:
        found.append("no entries to check")
    # DuplicateUpdated: "Two entries with the same value for atom:updated"
    updated = [e.findtext(f"{ATOM}updated") for e in entries]
    found += [f"DuplicateUpdated {v}" for v in _duplicates(updated)]
    found += [
        f"DuplicateEntries {v}" for v in _duplicates([e.findtext(f"{ATOM}id") for e in entries])
    ]
    dates = [root.findtext(f"{ATOM}updated")]
    dates += [e.findtext(f"{ATOM}{name}") for e in entries for name in ("updated", "published")]
    found += [f"InvalidRFC3339Date {d}" for d in dates if d is None or not RFC3339.match(d)]
    selves = [link.get("href") for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    if selves != [url]:
        found.append(f"SelfDoesntMatchLocation {selves}")
    for name in ("id", "title", "updated", "author"):
        if root.find(f"{ATOM}{name}") is None:
            found.append(f"MissingElement {name}")
    return found


def rss_warnings(data: bytes, url: str) -> list[str]:
    channel = ElementTree.fromstring(data).find("channel")
    found = []
    items = channel.findall("item")
    if not items:
        found.append("no items to check")
    found += [f"DuplicateItem {v}" for v in _duplicates([i.findtext("guid") for i in items])]
    for item in items:
        try:
            parsedate_to_datetime(item.findtext("pubDate"))
        except (TypeError, ValueError):
            found.append(f"InvalidRFC2822Date {item.findtext('pubDate')}")
    selves = [
        link.get("href") for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"
    ]
    if selves != [url]:
        found.append(f"MissingAtomSelfLink or SelfDoesntMatchLocation {selves}")
    for name in ("title", "link", "description"):
        if not channel.findtext(name):
            found.append(f"MissingElement {name}")
    return found


@pytest.mark.parametrize("path", FEEDS)
def test_feeds_with_the_demo_content_raise_no_warning(demo_feeds, path):
    url = f"http://kkp.test{path}"
    check = atom_warnings if path.endswith(".atom") else rss_warnings
    assert check(demo_feeds[path], url) == []


def test_entries_updated_in_one_second_stay_apart(demo_feeds):
    """Six events published by one command: each entry has its own `updated`, the
    moment its event changed, to the microsecond the database keeps."""
    from events.models import Event
    from kkp.extensions import db

    root = ElementTree.fromstring(demo_feeds["/events/feed.atom"])
    shown = {
        e.findtext(f"{ATOM}id").rsplit("/", 1)[1]: e.findtext(f"{ATOM}updated")
        for e in root.iter(f"{ATOM}entry")
    }
    assert len(shown) >= 5
    events = {e.slug: e.changed_at for e in db.session.query(Event) if e.slug in shown}
    assert len(events) == len(shown)
    assert len({at.replace(microsecond=0) for at in events.values()}) < len(events)  # one second
    for slug, at in events.items():
        assert shown[slug] == at.isoformat(), slug


@pytest.mark.feedvalidator
@pytest.mark.parametrize("path", FEEDS)
def test_the_w3c_feed_validator_finds_nothing(demo_feeds, path):
    sys.path.insert(0, os.environ["KKP_FEEDVALIDATOR"])
    try:
        import feedvalidator
        from feedvalidator import compatibility
        from feedvalidator.formatter.text_plain import Formatter
    finally:
        sys.path.pop(0)
    url = f"http://kkp.test{path}"
    events = feedvalidator.validateString(demo_feeds[path], firstOccurrenceOnly=1, base=url)
    assert list(Formatter(compatibility.AA(events["loggedEvents"]))) == []
