"""The composer's pictures in a text, its event search and the office's template
(newsletter/admin/composing.py, kkp/markup.py, newsletter/drafts.py): uploads refused
in plain words and never with a 500, only our own pictures kept, events found by part
of their title or place, a new draft from the template."""

from __future__ import annotations

import io
from datetime import time, timedelta

import pytest
from PIL import Image as PILImage

from kkp.auth.models import AuditEntry
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.markup import to_html, to_text
from newsletter import drafts, issues
from newsletter.models import Image, Issue, OfficeSetting
from newsletter.render import image_path, render_issue
from newsletter.settings import office_settings
from tests.helpers import csrf_token, elements, row_count

JSON = {"Accept": "application/json"}
BASE = "http://kkp.test"


def picture(kind: str = "PNG", size: tuple[int, int] = (800, 300)) -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", size, (11, 79, 138)).save(out, kind)
    return out.getvalue()


@pytest.fixture
def issue_id(ctx, lists) -> int:
    issue = issues.create_issue(
        number="3/2026", title="Sicher im Quartier", intro="Hallo", list_ids=[lists["kkp-kompakt"]]
    )
    issues.add_article(issue, title="Artikel 1", body="Text 1", links="https://example.org/a")
    db.session.commit()
    return issue.id


@pytest.fixture
def token(logged_in, issue_id) -> str:
    return csrf_token(logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True))


def upload(client, token: str | None, data: bytes, name: str = "bild.png"):
    headers = {**JSON, **({"X-CSRFToken": token} if token else {})}
    return client.post(
        "/admin/issues/images",
        data={"image": (io.BytesIO(data), name)},
        headers=headers,
        content_type="multipart/form-data",
    )


# -- pictures in a text ------------------------------------------------------------------


def test_upload_stores_the_picture_and_names_its_path(logged_in, token):
    response = upload(logged_in, token, picture("JPEG"), "foto.jpg")
    assert response.status_code == 200
    data = response.get_json()
    image = db.session.get(Image, int(data["path"].split("/")[-1].split("-")[0]))
    assert data == {"path": image_path(image), "width": 800, "height": 300}
    assert image.mime == "image/jpeg"
    served = logged_in.get(data["path"])
    assert served.status_code == 200 and served.mimetype == "image/jpeg"


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"%PDF-1.4 not a picture", "brief.pdf", "kein verwendbares Bild"),
        (picture("BMP"), "alt.bmp", "PNG, JPEG, GIF oder WebP"),
        (b"", "leer.png", "leer"),
    ],
)
def test_upload_refuses_what_is_no_picture_of_ours(logged_in, token, data, name, words):
    response = upload(logged_in, token, data, name)
    assert response.status_code == 400
    assert words in response.get_json()["message"]
    assert row_count(Image) == 0


def test_upload_refuses_a_picture_too_large(app, logged_in, token, monkeypatch):
    monkeypatch.setitem(app.config, "KKP_IMAGE_MAX_BYTES", 1000)
    response = upload(logged_in, token, picture("PNG", (400, 400)) + b"\0" * 2000)
    assert response.status_code == 400
    assert "zu groß" in response.get_json()["message"]
    assert row_count(Image) == 0


def test_upload_larger_than_any_request_answers_in_json(app, logged_in, token, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2000)
    response = upload(logged_in, token, picture("PNG") + b"\0" * 4000)
    assert response.status_code == 413
    assert response.get_json()["error"]["message"] == "Die Datei ist zu groß."


def test_upload_needs_the_csrf_token_and_a_file(logged_in, token):
    response = upload(logged_in, None, picture())
    assert response.status_code == 400
    assert "Formular ist abgelaufen" in response.get_json()["error"]["message"]
    missing = logged_in.post("/admin/issues/images", headers={**JSON, "X-CSRFToken": token})
    assert missing.status_code == 400
    assert missing.get_json()["message"] == "Bitte wählen Sie ein Bild aus."
    assert row_count(Image) == 0


def test_upload_needs_a_login(client, ctx):
    response = upload(client, None, picture())
    assert response.status_code in (400, 401, 403)
    assert row_count(Image) == 0


def stored_picture() -> Image:
    image = issues.store_image(picture())
    db.session.commit()
    return image


def test_the_sanitiser_keeps_our_pictures_with_words_and_drops_the_rest(ctx):
    path = image_path(stored_picture())
    ours = f"![Plakat der Aktionswoche]({path})"
    html = to_html(ours)
    assert elements(html, "img") == [({"src": BASE + path, "alt": "Plakat der Aktionswoche"}, "")]
    assert to_html(f"![Plakat]({BASE}{path})") == f'<p><img src="{BASE}{path}" alt="Plakat"></p>'
    assert to_text(ours) == "[Plakat der Aktionswoche]"
    dropped = [
        f"![]({path})",  # no words
        "![Zähler](https://tracker.example/pixel.gif)",
        "![Fremd](https://evil.example/newsletter/image/1-0123456789abcdef.png)",
        "![Anderer Pfad](/admin/issues)",
        f'<img src="{path}" alt=" ">',
        '<img src="javascript:alert(1)" alt="x">',
        f'<img src="{path}x" alt="fast">',
    ]
    for text in dropped:
        assert "<img" not in to_html(text), text
    raw = to_html(f'<img src="{path}" alt="a&quot;b>c" onerror="alert(1)" width="9000">')
    assert raw == f'<img src="{BASE}{path}" alt="a&quot;bc">'


def test_the_mail_sizes_pictures_in_the_text_for_outlook(ctx, issue_id):
    image = stored_picture()
    issue = db.session.get(Issue, issue_id)
    issue.articles[0].body = f"Vorher\n\n![Plakat]({image_path(image)})\n\nNachher"
    issue.intro = "![fremd](https://tracker.example/p.gif) Hallo"
    db.session.commit()
    mail = render_issue(issue, office_settings())
    found = [attrs for attrs, _ in elements(mail["html"], "img") if attrs.get("alt") == "Plakat"]
    assert len(found) == 1
    assert found[0]["width"] == "552"  # 800 px wide: the mail's widest
    assert "max-width:100%" in found[0]["style"]
    assert "tracker.example" not in mail["html"]
    assert "[Plakat]" in mail["text"]


# -- the event search --------------------------------------------------------------------


@pytest.fixture
def event(ctx):
    from events.operations import (
        EventInput,
        create_event,
        ensure_default_kinds,
        kinds,
        publish_event,
    )

    ensure_default_kinds()
    kind_id = {k.slug: k.id for k in kinds()}["netzwerktreffen"]

    def make(title, *, status="published", days=20, venue="Bürgerhaus Lindenau"):
        day = (utcnow().astimezone(BERLIN) + timedelta(days=days)).date()
        created = create_event(
            EventInput(
                kind_id=kind_id,
                title=title,
                format="in_person",
                venue=venue,
                address="Marktstraße 4, 04177 Leipzig",
                start_day=day,
                start_time=time(10, 0),
                end_time=time(12, 0),
            )
        )
        if status == "published":
            publish_event(created)
        db.session.commit()
        return created

    return make


def test_event_search_finds_upcoming_published_events_by_title_or_place(logged_in, event):
    soon = event("Fachtag Prävention", days=5)
    later = event("Netzwerktreffen Nord", days=30, venue="Rathaus Präventionsraum")
    event("Präventionsrat (Entwurf)", status="draft")
    event("Prävention gestern", days=-3)
    event("Sommerfest", days=10)
    answer = logged_in.get("/admin/issues/events.json?q=prävention", headers=JSON)
    assert answer.status_code == 200
    day = (utcnow().astimezone(BERLIN) + timedelta(days=5)).date().strftime("%d.%m.%Y")
    assert answer.get_json()["events"] == [
        {"id": str(soon.id), "label": f"{day} · Fachtag Prävention", "place": soon.place},
        {
            "id": str(later.id),
            "label": later.first_day.strftime("%d.%m.%Y") + " · Netzwerktreffen Nord",
            "place": later.place,
        },
    ]
    everything = logged_in.get("/admin/issues/events.json", headers=JSON).get_json()["events"]
    assert [e["label"].split(" · ")[1] for e in everything] == [
        "Fachtag Prävention",
        "Sommerfest",
        "Netzwerktreffen Nord",
    ]
    odd = logged_in.get("/admin/issues/events.json?q=%25_\\", headers=JSON)
    assert odd.status_code == 200 and odd.get_json()["events"] == []


def test_event_search_needs_a_login(client, ctx):
    response = client.get("/admin/issues/events.json", headers=JSON)
    assert response.status_code != 200


# -- the template ------------------------------------------------------------------------


def test_a_new_draft_starts_from_the_template(logged_in, token, issue_id, lists):
    issue = db.session.get(Issue, issue_id)
    issues.add_article(issue, title="Termine", body="- eins\n- zwei", links="")
    db.session.commit()
    page = logged_in.get("/admin/issues").get_data(as_text=True)
    assert "Neue Ausgabe aus Vorlage" not in page

    marked = logged_in.post(
        f"/admin/issues/{issue_id}/template",
        data={"csrf_token": token, "template": "set"},
        follow_redirects=True,
    )
    assert "ist jetzt die Vorlage" in marked.get_data(as_text=True)
    assert drafts.template_issue().id == issue_id
    assert row_count(AuditEntry, AuditEntry.action == "issue.template_set") == 1

    page = logged_in.get("/admin/issues").get_data(as_text=True)
    assert "Neue Ausgabe aus Vorlage" in page
    made = logged_in.post(
        "/admin/issues/from-template", data={"csrf_token": token}, follow_redirects=False
    )
    assert made.status_code == 303
    copy = db.session.get(Issue, int(made.headers["Location"].rstrip("/").split("/")[-1]))
    assert copy.id != issue_id and copy.status == "draft"
    assert (copy.title, copy.intro) == ("Sicher im Quartier", "Hallo")
    assert [m.id for m in copy.lists] == [lists["kkp-kompakt"]]
    assert [(a.title, a.body, a.links) for a in copy.articles] == [
        (a.title, a.body, a.links) for a in db.session.get(Issue, issue_id).articles
    ]
    assert copy.number != "3/2026"

    cleared = logged_in.post(
        f"/admin/issues/{issue_id}/template", data={"csrf_token": token, "template": "clear"}
    )
    assert cleared.status_code == 303
    assert drafts.template_issue() is None
    assert row_count(AuditEntry, AuditEntry.action == "issue.template_clear") == 1


def test_from_template_without_one_says_so(logged_in, token):
    answer = logged_in.post(
        "/admin/issues/from-template", data={"csrf_token": token}, follow_redirects=True
    )
    assert answer.status_code == 200
    assert "Es gibt keine Vorlage" in answer.get_data(as_text=True)
    assert row_count(Issue) == 1


def test_the_template_draft_does_not_take_the_next_number(ctx, issue_id):
    from datetime import date

    today = date(2026, 6, 1)
    assert drafts.next_number(today) == "4/2026"
    drafts.set_template(db.session.get(Issue, issue_id))  # a draft numbered 3/2026
    assert drafts.next_number(today) == "1/2026"
    # a deleted template is no template
    issues.delete_issue(db.session.get(Issue, issue_id))
    assert drafts.template_issue() is None
    assert db.session.get(OfficeSetting, drafts.TEMPLATE_KEY) is not None
