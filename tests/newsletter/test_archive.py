"""The public archive: the list of sent issues, one issue's web version, its images,
the feeds' autodiscovery links and the latest issue on the start page."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest

#: an article an attacker might write, in Markdown with raw HTML
HOSTILE_BODY = (
    "Vorher.\n\n"
    "<script>alert('skript')</script>\n\n"
    '<img src="x" onerror="alert(\'bild\')">\n\n'
    "[Markdown-Link](javascript:alert('md'))\n\n"
    "<a href=\"JaVaScRiPt:alert('html')\" onclick=\"alert('klick')\">HTML-Link</a>\n\n"
    "<p onmouseover=\"alert('maus')\">Nachher.</p>\n\n"
    '<iframe src="https://evil.example/"></iframe><style>body{display:none}</style>'
)
HOSTILE_TITLE = "<script>alert('titel')</script>Titel"


def hostile_markers(html: str) -> list[str]:
    """What in `html` a browser would run: script-like tags, event handler attributes,
    javascript: URLs (as text, such a URL is harmless and may stay)."""

    class Collector(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "style", "object", "embed"):
                self.found.append(f"<{tag}>")
            for name, value in attrs:
                if name.startswith("on"):
                    self.found.append(f"{tag} {name}=")
                if re.sub(r"\s", "", value or "").lower().startswith("javascript:"):
                    self.found.append(f"{tag} {name}={value}")

    collector = Collector()
    collector.feed(html)
    collector.close()
    return collector.found


def publish(
    issue_id: int,
    started_at: datetime,
    *,
    status: str = "sent",
) -> None:
    """Mark an issue as sent (or sending, paused…) at `started_at`, without mailing it."""
    from kkp.extensions import db
    from newsletter.models import Issue

    issue = db.session.get(Issue, issue_id)
    issue.status = status
    issue.started_at = started_at
    if status == "sent":
        issue.finished_at = started_at + timedelta(minutes=12)
    db.session.commit()


def png(width: int = 800, height: int = 400) -> bytes:
    from PIL import Image as PILImage

    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (11, 79, 138)).save(buffer, format="PNG")
    return buffer.getvalue()


def add_image_article(issue_id: int) -> int:
    """An article with a picture; returns the image's id."""
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.models import Issue

    issue = db.session.get(Issue, issue_id)
    picture = issues.store_image(png())
    issues.add_article(
        issue,
        title="Beleuchtung am Bahnhofsweg",
        body="Neue Leuchten seit dem Frühjahr.",
        image=picture,
        image_alt="Der Bahnhofsweg am Abend mit neuen Straßenlaternen",
    )
    db.session.commit()
    return picture.id


def add_hostile_article(issue_id: int) -> None:
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.models import Issue

    issues.add_article(db.session.get(Issue, issue_id), title=HOSTILE_TITLE, body=HOSTILE_BODY)
    db.session.commit()


def slug_of(issue_id: int) -> str:
    from kkp.extensions import db
    from newsletter.models import Issue

    return db.session.get(Issue, issue_id).slug


@pytest.fixture
def archive(ctx, compose):
    """Two sent issues, one being sent, and one each of draft, scheduled and cancelled."""
    ids = {
        "old": compose(number="1/2026", title="Sicherheit im Quartier"),
        "new": compose(number="2/2026", title="Netzwerke im Frühjahr"),
        "sending": compose(number="3/2026", title="Gerade unterwegs"),
        "draft": compose(number="4/2026", title="Noch ein Entwurf"),
        "scheduled": compose(number="5/2026", title="Schon geplant"),
        "cancelled": compose(number="6/2026", title="Abgesagt"),
    }
    # 22:30 UTC on 31 March is 1 April in Berlin (summer time, UTC+2)
    publish(ids["old"], datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    publish(ids["new"], datetime(2026, 5, 12, 7, 0, tzinfo=UTC))
    publish(ids["sending"], datetime(2026, 6, 2, 7, 0, tzinfo=UTC), status="sending")
    from kkp.extensions import db
    from newsletter.models import Issue

    scheduled = db.session.get(Issue, ids["scheduled"])
    scheduled.status, scheduled.scheduled_at = "scheduled", datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    db.session.get(Issue, ids["cancelled"]).status = "cancelled"
    db.session.commit()
    return ids


def test_the_list_shows_published_issues_newest_first_with_their_berlin_date(client, archive):
    response = client.get("/newsletter/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    positions = [
        html.index(t)
        for t in ("Gerade unterwegs", "Netzwerke im Frühjahr", "Sicherheit im Quartier")
    ]
    assert positions == sorted(positions)
    for title in ("Noch ein Entwurf", "Schon geplant", "Abgesagt"):
        assert title not in html
    assert "1. April 2026" in html  # not 31 March: the date is Berlin's
    assert "12. Mai 2026" in html
    assert f'href="/newsletter/{slug_of(archive["old"])}"' in html
    assert 'href="/subscribe"' in html
    assert 'href="/newsletter/feed.rss"' in html and 'href="/newsletter/feed.atom"' in html


def test_an_empty_archive_says_so(client, ctx):
    html = client.get("/newsletter/").get_data(as_text=True)
    assert "Bisher wurden keine Ausgaben versandt." in html


@pytest.mark.parametrize("kind", ["draft", "scheduled", "cancelled"])
def test_unpublished_issues_are_not_found(client, archive, kind):
    assert client.get(f"/newsletter/{slug_of(archive[kind])}").status_code == 404


def test_an_issue_page_is_the_web_version_without_personal_links(client, archive):
    response = client.get(f"/newsletter/{slug_of(archive['new'])}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h1>Netzwerke im Frühjahr</h1>" in html
    assert "KKP Kompakt 2/2026" in html and "12. Mai 2026" in html
    assert "<strong>neue</strong> Ausgabe" in html  # the intro, as HTML
    assert 'id="article-' in html and "Text des Artikels 2" in html
    assert 'href="https://example.org/mehr/1"' in html
    assert '<article class="issue" lang="de">' in html
    assert (
        f'<link rel="canonical" href="http://kkp.test/newsletter/{slug_of(archive["new"])}">'
        in html
    )
    for personal in ("/unsubscribe/", "/preferences/", "[[kkp:", "Hallo"):
        assert personal not in html
    # the same in English around it; the issue keeps its language
    english = client.get(f"/newsletter/{slug_of(archive['new'])}?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and '<article class="issue" lang="de">' in english


def test_an_issue_being_sent_is_already_public(client, archive):
    assert client.get(f"/newsletter/{slug_of(archive['sending'])}").status_code == 200


def test_unknown_slug_is_not_found(client, ctx):
    assert client.get("/newsletter/gibt-es-nicht").status_code == 404


@pytest.mark.parametrize("page", ["/", "/newsletter/", "issue"])
def test_pages_name_the_feeds_in_their_head(client, archive, page):
    url = f"/newsletter/{slug_of(archive['new'])}" if page == "issue" else page
    html = client.get(url).get_data(as_text=True)
    head = html.split("</head>", 1)[0]
    assert re.search(
        r'<link rel="alternate" type="application/rss\+xml" title="KKP Kompakt \(RSS\)" '
        r'href="/newsletter/feed.rss">',
        head,
    )
    assert re.search(
        r'<link rel="alternate" type="application/atom\+xml" title="KKP Kompakt \(Atom\)" '
        r'href="/newsletter/feed.atom">',
        head,
    )


def test_the_start_page_shows_the_latest_issue(client, archive):
    html = client.get("/").get_data(as_text=True)
    assert "Neueste Ausgabe" in html or "Latest issue" in html
    # the newest published one is the one being sent; drafts and planned ones don't count
    assert f'href="/newsletter/{slug_of(archive["sending"])}"' in html
    assert "KKP Kompakt 3/2026: Gerade unterwegs" in html
    assert "Schon geplant" not in html and "Noch ein Entwurf" not in html


def test_the_start_page_without_issues_has_no_latest_issue(client, lists):
    html = client.get("/").get_data(as_text=True)
    assert 'id="latest-issue-heading"' not in html
    assert "Newsletter abonnieren" in html


def test_an_image_is_served_with_its_type_and_only_under_its_digest(client, archive):
    from kkp.extensions import db
    from newsletter.models import Image

    image_id = add_image_article(archive["draft"])
    publish(archive["draft"], datetime(2026, 6, 9, 7, 0, tzinfo=UTC))
    picture = db.session.get(Image, image_id)
    url = f"/newsletter/image/{image_id}-{picture.sha256[:16]}.png"
    html = client.get(f"/newsletter/{slug_of(archive['draft'])}").get_data(as_text=True)
    assert f'src="http://kkp.test{url}"' in html
    assert 'alt="Der Bahnhofsweg am Abend mit neuen Straßenlaternen"' in html
    assert 'width="552"' in html  # an 800px picture shown at the mail's width
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == png()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in response.headers["Cache-Control"]
    wrong = "0" * 16 if not picture.sha256.startswith("0" * 16) else "1" * 16
    assert client.get(f"/newsletter/image/{image_id}-{wrong}.png").status_code == 404
    assert client.get(f"/newsletter/image/{image_id}-{picture.sha256[:8]}.png").status_code == 404
    assert (
        client.get(f"/newsletter/image/{image_id + 99}-{picture.sha256[:16]}.png").status_code
        == 404
    )


def test_hostile_content_is_neutralised_on_the_issue_page(client, archive):
    add_hostile_article(archive["draft"])
    publish(archive["draft"], datetime(2026, 6, 9, 7, 0, tzinfo=UTC))
    html = client.get(f"/newsletter/{slug_of(archive['draft'])}").get_data(as_text=True)
    main = html.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    assert hostile_markers(main) == []
    assert "Vorher." in main and "Nachher." in main
    assert "&lt;script&gt;alert(&#39;titel&#39;)&lt;/script&gt;Titel" in main
    assert ">HTML-Link</a>" in main and "Markdown-Link" in main  # the text stays, the link goes


def test_a_link_that_is_not_a_web_link_is_left_out_of_the_page(client, archive):
    """The composer refuses such links; a row written another way gets the same rule."""
    from kkp.extensions import db
    from newsletter.models import Issue

    article = db.session.get(Issue, archive["new"]).articles[0]
    article.links = [
        {"label": "Böse", "url": "javascript:alert(1)"},
        {"label": "Gut", "url": "https://example.org/gut"},
    ]
    db.session.commit()
    html = client.get(f"/newsletter/{slug_of(archive['new'])}").get_data(as_text=True)
    assert "javascript:" not in html and "Böse" not in html
    assert 'href="https://example.org/gut"' in html


def test_feed_urls_are_never_taken_for_slugs(client, archive):
    assert client.get("/newsletter/feed.rss").mimetype == "application/rss+xml"
    assert client.get("/newsletter/feed.atom").mimetype == "application/atom+xml"
