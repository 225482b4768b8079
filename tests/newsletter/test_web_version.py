"""Sent issues are rendered once and kept: the archive page, the feeds and their 304
answers read the kept HTML, never the Markdown again; and no article is long enough to
make rendering it expensive (`KKP_ARTICLE_MAX_LENGTH`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from kkp import markup
from kkp.extensions import db
from newsletter import feeds, issues
from newsletter.models import Article, Issue
from tests.api_client import Api, api_token
from tests.newsletter.conftest import add_confirmed
from tests.newsletter.test_archive import publish, slug_of

#: what the composer now refuses, but an issue sent before the limit may hold: Markdown
#: whose rendering takes long (unclosed brackets: markdown-it looks for a link end)
SLOW_BODY = "[" * 20_000


def article_body(n: int) -> str:
    paragraph = f"Absatz mit [Link {n}](https://example.org/{n}) und **fett**. "
    return (paragraph * 20_000)[:19_000] + SLOW_BODY[:1_000]


@pytest.fixture
def long_issue(ctx, compose):
    """An issue of ten long articles, sent before web versions were kept."""
    issue_id = compose(articles=0, number="7/2026", title="Lange Ausgabe")
    issue = db.session.get(Issue, issue_id)
    for n in range(10):
        issue.articles.append(Article(title=f"Artikel {n}", body=article_body(n), position=n))
    db.session.commit()
    publish(issue_id, datetime(2026, 5, 12, 7, 0, tzinfo=UTC))
    return issue_id


@pytest.fixture
def renders(monkeypatch):
    """How often Markdown is rendered (each to_html parses it once)."""
    calls = []
    parse = markup._md.parse

    def counting(*args, **kwargs):
        calls.append(1)
        return parse(*args, **kwargs)

    monkeypatch.setattr(markup._md, "parse", counting)
    return calls


@pytest.fixture
def builds(monkeypatch):
    """How often a feed's bytes are built."""
    calls = []
    build = feeds.feed

    def counting(*args, **kwargs):
        calls.append(1)
        return build(*args, **kwargs)

    monkeypatch.setattr(feeds, "feed", counting)
    return calls


def test_an_issue_is_rendered_once_then_read_from_what_is_kept(client, long_issue, renders):
    expected = [markup.to_html(article_body(n)) for n in range(10)]
    renders.clear()
    slug = slug_of(long_issue)

    first = client.get(f"/newsletter/{slug}")
    assert first.status_code == 200
    assert len(renders) == 11  # the intro and ten articles, once: an issue sent earlier
    page = first.get_data(as_text=True)
    assert all(html in page for html in expected)

    again = client.get(f"/newsletter/{slug}")
    assert again.get_data() == first.get_data()
    for url in ("/newsletter/", "/newsletter/feed.rss", "/newsletter/feed.atom"):
        assert client.get(url).status_code == 200
    assert len(renders) == 11, "the page or a feed rendered the Markdown again"

    atom = client.get("/newsletter/feed.atom").get_data(as_text=True)
    assert 'href="https://example.org/9"' in atom and "Link 9" in atom


def test_the_feeds_render_what_they_lack_only_once(client, long_issue, renders):
    renders.clear()
    first = client.get("/newsletter/feed.rss")
    assert len(renders) == 11
    assert client.get("/newsletter/feed.rss").data == first.data
    assert client.get(f"/newsletter/{slug_of(long_issue)}").status_code == 200
    assert len(renders) == 11


@pytest.mark.parametrize("url", ["/newsletter/feed.rss", "/newsletter/feed.atom"])
def test_a_304_builds_nothing(client, long_issue, renders, builds, url):
    full = client.get(url)
    assert builds == [1]
    renders.clear()
    for headers in (
        {"If-None-Match": full.headers["ETag"]},
        {"If-Modified-Since": full.headers["Last-Modified"]},
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 304 and response.data == b""
        assert response.headers["ETag"] == full.headers["ETag"]
    assert builds == [1] and renders == []
    # a stale ETag gets the feed, with the same ETag as before
    stale = client.get(url, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200 and stale.data == full.data
    assert stale.headers["ETag"] == full.headers["ETag"]


def test_the_kept_version_is_what_was_rendered(client, long_issue):
    """The feed from the kept HTML is the feed rendered from the Markdown."""
    response = client.get("/newsletter/feed.atom")
    issue = db.session.get(Issue, long_issue)
    fresh = feeds.feed(
        "atom",
        [issue],
        {"newsletter_name": "KKP Kompakt"},
        base_url="http://kkp.test",
        description="x",
        author="x",
    )
    entry = re.search(rb"<entry>.*</entry>", response.data, re.S).group(0)
    assert entry == re.search(rb"<entry>.*</entry>", fresh, re.S).group(0)


def test_sending_keeps_the_web_version(client, compose, lists, renders):
    from newsletter.sending import start_sending

    issue_id = compose(articles=3)
    add_confirmed([lists["kkp-kompakt"]], 1)
    start_sending(db.session.get(Issue, issue_id))
    db.session.commit()
    db.session.expire_all()
    assert set(db.session.get(Issue, issue_id).web_version["articles"]) == {
        str(a.id) for a in db.session.get(Issue, issue_id).articles
    }
    renders.clear()
    assert client.get(f"/newsletter/{slug_of(issue_id)}").status_code == 200
    assert client.get("/newsletter/feed.atom").status_code == 200
    assert renders == []


# -- the length of an article --------------------------------------------------------------

LIMIT = 20_000


@pytest.mark.parametrize("field", ["body", "intro"])
def test_the_composer_refuses_a_text_too_long_at_its_field(logged_in, compose, field):
    from tests.newsletter.test_admin_issues import current_form, post_composer

    issue_id = compose(articles=1)
    data = current_form(issue_id)
    key = "articles-0-body" if field == "body" else "intro"
    data[key] = "x" * (LIMIT + 1)
    response = post_composer(logged_in, f"/admin/issues/{issue_id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split(f'id="{key}-error"')[1].split("</")[0]
    assert "Dieser Text ist zu lang: 20.001 Zeichen, möglich sind höchstens 20.000." in error, error
    assert db.session.get(Issue, issue_id).articles[0].body != "x" * (LIMIT + 1)
    # exactly the limit is fine
    data = current_form(issue_id)
    data[key] = "x" * LIMIT
    assert post_composer(logged_in, f"/admin/issues/{issue_id}", data).status_code == 303


@pytest.mark.parametrize("field", ["body", "intro"])
def test_the_api_refuses_a_text_too_long_naming_the_field(client, editor, compose, field):
    api = Api(client, api_token(editor["id"]))
    issue_id = compose(articles=1)
    article_id = db.session.get(Issue, issue_id).articles[0].id
    path = f"/issues/{issue_id}" + (f"/articles/{article_id}" if field == "body" else "")
    response = api("PATCH", path, json={field: "x" * (LIMIT + 1)})
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"] == {
        field: "Dieser Text ist zu lang: 20.001 Zeichen, möglich sind höchstens 20.000. "
        "Bitte kürzen Sie ihn, teilen Sie ihn auf mehrere Artikel auf oder verlinken Sie den "
        "vollständigen Text."
    }
    assert api("PATCH", path, json={field: "x" * LIMIT}).status_code == 200


def test_the_limit_is_a_setting_and_the_api_document_says_it(app, client, editor, compose):
    api = Api(client, api_token(editor["id"]))
    issue_id = compose(articles=1)
    app.config["KKP_ARTICLE_MAX_LENGTH"] = 100
    try:
        document = client.get("/api/v1/openapi.json").get_json()
        schemas = document["components"]["schemas"]
        assert schemas["ArticleCreate"]["properties"]["body"]["maxLength"] == 100
        response = api("PATCH", f"/issues/{issue_id}", json={"intro": "x" * 101})
        assert set(response.get_json()["error"]["fields"]) == {"intro"}
    finally:
        app.config["KKP_ARTICLE_MAX_LENGTH"] = LIMIT
    assert (
        client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["ArticleCreate"][
            "properties"
        ]["body"]["maxLength"]
        == LIMIT
    )
    issues  # noqa: B018  (the operations are what the form and the API share)
