"""The editors' issue pages through HTTP: composing in one form, preview, test mail,
sending and scheduling, progress with pause, resume and cancel, the standard texts;
mail goes through Redis, the Dramatiq worker and a real SMTP server."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa
from PIL import Image as PILImage

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from kkp.i18n import NonexistentTime, berlin_to_utc
from newsletter import issue_table
from newsletter.models import Article, Image, Issue, OfficeSetting
from tests.helpers import csrf_token, parse_mail, post_form
from tests.newsletter.conftest import add_confirmed


@pytest.fixture
def english(logged_in):
    """Messages are checked in English: the German catalog is filled in separately."""
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (width, height), (11, 79, 138)).save(out, "PNG")
    return out.getvalue()


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def fresh(issue_id: int) -> Issue:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Issue, issue_id)


def form_data(
    *,
    number="4/2026",
    title="Sicher im Quartier",
    intro="Liebe Kolleginnen und Kollegen,",
    lists=(),
    articles=(),
    action="save",
) -> dict:
    """The composer's fields as the browser sends them; `image` as (bytes, filename)."""
    data = {"number": number, "title": title, "intro": intro, "action": action}
    data["lists"] = [str(i) for i in lists]
    for i, article in enumerate(articles):
        for key in ("id", "title", "body", "links", "image_alt"):
            data[f"articles-{i}-{key}"] = str(article.get(key, ""))
        if article.get("remove_image"):
            data[f"articles-{i}-remove_image"] = "y"
        content, filename = article.get("image") or (b"", "")
        data[f"articles-{i}-image"] = (io.BytesIO(content), filename)
    return data


def post_composer(client, url: str, data: dict):
    token = csrf_token(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token}, content_type="multipart/form-data")


def stored_articles(issue_id: int) -> list[dict]:
    return [
        {"id": a.id, "title": a.title, "body": a.body, "links": a.links}
        for a in fresh(issue_id).articles
    ]


def current_form(issue_id: int, **changes) -> dict:
    """The form as the composer shows the stored issue, with `changes` on top."""
    issue = fresh(issue_id)
    articles = [
        {
            "id": a.id,
            "title": a.title,
            "body": a.body,
            "links": "\n".join(f"{x['label']} | {x['url']}" for x in a.links),
            "image_alt": a.image_alt,
        }
        for a in issue.articles
    ]
    values = {
        "number": issue.number,
        "title": issue.title,
        "intro": issue.intro,
        "lists": [m.id for m in issue.lists],
        "articles": articles,
    }
    values.update(changes)
    return form_data(**values)


# -- access --------------------------------------------------------------------------------


def test_pages_need_a_login(client, compose):
    issue_id = compose()
    for url in (
        "/admin/issues",
        "/admin/issues/new",
        f"/admin/issues/{issue_id}",
        f"/admin/issues/{issue_id}/preview",
        f"/admin/issues/{issue_id}/send",
        f"/admin/issues/{issue_id}/progress",
        f"/admin/issues/{issue_id}/progress.json",
        "/admin/settings",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/admin/login"), url


def test_posts_need_the_forms_token(english, compose):
    issue_id = compose()
    for url in (
        "/admin/issues/new",
        f"/admin/issues/{issue_id}/send",
        f"/admin/issues/{issue_id}/delete",
        "/admin/settings",
    ):
        response = english.post(url, data={"number": "9/2026", "title": "X"})
        assert response.status_code == 400, url
    assert count(Issue) == 1
    assert fresh(issue_id).status == "draft"


# -- composing -----------------------------------------------------------------------------


def test_create_an_issue_with_two_articles_and_an_image(english, lists):
    picture = png(64, 48)
    response = post_composer(
        english,
        "/admin/issues/new",
        form_data(
            lists=[lists["kkp-kompakt"], lists["fortbildungen"]],
            articles=[
                {
                    "title": "Fachtag Einbruchschutz",
                    "body": "Am **12. Mai** in Köln.",
                    "links": "Anmeldung | https://example.org/fachtag\nhttps://example.org/plan",
                },
                {
                    "title": "Neue Broschüre",
                    "body": "Jetzt bestellen.",
                    "image": (picture, "broschuere.png"),
                    "image_alt": "Titelseite der Broschüre",
                },
            ],
        ),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    issue = db.session.scalar(sa.select(Issue))
    assert response.headers["Location"] == f"/admin/issues/{issue.id}"
    assert (issue.number, issue.title, issue.status) == ("4/2026", "Sicher im Quartier", "draft")
    assert sorted(m.slug for m in issue.lists) == ["fortbildungen", "kkp-kompakt"]
    first, second = issue.articles
    assert (first.title, first.position, first.image) == ("Fachtag Einbruchschutz", 0, None)
    assert first.links == [
        {"label": "Anmeldung", "url": "https://example.org/fachtag"},
        {"label": "", "url": "https://example.org/plan"},
    ]
    assert (second.title, second.position, second.image_alt) == (
        "Neue Broschüre",
        1,
        "Titelseite der Broschüre",
    )
    assert (second.image.mime, second.image.width, second.image.height) == ("image/png", 64, 48)
    assert second.image.data == picture
    assert db.session.scalar(sa.select(AuditEntry.action).where(AuditEntry.object_id == issue.id))

    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="articles-1-remove_image"' in page
    thumb = re.search(r'<img src="(/newsletter/image/[^"]+)" alt="Titelseite der Broschüre"', page)
    assert thumb, page
    image = english.get(thumb.group(1))
    assert image.status_code == 200
    assert image.data == picture
    # a new article slot is only offered on request ("Add article")
    assert 'name="articles-2-title"' not in page

    # The image can be removed again.
    response = post_composer(
        english,
        f"/admin/issues/{issue.id}",
        current_form(issue.id) | {"articles-1-remove_image": "y"},
    )
    assert response.status_code == 303
    assert fresh(issue.id).articles[1].image is None


def test_add_move_and_remove_articles(english, compose):
    issue_id = compose(articles=2)
    url = f"/admin/issues/{issue_id}"
    # "Add article" saves what was typed, then offers an empty slot.
    response = post_composer(
        english, url, current_form(issue_id, title="Geänderter Titel", action="add")
    )
    assert response.status_code == 303
    assert "add=1" in response.headers["Location"]
    assert fresh(issue_id).title == "Geänderter Titel"
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="articles-2-title"' in page
    assert 'id="article-new-3"' in page
    assert len(fresh(issue_id).articles) == 2  # an empty slot is not an article

    # Fill the slot in and move it up: both happen, the new article is stored first.
    data = current_form(issue_id, action="up-2")
    data.update(
        {
            "articles-2-title": "Drittes Thema",
            "articles-2-body": "Neu.",
            "articles-2-links": "",
            "articles-2-image_alt": "",
            "articles-2-image": (io.BytesIO(b""), ""),
        }
    )
    response = post_composer(english, url, data)
    assert response.status_code == 303
    assert [a["title"] for a in stored_articles(issue_id)] == [
        "Artikel 1",
        "Drittes Thema",
        "Artikel 2",
    ]
    moved = stored_articles(issue_id)[1]["id"]
    assert response.headers["Location"].endswith(f"#article-{moved}")

    response = post_composer(english, url, current_form(issue_id, action="down-0"))
    assert [a["title"] for a in stored_articles(issue_id)] == [
        "Drittes Thema",
        "Artikel 1",
        "Artikel 2",
    ]

    # "Remove" saves, then asks; only the confirmation removes.
    target = stored_articles(issue_id)[1]["id"]
    response = post_composer(
        english, url, current_form(issue_id, number="5/2026", action="remove-1")
    )
    assert response.status_code == 303
    confirm_url = f"/admin/issues/{issue_id}/articles/{target}/remove"
    assert response.headers["Location"] == confirm_url
    assert fresh(issue_id).number == "5/2026"
    page = english.get(confirm_url).get_data(as_text=True)
    assert "Artikel 1" in page and f'href="{url}#article-{target}"' in page
    assert len(stored_articles(issue_id)) == 3
    response = post_form(english, confirm_url, {})
    assert response.status_code == 303
    assert [a["title"] for a in stored_articles(issue_id)] == ["Drittes Thema", "Artikel 2"]
    assert [a.position for a in fresh(issue_id).articles] == [0, 1]


def test_a_mistake_keeps_everything_typed_and_stores_nothing(english, lists):
    response = post_composer(
        english,
        "/admin/issues/new",
        form_data(
            lists=[lists["kkp-kompakt"]],
            articles=[
                {"title": "Erster Beitrag", "body": "Text eins, *wichtig*."},
                {
                    "title": "Zweiter Beitrag",
                    "body": "Text zwei <b>fett</b>.",
                    "links": "Gut | https://example.org\nSchlecht | javascript:alert(1)",
                    "image": (png(), "bild.png"),
                    "image_alt": "Ein Bild",
                },
            ],
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Line 2: links must start with http:// or https://." in page
    assert 'id="articles-1-links-error"' in page
    assert 'aria-invalid="true"' in page
    for typed in (
        'value="4/2026"',
        'value="Sicher im Quartier"',
        'value="Erster Beitrag"',
        "Text eins, *wichtig*.",
        'value="Zweiter Beitrag"',
        "Text zwei &lt;b&gt;fett&lt;/b&gt;.",
        "Schlecht | javascript:alert(1)",
        'value="Ein Bild"',
    ):
        assert typed in page, typed
    assert f'value="{lists["kkp-kompakt"]}" checked' in page or re.search(
        rf'checked[^>]*value="{lists["kkp-kompakt"]}"', page
    )
    assert "please choose it again" in page
    assert (count(Issue), count(Article), count(Image)) == (0, 0, 0)


def test_a_mistake_in_an_existing_issue_rolls_back_the_whole_save(english, compose):
    issue_id = compose(articles=2)
    before = stored_articles(issue_id)
    data = current_form(issue_id, title="Neuer Titel")
    data["articles-0-title"] = "Neuer Titel des ersten Artikels"
    data["articles-1-title"] = ""  # required
    data["articles-1-image"] = (png(), "bild.png")
    response = post_composer(english, f"/admin/issues/{issue_id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="articles-1-title-error"' in page
    assert 'value="Neuer Titel des ersten Artikels"' in page
    assert fresh(issue_id).title == "Prävention vor Ort"
    assert stored_articles(issue_id) == before
    assert count(Image) == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (b"GIF89a but not really", "This file is not an image we can use"),
        (b"%PDF-1.4 ein Dokument", "This file is not an image we can use"),
    ],
)
def test_a_file_that_is_no_image_is_refused(english, compose, upload, message):
    issue_id = compose(articles=1)
    data = current_form(issue_id)
    data["articles-0-image"] = (io.BytesIO(upload), "bild.png")
    data["articles-0-image_alt"] = "Ein Bild"
    response = post_composer(english, f"/admin/issues/{issue_id}", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="articles-0-image-error"' in page
    assert count(Image) == 0


def test_an_oversized_image_is_refused(app, english, compose):
    issue_id = compose(articles=1)
    data = current_form(issue_id)
    data["articles-0-image"] = (io.BytesIO(png(200, 200)), "gross.png")
    data["articles-0-image_alt"] = "Groß"
    app.config["KKP_IMAGE_MAX_BYTES"] = 300
    try:
        response = post_composer(english, f"/admin/issues/{issue_id}", data)
    finally:
        app.config["KKP_IMAGE_MAX_BYTES"] = 2 * 1024 * 1024
    assert response.status_code == 422
    assert "The image is too large" in response.get_data(as_text=True)
    assert count(Image) == 0


def test_an_image_needs_a_description(english, compose):
    issue_id = compose(articles=1)
    data = current_form(issue_id)
    data["articles-0-image"] = (io.BytesIO(png()), "bild.png")
    response = post_composer(english, f"/admin/issues/{issue_id}", data)
    assert response.status_code == 422
    assert 'id="articles-0-image_alt-error"' in response.get_data(as_text=True)
    assert count(Image) == 0


def test_a_draft_is_deleted_after_confirmation(english, compose):
    issue_id = compose()
    page = english.get(f"/admin/issues/{issue_id}/delete")
    assert page.status_code == 200
    assert count(Issue) == 1
    response = post_form(english, f"/admin/issues/{issue_id}/delete", {})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/issues"
    assert (count(Issue), count(Article)) == (0, 0)


def test_a_sent_issue_is_read_only(english, compose):
    issue_id = compose()
    issue = fresh(issue_id)
    issue.status = "sent"
    db.session.commit()
    page = english.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    assert 'name="number"' not in page
    assert f'href="/admin/issues/{issue_id}/progress"' in page
    token = csrf_token(english.get("/admin/issues").get_data(as_text=True))
    response = english.post(
        f"/admin/issues/{issue_id}",
        data={"csrf_token": token, "number": "1/1999", "title": "Anders"},
    )
    assert response.status_code == 303
    assert fresh(issue_id).number == "3/2026"


def test_the_list_shows_status_lists_and_progress(english, compose, lists):
    draft = compose(number="1/2026", title="Entwurf")
    sent = compose(number="2/2026", title="Verschickt")
    issue = fresh(sent)
    issue.status, issue.to_send = "sent", 12
    issue.started_at = issue.finished_at = datetime(2026, 2, 3, 9, 0, tzinfo=UTC)
    db.session.commit()
    page = english.get("/admin/issues").get_data(as_text=True)
    assert 'href="/admin/issues/new"' in page
    assert f'href="/admin/issues/{draft}">1/2026</a>' in page
    assert "Draft" in page and "Sent" in page
    assert "KKP Kompakt" in page
    assert "0 of 12" in page
    assert "10:00" in page  # 09:00 UTC in Berlin, in winter


def test_the_list_is_searched_sorted_and_paged(english, compose, monkeypatch):
    monkeypatch.setattr(issue_table, "PAGE_SIZE", 2)
    for number, title in [("1/2026", "Bahnhof"), ("2/2026", "Anfang"), ("3/2026", "Chancen")]:
        compose(number=number, title=title, articles=0)
    page = english.get("/admin/issues?q=an").get_data(as_text=True)
    assert "2 issues." in page and "Anfang" in page and "Chancen" in page
    assert "Bahnhof" not in page
    page = english.get("/admin/issues?sort=title&dir=asc").get_data(as_text=True)
    assert page.index("Anfang") < page.index("Bahnhof") and "Chancen" not in page
    assert 'aria-sort="ascending"' in page
    assert 'href="/admin/issues?sort=title&amp;dir=desc"' in page  # the other way round
    assert 'rel="next" href="/admin/issues?page=2&amp;sort=title&amp;dir=asc"' in page
    page = english.get("/admin/issues?sort=title&dir=asc&page=2").get_data(as_text=True)
    assert "Chancen" in page and "Anfang" not in page and "Page 2 of 2" in page
    # the newest first without a choice; nonsense in the address is ignored
    page = english.get("/admin/issues?sort=nonsense&page=x").get_data(as_text=True)
    assert page.index("Chancen") < page.index("Anfang")
    assert "No issues match." in english.get("/admin/issues?q=zzz").get_data(as_text=True)


# -- preview and test mail -------------------------------------------------------------------


def test_the_preview_shows_both_widths_without_placeholders_or_scripts(english, compose):
    # an intro without a salutation: the preview greets the sample reader by name
    issue_id = compose(articles=1, intro="Hier die **neue** Ausgabe.")
    issue = fresh(issue_id)
    issue.articles[0].body = (
        "Harmlos.\n\n<script>alert('x')</script><img src=x onerror=alert(1)>"
        "[Klick](javascript:alert(2))"
    )
    db.session.commit()
    response = english.get(f"/admin/issues/{issue_id}/preview")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    frames = re.findall(r"<iframe ([^>]*)>", page)
    assert len(frames) == 2
    widths = sorted(int(re.search(r'width="(\d+)"', f).group(1)) for f in frames)
    assert widths == [375, 700]
    for frame in frames:
        assert 'sandbox=""' in frame
        assert "allow-scripts" not in frame
        assert re.search(r'title="[^"]+"', frame)
        # the mail is a document of its own, with a policy of its own: its inline
        # styles, no script (a srcdoc frame would inherit the page's policy)
        source = english.get(html.unescape(re.search(r'src="([^"]*)"', frame).group(1)))
        policy = source.headers["Content-Security-Policy"]
        assert "sandbox" in policy and "default-src 'none'" in policy
        assert "style-src 'unsafe-inline'" in policy and "script-src" not in policy
        assert "frame-ancestors 'self'" in policy
        assert source.headers["Cache-Control"] == "no-store"
        mail_html = source.get_data(as_text=True)
        assert "Guten Tag Max Mustermann," in mail_html
        assert "<script" not in mail_html.lower()
        assert "onerror" not in mail_html
        assert 'href="javascript:' not in mail_html  # left as text, not a link
    assert "[[kkp:" not in page
    # none of the article's script: the page's own script files only
    scripts = re.findall(r"<script[^>]*>", page.lower())
    assert all(re.fullmatch(r'<script src="/static/[\w.-]+\.js" defer>', s) for s in scripts)
    assert "<script>alert" not in page and "onerror=alert" not in page
    assert 'id="preview-text"' in page
    text = re.search(r'<pre id="preview-text">(.*?)</pre>', page, re.S).group(1)
    assert "Guten Tag Max Mustermann," in text
    assert "KKP Kompakt 3/2026: Prävention vor Ort" in page  # the subject
    english_page = english.get(f"/admin/issues/{issue_id}/preview?mail_lang=en")
    src = html.unescape(re.search(r'<iframe [^>]*src="([^"]*)"', english_page.text).group(1))
    assert "Hello Max Mustermann," in english.get(src).get_data(as_text=True)


def test_a_test_mail_reaches_the_given_addresses(english, compose, mail, worker, drain):
    issue_id = compose()
    response = post_form(
        english,
        f"/admin/issues/{issue_id}/test",
        {"addresses": "anna@example.org,\n Ben@Example.org"},
        page=f"/admin/issues/{issue_id}/preview",
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/issues/{issue_id}/preview"
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "Test mail sent to 2 addresses" in page
    received = mail.wait_for(2)
    drain()
    assert sorted(m["to"][0] for m in received) == ["anna@example.org", "ben@example.org"]
    msg = parse_mail(received[0]["data"])
    assert msg["Subject"] == "[Test] KKP Kompakt 3/2026: Prävention vor Ort"
    assert fresh(issue_id).status == "draft"


@pytest.mark.parametrize(
    ("addresses", "message"),
    [
        (", ".join(f"p{i}@example.org" for i in range(6)), "At most 5 addresses"),
        ("anna@example.org\nkein-at-zeichen", "“kein-at-zeichen”: This is not a valid e-mail"),
        ("ü@example.org", "“ü@example.org”: Our mail server cannot deliver to addresses with"),
        ("", "Please enter at least one address."),
    ],
)
def test_a_test_mail_refuses_bad_addresses(english, compose, mail, addresses, message):
    issue_id = compose()
    response = post_form(
        english,
        f"/admin/issues/{issue_id}/test",
        {"addresses": addresses},
        page=f"/admin/issues/{issue_id}/preview",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page
    assert 'id="addresses-error"' in page
    assert db.session.scalar(sa.text("SELECT count(*) FROM delivery")) == 0


# -- sending and scheduling ----------------------------------------------------------------


def test_the_send_page_states_the_recipients(english, compose, lists):
    add_confirmed([lists["kkp-kompakt"]], 3)
    add_confirmed([lists["kkp-kompakt"]], 2, start=10, status="pending")
    add_confirmed([lists["netzwerktreffen"]], 4, start=20)
    issue_id = compose()
    page = english.get(f"/admin/issues/{issue_id}/send").get_data(as_text=True)
    assert re.search(r'<strong id="recipient-count">3</strong>', page)
    assert re.search(r'<td id="send-lists">KKP Kompakt</td>', page)
    assert 'id="send-now"' in page
    assert 'name="day"' in page and 'type="date"' in page and 'type="time"' in page


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("no_articles", "The issue has no articles yet"),
        ("no_lists", "Please choose at least one list"),
        ("nobody", "Nobody on the chosen lists has confirmed a subscription yet."),
    ],
)
def test_an_issue_that_cannot_go_out_says_why(english, compose, lists, setup, message):
    if setup != "nobody":
        add_confirmed([lists["kkp-kompakt"]], 2)
    issue_id = compose(
        articles=0 if setup == "no_articles" else 1,
        list_slugs=() if setup == "no_lists" else ("kkp-kompakt",),
    )
    page = english.get(f"/admin/issues/{issue_id}/send").get_data(as_text=True)
    assert message in page
    assert 'id="send-now"' not in page
    response = post_form(english, f"/admin/issues/{issue_id}/send", {})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fresh(issue_id).status == "draft"


def schedule(client, issue_id: int, day: str, at: str):
    return post_form(
        client,
        f"/admin/issues/{issue_id}/schedule",
        {"day": day, "time": at},
        page=f"/admin/issues/{issue_id}/send",
    )


def test_a_time_in_the_past_is_refused(english, compose, lists):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    response = schedule(english, issue_id, "2020-05-04", "09:00")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please choose a time in the future." in page
    assert 'id="day-error"' in page
    issue = fresh(issue_id)
    assert (issue.status, issue.scheduled_at) == ("draft", None)


@pytest.mark.parametrize(
    ("day", "at", "expected"),
    [
        ("2030-07-01", "09:30", datetime(2030, 7, 1, 7, 30, tzinfo=UTC)),  # summer: +2
        ("2030-01-15", "09:30", datetime(2030, 1, 15, 8, 30, tzinfo=UTC)),  # winter: +1
        ("2030-10-27", "02:30", datetime(2030, 10, 27, 0, 30, tzinfo=UTC)),  # twice: first
        ("2032-02-29", "23:59", datetime(2032, 2, 29, 22, 59, tzinfo=UTC)),  # leap day
    ],
)
def test_a_time_in_berlin_is_stored_in_utc(english, compose, lists, day, at, expected):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    response = schedule(english, issue_id, day, at)
    assert response.status_code == 303, response.get_data(as_text=True)
    issue = fresh(issue_id)
    assert issue.status == "scheduled"
    assert issue.scheduled_at == expected
    page = english.get(f"/admin/issues/{issue_id}/send").get_data(as_text=True)
    assert 'id="scheduled"' in page
    assert f'value="{day}"' in page and f'value="{at}"' in page
    if day == "2030-10-27":
        assert "happens twice" in page

    response = post_form(english, f"/admin/issues/{issue_id}/unschedule", {}, page="/admin/issues")
    assert response.status_code == 303
    issue = fresh(issue_id)
    assert (issue.status, issue.scheduled_at) == ("draft", None)


def test_a_time_the_clocks_skip_is_refused(english, compose, lists):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    response = schedule(english, issue_id, "2030-03-31", "02:30")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This time does not exist on that day" in page
    assert 'id="time-error"' in page
    assert fresh(issue_id).status == "draft"


@pytest.mark.parametrize(
    ("day", "at", "utc", "ambiguous"),
    [
        (date(2026, 3, 29), time(1, 59), datetime(2026, 3, 29, 0, 59, tzinfo=UTC), False),
        (date(2026, 3, 29), time(3, 0), datetime(2026, 3, 29, 1, 0, tzinfo=UTC), False),
        (date(2026, 10, 25), time(2, 0), datetime(2026, 10, 25, 0, 0, tzinfo=UTC), True),
        (date(2026, 10, 25), time(2, 59), datetime(2026, 10, 25, 0, 59, tzinfo=UTC), True),
        (date(2026, 10, 25), time(3, 0), datetime(2026, 10, 25, 2, 0, tzinfo=UTC), False),
        (date(2028, 2, 29), time(12, 0), datetime(2028, 2, 29, 11, 0, tzinfo=UTC), False),
    ],
)
def test_berlin_to_utc(day, at, utc, ambiguous):
    assert berlin_to_utc(day, at) == (utc, ambiguous)


@pytest.mark.parametrize("at", [time(2, 0), time(2, 30), time(2, 59)])
def test_berlin_to_utc_refuses_the_skipped_hour(at):
    with pytest.raises(NonexistentTime):
        berlin_to_utc(date(2026, 3, 29), at)


def test_send_now_then_watch_it_finish(english, compose, lists, mail, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 4)
    issue_id = compose()
    response = post_form(english, f"/admin/issues/{issue_id}/send", {})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/admin/issues/{issue_id}/progress"
    page = english.get(response.headers["Location"])
    assert page.status_code == 200
    assert 'id="progress-bar"' in page.get_data(as_text=True)
    mail.wait_for(4)
    drain()
    assert fresh(issue_id).status == "sent"
    progress = english.get(f"/admin/issues/{issue_id}/progress.json").get_json()
    assert progress["status"] == "sent"
    assert progress["sent"] == progress["total"] == 4
    assert (progress["failed"], progress["left"], progress["running"]) == (0, 0, False)
    page = english.get(f"/admin/issues/{issue_id}/progress").get_data(as_text=True)
    assert re.search(r'<progress id="progress-bar" class="progress" max="4" value="4">', page)
    assert 'data-running="false"' in page
    assert "4 of 4 sent" in page
    # sent: no more changes, no second sending
    assert english.get(f"/admin/issues/{issue_id}/send").status_code == 303
    assert 'name="number"' not in english.get(f"/admin/issues/{issue_id}").get_data(as_text=True)


def test_failures_are_listed_with_the_servers_answer(english, compose, lists, mail, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 3)
    mail.answer = lambda envelope: (
        "550 5.1.1 Mailbox unknown" if envelope.rcpt_tos[0] == "person1@example.org" else None
    )
    issue_id = compose()
    post_form(english, f"/admin/issues/{issue_id}/send", {})
    mail.wait_for(2)
    drain()
    progress = english.get(f"/admin/issues/{issue_id}/progress.json").get_json()
    assert (progress["sent"], progress["failed"], progress["total"]) == (2, 1, 3)
    assert progress["failures"][0]["recipient"] == "person1@example.org"
    page = english.get(f"/admin/issues/{issue_id}/progress").get_data(as_text=True)
    assert "550 5.1.1 Mailbox unknown" in page
    assert "failed for good" in page


def test_pause_resume_and_cancel(english, compose, lists):
    """Without a worker the sending stays where it is, and the buttons can act."""
    from newsletter import sending

    add_confirmed([lists["kkp-kompakt"]], 3)
    issue_id = compose()
    sending.start_sending(fresh(issue_id))
    db.session.commit()
    progress_url = f"/admin/issues/{issue_id}/progress"
    page = english.get(progress_url).get_data(as_text=True)
    assert 'data-running="true"' in page
    assert re.search(r'<form [^>]*action="[^"]*/pause" data-show-when="sending">', page)

    response = post_form(english, f"/admin/issues/{issue_id}/pause", {}, page=progress_url)
    assert response.status_code == 303
    assert fresh(issue_id).status == "paused"
    page = english.get(progress_url).get_data(as_text=True)
    assert "Sending is paused" in page
    assert "Paused by Redaktion." in page
    assert english.get(f"{progress_url}.json").get_json()["pause_reason"] == "Paused by Redaktion."

    response = post_form(english, f"/admin/issues/{issue_id}/resume", {}, page=progress_url)
    assert response.status_code == 303
    assert fresh(issue_id).status == "sending"

    # Cancel asks first.
    confirm = english.get(f"/admin/issues/{issue_id}/cancel")
    assert confirm.status_code == 200
    assert fresh(issue_id).status == "sending"
    response = post_form(english, f"/admin/issues/{issue_id}/cancel", {})
    assert response.status_code == 303
    assert fresh(issue_id).status == "cancelled"
    assert "Sending was cancelled" in english.get(progress_url).get_data(as_text=True)
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_id == issue_id)
    ).all()
    assert {"issue.send", "issue.pause", "issue.resume", "issue.cancel"} <= set(actions)
    # a second pause is refused with a message, not an error page
    response = post_form(english, f"/admin/issues/{issue_id}/pause", {}, page=progress_url)
    assert response.status_code == 303
    assert "Only an issue that is being sent can be paused." in english.get(progress_url).get_data(
        as_text=True
    )


# -- the office's standard texts -------------------------------------------------------------


def test_the_settings_are_edited_and_checked(app, english, editor):
    from newsletter.settings import office_settings

    page = english.get("/admin/settings").get_data(as_text=True)
    assert 'value="KKP Kompakt"' in page
    good = {
        "newsletter_name": "Präventionsbrief",
        "sender_name": "Kommunale Kriminalprävention Musterstadt",
        "disclaimer": "Ohne Gewähr.\r\nZweite Zeile.",
        "call_for_contributions": "",
        "contact_email": "redaktion@musterstadt.example",
        "impressum_url": "https://musterstadt.example/impressum",
        "privacy_url": "",
    }
    for field, value, message in (
        ("impressum_url", "javascript:alert(1)", "starting with http:// or https://"),
        ("privacy_url", "ftp://musterstadt.example", "starting with http:// or https://"),
        ("contact_email", "keine-adresse", "This is not a valid e-mail address."),
        ("sender_name", "Name\r\nBcc: x@example.org", "Line breaks are not allowed here."),
        ("newsletter_name", "", "This field is required."),
    ):
        response = post_form(english, "/admin/settings", {**good, field: value})
        assert response.status_code == 422, field
        page = response.get_data(as_text=True)
        assert message in page, field
        assert f'id="{field}-error"' in page
        assert count(OfficeSetting) == 0
    response = post_form(english, "/admin/settings", good)
    assert response.status_code == 303
    values = office_settings()
    assert values["newsletter_name"] == "Präventionsbrief"
    assert values["disclaimer"] == "Ohne Gewähr.\nZweite Zeile."
    assert values["call_for_contributions"] == ""
    assert values["impressum_url"] == "https://musterstadt.example/impressum"
    assert values["privacy_url"] == app.config["KKP_BASE_URL"] + "/datenschutz"  # empty: ours
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "settings.change"))
    assert "newsletter_name" in entry.details["keys"]
    assert entry.editor_id == editor["id"]


def test_editors_without_admin_rights_may_edit_the_settings(client, ctx):
    """The standard texts are editorial work, not administration."""
    from kkp.auth.operations import create_editor

    create_editor("autorin@kkp.test", role="editor", password="auch-geheim-12345", name="Autorin")
    db.session.commit()
    login = post_form(
        client, "/admin/login", {"email": "autorin@kkp.test", "password": "auch-geheim-12345"}
    )
    assert login.status_code == 302
    assert client.get("/admin/settings").status_code == 200
    response = post_form(
        client, "/admin/settings", {"newsletter_name": "Brief", "sender_name": "Büro"}
    )
    assert response.status_code == 303
    assert db.session.get(OfficeSetting, "newsletter_name").value == "Brief"
