"""The archive feeds, RSS 2.0 and Atom: read back with feedparser and, because its
`bozo` flag only reports malformed XML, with the standard library's XML parser for the
elements the formats require; conditional requests; the same bytes for the same data."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import feedparser
import pytest

from tests.newsletter.test_archive import (
    add_hostile_article,
    add_image_article,
    hostile_markers,
    png,
    publish,
    slug_of,
)

ATOM = "{http://www.w3.org/2005/Atom}"
RSS_TYPE = "application/rss+xml; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
#: RFC 822 (with RFC 1123's four-digit year), as RSS 2.0 asks for pubDate
RFC822 = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"\d{4} \d{2}:\d{2}:\d{2} (\+0000|GMT)"
)

OLD = datetime(2026, 3, 31, 22, 30, 5, 250_000, tzinfo=UTC)
NEW = datetime(2026, 5, 12, 7, 0, tzinfo=UTC)


@pytest.fixture
def published(ctx, compose):
    """Two sent issues (the older one with a picture) and a draft beside them."""
    old = compose(number="1/2026", title="Sicherheit im Quartier")
    image_id = add_image_article(old)
    publish(old, OLD)
    new = compose(number="2/2026", title="Netzwerke im Frühjahr", articles=3)
    publish(new, NEW)
    draft = compose(number="3/2026", title="Geheimer Entwurf")
    return {"old": old, "new": new, "draft": draft, "image": image_id}


def _get(client, url, **headers):
    return client.get(url, headers=headers)


# -- RSS -----------------------------------------------------------------------------------


def test_rss_has_every_required_element(client, published):
    response = client.get("/newsletter/feed.rss")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == RSS_TYPE

    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "KKP Kompakt"
    assert parsed.feed.link == "http://kkp.test/newsletter/"
    assert parsed.feed.subtitle.startswith("Neuigkeiten") or parsed.feed.subtitle.startswith("News")
    assert [e.title for e in parsed.entries] == [
        "2/2026: Netzwerke im Frühjahr",
        "1/2026: Sicherheit im Quartier",
    ]
    first = parsed.entries[0]
    assert first.id == first.link == f"http://kkp.test/newsletter/{slug_of(published['new'])}"
    assert datetime(*first.published_parsed[:6], tzinfo=UTC) == NEW
    assert "Text des Artikels 3" in first.summary

    # the required elements, read by a parser that is neither feedgen's nor feedparser's
    channel = ET.fromstring(response.data).find("channel")
    assert channel.findtext("title") == "KKP Kompakt"
    assert channel.findtext("link") == "http://kkp.test/newsletter/"
    assert channel.findtext("description")
    self_link = channel.find(f"{ATOM}link")
    assert self_link.attrib == {
        "href": "http://kkp.test/newsletter/feed.rss",
        "rel": "self",
        "type": "application/rss+xml",
    }
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == NEW
    items = channel.findall("item")
    assert len(items) == 2
    for item, when, key in zip(items, (NEW, OLD), ("new", "old"), strict=True):
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "true"
        assert guid.text == item.findtext("link")
        assert guid.text == f"http://kkp.test/newsletter/{slug_of(published[key])}"
        pub_date = item.findtext("pubDate")
        assert RFC822.fullmatch(pub_date), pub_date
        assert parsedate_to_datetime(pub_date) == when.replace(microsecond=0)
        assert item.findtext("title") and item.findtext("description")


def test_atom_has_every_required_element(client, published):
    response = client.get("/newsletter/feed.atom")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == ATOM_TYPE

    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "KKP Kompakt"
    assert parsed.feed.id == "http://kkp.test/newsletter/"
    assert parsed.feed.author_detail.name == "Geschäftsstelle KKP"
    assert datetime(*parsed.feed.updated_parsed[:6], tzinfo=UTC) == NEW
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "self": "http://kkp.test/newsletter/feed.atom",
        "alternate": "http://kkp.test/newsletter/",
    }
    second = parsed.entries[1]
    assert second.id == f"http://kkp.test/newsletter/{slug_of(published['old'])}"
    assert second.link == second.id  # the alternate link
    assert datetime(*second.updated_parsed[:6], tzinfo=UTC) == OLD.replace(microsecond=0)
    assert datetime(*second.published_parsed[:6], tzinfo=UTC) == OLD.replace(microsecond=0)
    assert second.content[0].type == "text/html"
    assert "Neue Leuchten seit dem Frühjahr." in second.content[0].value

    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.findtext(f"{ATOM}{name}"), name
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Geschäftsstelle KKP"
    assert any(
        link.get("rel") == "self" and link.get("href") == "http://kkp.test/newsletter/feed.atom"
        for link in root.findall(f"{ATOM}link")
    )
    assert root.findtext(f"{ATOM}updated") == "2026-05-12T07:00:00+00:00"
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated", "published"):
            assert entry.findtext(f"{ATOM}{name}"), name
        assert entry.find(f"{ATOM}content").get("type") == "html"
        (link,) = entry.findall(f"{ATOM}link")
        assert link.get("rel", "alternate") == "alternate"  # no rel means alternate
        assert link.get("href") == entry.findtext(f"{ATOM}id")


def test_an_empty_archive_still_gives_valid_feeds(client, ctx):
    for url, version in (("/newsletter/feed.rss", "rss20"), ("/newsletter/feed.atom", "atom10")):
        response = client.get(url)
        assert response.status_code == 200
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo and parsed.version == version and parsed.entries == []
        assert parsed.feed.title == "KKP Kompakt"


# -- content -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_entries_carry_the_whole_web_version_with_absolute_urls(client, published, url):
    from kkp.extensions import db
    from newsletter.models import Image

    entry = feedparser.parse(client.get(url).data).entries[1]
    html = entry.content[0].value if "content" in entry else entry.summary
    assert "Liebe Netzwerkpartnerinnen und -partner" in html  # the intro
    for n in (1, 2):
        assert f"Artikel {n}" in html and f'href="https://example.org/mehr/{n - 1}"' in html
    picture = db.session.get(Image, published["image"])
    src = f"http://kkp.test/newsletter/image/{picture.id}-{picture.sha256[:16]}.png"
    assert f'src="{src}"' in html
    assert 'alt="Der Bahnhofsweg am Abend mit neuen Straßenlaternen"' in html
    assert client.get(src.removeprefix("http://kkp.test")).data == png()
    for personal in ("/unsubscribe/", "/preferences/", "[[kkp:"):
        assert personal not in html


def test_relative_links_become_absolute(ctx, compose):
    from kkp.extensions import db
    from newsletter import feeds, issues
    from newsletter.models import Issue

    issue_id = compose(articles=0)
    issues.add_article(
        db.session.get(Issue, issue_id),
        title="Termine",
        body=(
            "[Termine](/events/) und [Abschnitt](#unten) und [Post](mailto:kkp@example.org) "
            'und <a href="veranstaltung?id=1&amp;x=2" title="a &quot;b&quot;">hier</a>'
        ),
    )
    db.session.commit()
    issue = db.session.get(Issue, issue_id)
    html = feeds.issue_html(issue, base_url="https://kkp.example")
    page = f"https://kkp.example/newsletter/{issue.slug}"
    assert 'href="https://kkp.example/events/"' in html
    assert f'href="{page}#unten"' in html
    assert 'href="mailto:kkp@example.org"' in html
    assert 'href="https://kkp.example/newsletter/veranstaltung?id=1&amp;x=2"' in html
    assert 'title="a &quot;b&quot;"' in html


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_drafts_and_unsent_issues_never_appear(client, published, url):
    from kkp.extensions import db
    from newsletter.models import Issue

    for status in ("draft", "scheduled", "cancelled"):
        db.session.get(Issue, published["draft"]).status = status
        db.session.commit()
        body = client.get(url).get_data(as_text=True)
        assert "Geheimer Entwurf" not in body and slug_of(published["draft"]) not in body


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_hostile_content_is_neutralised(client, published, url):
    add_hostile_article(published["draft"])
    publish(published["draft"], datetime(2026, 6, 1, 7, 0, tzinfo=UTC))
    root = ET.fromstring(client.get(url).data)
    if root.tag == "rss":
        html = root.find("channel/item").findtext("description")
    else:
        html = root.find(f"{ATOM}entry").findtext(f"{ATOM}content")
    # `html` is the markup a reader's viewer gets once the XML is unwrapped
    assert "Vorher." in html and "Nachher." in html
    assert hostile_markers(html) == []
    assert "&lt;script&gt;alert(&#x27;titel&#x27;)&lt;/script&gt;Titel" in html or (
        "&lt;script&gt;alert(&#39;titel&#39;)&lt;/script&gt;Titel" in html
    )


def test_only_the_newest_issues_are_in_the_feeds(client, ctx, compose):
    from newsletter.feeds import FEED_SIZE

    for n in range(FEED_SIZE + 2):
        publish(
            compose(number=f"{n + 1}/2025", articles=0, title=f"Ausgabe {n + 1}"),
            datetime(2025, 1, 1 + n, 8, 0, tzinfo=UTC),
        )
    parsed = feedparser.parse(client.get("/newsletter/feed.atom").data)
    titles = [e.title for e in parsed.entries]
    assert len(titles) == FEED_SIZE
    assert titles[0] == f"{FEED_SIZE + 2}/2025: Ausgabe {FEED_SIZE + 2}"
    assert "1/2025: Ausgabe 1" not in titles and "2/2025: Ausgabe 2" not in titles


# -- stable bytes and conditional requests -------------------------------------------------


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_the_same_data_gives_the_same_bytes(client, published, url):
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.models import Issue

    first = client.get(url)
    assert client.get(url).data == first.data
    # unrelated changes: a draft edited, a new draft, another reader's language
    draft = db.session.get(Issue, published["draft"])
    issues.update_issue(draft, number="3/2026", title="Anderer Titel", intro="Neu.")
    issues.create_issue(number="4/2026", title="Noch ein Entwurf")
    db.session.commit()
    again = client.get(url)
    assert again.data == first.data
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Last-Modified"] == first.headers["Last-Modified"]
    assert client.get(url + "?lang=en").data == first.data


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_a_new_issue_changes_etag_and_last_modified(client, published, url):
    first = client.get(url)
    later = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
    publish(published["draft"], later)
    second = client.get(url)
    assert second.headers["ETag"] != first.headers["ETag"]
    assert second.headers["Last-Modified"] == "Mon, 01 Jun 2026 07:00:00 GMT"
    assert client.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
    assert (
        client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}).status_code
        == 200
    )


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_conditional_requests(client, published, url):
    response = client.get(url)
    etag = response.headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/
    assert response.headers["Last-Modified"] == "Tue, 12 May 2026 07:00:00 GMT"
    assert "max-age" in response.headers["Cache-Control"]

    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.data == b""
    assert not_modified.headers["ETag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"other", {etag}'}).status_code == 304
    assert client.head(url, headers={"If-None-Match": etag}).status_code == 304

    since = response.headers["Last-Modified"]
    assert client.get(url, headers={"If-Modified-Since": since}).status_code == 304
    later = "Wed, 13 May 2026 07:00:00 GMT"
    assert client.get(url, headers={"If-Modified-Since": later}).status_code == 304
    earlier = "Tue, 12 May 2026 06:59:59 GMT"
    assert client.get(url, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "gestern"}).status_code == 200

    # If-None-Match decides when both are sent
    both = {"If-None-Match": '"other"', "If-Modified-Since": later}
    assert client.get(url, headers=both).status_code == 200


def test_a_changed_newsletter_name_moves_last_modified(client, published):
    from kkp.extensions import db
    from newsletter.settings import save_settings

    first = client.get("/newsletter/feed.atom")
    save_settings({"newsletter_name": "KKP Aktuell"})
    db.session.commit()
    second = client.get("/newsletter/feed.atom")
    assert feedparser.parse(second.data).feed.title == "KKP Aktuell"
    assert second.headers["ETag"] != first.headers["ETag"]
    # the settings changed now, after the newest issue: a reader asking by date gets it
    headers = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/newsletter/feed.atom", headers=headers).status_code == 200


def test_issues_started_by_one_tick_keep_their_own_updated(client, ctx, lists, compose):
    """Two issues scheduled for the same minute start in the same second; each entry
    keeps its own `updated`, the moment its sending started (W3C: DuplicateUpdated)."""
    from datetime import timedelta

    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue
    from tests.kkp.test_feed_validity import atom_warnings
    from tests.newsletter.conftest import add_confirmed

    add_confirmed([lists["kkp-kompakt"]], 2)
    at = utcnow() + timedelta(minutes=5)
    ids = [compose(number="4/2026"), compose(number="5/2026", title="Sonderausgabe")]
    for issue_id in ids:
        sending.schedule(db.session.get(Issue, issue_id), at)
    db.session.commit()
    assert sending.start_due(at) == 2
    started = {db.session.get(Issue, i).slug: db.session.get(Issue, i).started_at for i in ids}

    data = client.get("/newsletter/feed.atom").data
    assert atom_warnings(data, "http://kkp.test/newsletter/feed.atom") == []
    for entry in ET.fromstring(data).findall(f"{ATOM}entry"):
        slug = entry.findtext(f"{ATOM}id").rsplit("/", 1)[1]
        assert entry.findtext(f"{ATOM}updated") == started[slug].isoformat()
