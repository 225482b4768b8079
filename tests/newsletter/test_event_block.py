"""An article that announces an event: the event block with date, place and links in the
preview, the mail (HTML and text), the web version and the feeds; linking in the
composer and through the API."""

from __future__ import annotations

import html
import re
from datetime import time, timedelta

import feedparser
import pytest
import sqlalchemy as sa

from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from newsletter.models import Article, Issue
from tests.api_client import Api, api_token
from tests.helpers import csrf_token, html_of, parse_mail, post_form, text_of

BASE = "http://kkp.test"


@pytest.fixture
def event(ctx):
    """event(title, status=, days=, **EventInput fields) → a stored event (published
    unless `status="draft"`), 10:00–12:00 Berlin time `days` days from today."""
    from events.operations import (
        EventInput,
        create_event,
        ensure_default_kinds,
        kinds,
        publish_event,
    )

    ensure_default_kinds()
    kind_ids = {k.slug: k.id for k in kinds()}

    def make(title="Netzwerktreffen Süd", *, status="published", days=20, **fields):
        day = (utcnow().astimezone(BERLIN) + timedelta(days=days)).date()
        values = {
            "kind_id": kind_ids[fields.pop("kind", "netzwerktreffen")],
            "title": title,
            "format": "in_person",
            "venue": "Bürgerhaus Lindenau",
            "address": "Marktstraße 4, 04177 Leipzig",
            "start_day": day,
            "start_time": time(10, 0),
            "end_time": time(12, 0),
            **fields,
        }
        created = create_event(EventInput(**values))
        if status == "published":
            publish_event(created)
        db.session.commit()
        return created

    return make


def de(message: str) -> str:
    """`message` as the German mail shows it (the catalog is filled in separately)."""
    from flask_babel import force_locale, gettext

    with force_locale("de"):
        return gettext(message)


def when_de(event) -> str:
    from events.dates import when

    return when(event, "de")


def link(issue_id: int, event_id: int | None, index: int = 0) -> None:
    from newsletter import issues

    article = db.session.get(Issue, issue_id).articles[index]
    issues.update_article(
        article, title=article.title, body=article.body, links=article.links, event_id=event_id
    )
    db.session.commit()


def preview(client, issue_id: int) -> tuple[str, str]:
    """The mail HTML and text the preview shows."""
    page = client.get(f"/admin/issues/{issue_id}/preview").get_data(as_text=True)
    src = html.unescape(re.search(r'<iframe [^>]*src="([^"]*)"', page).group(1))
    frame = client.get(src).get_data(as_text=True)
    text = re.search(r'<pre id="preview-text">(.*?)</pre>', page, re.S).group(1)
    return frame, html.unescape(text)


def publish_issue(issue_id: int) -> str:
    issue = db.session.get(Issue, issue_id)
    issue.status, issue.started_at = "sent", utcnow() - timedelta(hours=1)
    issue.finished_at = utcnow()
    db.session.commit()
    return issue.slug


# -- the block ---------------------------------------------------------------------------


def test_preview_shows_date_place_and_both_links(logged_in, compose, event):
    issue_id = compose(articles=2)
    training = event(
        "Fortbildung Sicherheitsaudit",
        kind="fortbildung",
        capacity=16,
        deadline_day=(utcnow().astimezone(BERLIN) + timedelta(days=10)).date(),
    )
    link(issue_id, training.id, index=1)
    mail_html, mail_text = preview(logged_in, issue_id)
    for part in (mail_html, mail_text):
        assert when_de(training) in part
        assert "10:00–12:00 Uhr" in part  # Berlin time, as entered
        assert "Bürgerhaus Lindenau, Marktstraße 4, 04177 Leipzig" in part
        assert f"{BASE}/events/{training.slug}" in part
        assert f"{BASE}/events/{training.slug}.ics" in part
        assert de("Register") in part and de("Add to calendar") in part
        # below the second article, not the first
        assert part.index("Artikel 2") < part.index(when_de(training))
    assert "<mj-" not in mail_html
    assert f'href="{BASE}/events/{training.slug}"' in mail_html
    assert f'href="{BASE}/events/{training.slug}.ics"' in mail_html
    assert "16" in mail_text.split(when_de(training), 1)[1].split("\n- ", 1)[0]


def test_the_test_mail_carries_the_block_in_html_and_text(
    logged_in, compose, event, mail, worker, drain
):
    issue_id = compose(articles=1)
    meeting = event("Netzwerktreffen Süd", format="hybrid", join_url="https://meet.example.org/s")
    link(issue_id, meeting.id)
    response = post_form(
        logged_in,
        f"/admin/issues/{issue_id}/test",
        {"addresses": "anna@example.org"},
        page=f"/admin/issues/{issue_id}/preview",
    )
    assert response.status_code == 303
    msg = parse_mail(mail.wait_for(1)[0]["data"])
    drain()
    for part in (html_of(msg), text_of(msg)):
        assert when_de(meeting) in part
        assert "Bürgerhaus Lindenau, Marktstraße 4, 04177 Leipzig / Online" in part  # hybrid
        assert f"{BASE}/events/{meeting.slug}.ics" in part
        assert de("Register") in part
        # the join link goes to registered participants only
        assert "meet.example.org" not in part
    assert "<mj-" not in html_of(msg)


def test_online_event_without_registration(logged_in, compose, event):
    issue_id = compose(articles=1)
    info = event(
        "Infoveranstaltung Förderprogramm",
        kind="infoveranstaltung",
        format="online",
        venue="",
        address="",
        join_url="https://meet.example.org/foerderung",
        registration_mode="none",
    )
    link(issue_id, info.id)
    mail_html, mail_text = preview(logged_in, issue_id)
    for part in (mail_html, mail_text):
        assert f"{de('Where')}: Online" in re.sub(r"<[^>]+>", "", part)
        assert de("Details") in part and de("Register") not in part
        assert f"{BASE}/events/{info.slug}" in part
        assert "https://meet.example.org/foerderung" in part  # open to all: no registration


def test_cancelled_event_shows_as_cancelled(logged_in, compose, event):
    from events.operations import cancel_event

    issue_id = compose(articles=1)
    meeting = event()
    link(issue_id, meeting.id)
    cancel_event(meeting)
    db.session.commit()
    cancelled = de("Event cancelled")
    mail_html, mail_text = preview(logged_in, issue_id)
    for part in (mail_html, mail_text):
        assert cancelled in part
        assert de("Register") not in part
        assert f'{BASE}/events/{meeting.slug}"' not in part  # no register link
        assert f"{BASE}/events/{meeting.slug}.ics" in part
    slug = publish_issue(issue_id)
    page = logged_in.get(f"/newsletter/{slug}").get_data(as_text=True)
    assert cancelled in page and f'href="{BASE}/events/{meeting.slug}"' not in page


def test_web_version_and_feeds_show_the_block(client, compose, event):
    issue_id = compose(articles=1)
    meeting = event()
    link(issue_id, meeting.id)
    slug = publish_issue(issue_id)
    page = client.get(f"/newsletter/{slug}").get_data(as_text=True)
    assert when_de(meeting) in page
    assert "Bürgerhaus Lindenau, Marktstraße 4, 04177 Leipzig" in page
    assert f'href="{BASE}/events/{meeting.slug}"' in page
    assert f'href="{BASE}/events/{meeting.slug}.ics"' in page
    first = {}
    for url in ("/newsletter/feed.rss", "/newsletter/feed.atom"):
        response = client.get(url)
        first[url] = response.headers["ETag"]
        parsed = feedparser.parse(response.data)
        assert not parsed.bozo
        content = parsed.entries[0].content[0].value if "atom" in url else parsed.entries[0].summary
        assert when_de(meeting) in content
        assert "Bürgerhaus Lindenau" in content
        assert f'href="{BASE}/events/{meeting.slug}"' in content
        assert f'href="{BASE}/events/{meeting.slug}.ics"' in content

    from events.operations import cancel_event

    cancel_event(db.session.get(type(meeting), meeting.id))
    db.session.commit()
    for url in ("/newsletter/feed.rss", "/newsletter/feed.atom"):
        response = client.get(url, headers={"If-None-Match": first[url]})
        assert response.status_code == 200  # the feed shows the cancellation
        assert de("Event cancelled") in response.get_data(as_text=True)


# -- linking in the composer -------------------------------------------------------------


def composer_data(issue: Issue, **article_fields) -> dict:
    article = issue.articles[0]
    return {
        "number": issue.number,
        "title": issue.title,
        "intro": issue.intro,
        "lists": [str(m.id) for m in issue.lists],
        "action": "save",
        "articles-0-id": str(article.id),
        "articles-0-title": article.title,
        "articles-0-body": article.body,
        "articles-0-links": "",
        "articles-0-image_alt": "",
        **{f"articles-0-{k}": v for k, v in article_fields.items()},
    }


def post_composer(client, issue_id: int, data: dict):
    url = f"/admin/issues/{issue_id}"
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


def stored_event_id(issue_id: int) -> int | None:
    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(sa.select(Article.event_id).where(Article.issue_id == issue_id))


def test_composer_lists_published_upcoming_events_and_links_one(logged_in, compose, event):
    logged_in.set_cookie("kkp_lang", "en")
    issue_id = compose(articles=1)
    meeting = event("Netzwerktreffen Süd")
    draft = event("Gremiensitzung Entwurf", status="draft")
    past = event("Netzwerktreffen Vorjahr", days=-30)
    page = logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="articles-0-event_id".*?</select>', page, re.S).group(0)
    assert "Linked event" in page
    assert f'value="{meeting.id}"' in select and "Netzwerktreffen Süd" in select
    assert f'value="{draft.id}"' not in select and f'value="{past.id}"' not in select

    issue = db.session.get(Issue, issue_id)
    response = post_composer(logged_in, issue_id, composer_data(issue, event_id=str(meeting.id)))
    assert response.status_code == 303
    assert stored_event_id(issue_id) == meeting.id
    page = logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{meeting.id}"|value="{meeting.id}" selected', page)


@pytest.mark.parametrize("which", ["draft", "unknown", "garbage"])
def test_composer_refuses_a_draft_or_unknown_event(logged_in, compose, event, which):
    logged_in.set_cookie("kkp_lang", "en")
    issue_id = compose(articles=1)
    draft = event("Gremiensitzung Entwurf", status="draft")
    value = {"draft": str(draft.id), "unknown": "999999", "garbage": "abc"}[which]
    issue = db.session.get(Issue, issue_id)
    data = composer_data(issue, event_id=value, title="Neuer Titel")
    response = post_composer(logged_in, issue_id, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = re.search(r'<p class="error" id="articles-0-event_id-error">([^<]*)</p>', page)
    assert error, page
    expected = "published" if which == "draft" else "Please choose from the events shown"
    assert expected in error.group(1)
    assert 'value="Neuer Titel"' in page  # everything typed is still there
    assert stored_event_id(issue_id) is None
    assert db.session.get(Issue, issue_id).articles[0].title == "Artikel 1"  # nothing stored


def test_a_cancelled_event_stays_linked_when_the_article_is_edited(logged_in, compose, event):
    from events.operations import cancel_event

    logged_in.set_cookie("kkp_lang", "en")
    issue_id = compose(articles=1)
    meeting = event()
    link(issue_id, meeting.id)
    cancel_event(meeting)
    db.session.commit()
    page = logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{meeting.id}">[^<]*\(cancelled\)', page)
    issue = db.session.get(Issue, issue_id)
    data = composer_data(issue, event_id=str(meeting.id), title="Abgesagt: Netzwerktreffen")
    assert post_composer(logged_in, issue_id, data).status_code == 303
    assert stored_event_id(issue_id) == meeting.id
    # but a cancelled event cannot be linked anew
    other = compose(articles=1, number="4/2026")
    data = composer_data(db.session.get(Issue, other), event_id=str(meeting.id))
    assert post_composer(logged_in, other, data).status_code == 422
    assert stored_event_id(other) is None


# -- the API -----------------------------------------------------------------------------


def test_api_article_event_id_round_trips(client, editor, lists, event):
    api = Api(client, api_token(editor["id"]))
    meeting, draft = event(), event("Gremiensitzung Entwurf", status="draft")
    created = api(
        "POST", "/issues", json={"number": "5/2026", "title": "Termine", "list_ids": []}
    ).get_json()
    path = f"/issues/{created['id']}/articles"
    response = api("POST", path, json={"title": "Netzwerktreffen", "event_id": meeting.id})
    assert response.status_code == 201, response.get_data(as_text=True)
    article = response.get_json()
    assert article["event_id"] == meeting.id
    detail = api("GET", f"/issues/{created['id']}").get_json()
    assert detail["articles"][0]["event_id"] == meeting.id

    changed = api("PATCH", f"{path}/{article['id']}", json={"title": "Neu"}).get_json()
    assert changed["event_id"] == meeting.id  # kept when not sent
    for bad in (draft.id, 999_999):
        response = api("PATCH", f"{path}/{article['id']}", json={"event_id": bad})
        assert response.status_code == 422
        assert set(response.get_json()["error"]["fields"]) == {"event_id"}
    response = api("POST", path, json={"title": "Entwurf", "event_id": draft.id})
    assert response.status_code == 422
    assert api("PATCH", f"{path}/{article['id']}", json={"event_id": "x"}).status_code == 422
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1
    assert db.session.get(Article, article["id"]).event_id == meeting.id

    unlinked = api("PATCH", f"{path}/{article['id']}", json={"event_id": None}).get_json()
    assert unlinked["event_id"] is None
