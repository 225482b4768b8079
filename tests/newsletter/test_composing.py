"""What the composer's script asks through HTTP (newsletter/admin/composing.py): the
Markdown preview, autosave of a draft, the articles' order; and duplicating an issue,
the next number, the count in the send confirmation. Answers in German by default."""

from __future__ import annotations

import io
import threading
from datetime import date

import pytest
import sqlalchemy as sa
from PIL import Image as PILImage

from kkp.extensions import db
from newsletter import drafts, issues
from newsletter.models import Issue
from tests.helpers import csrf_token
from tests.newsletter.conftest import add_confirmed

JSON = {"Accept": "application/json"}


def png() -> bytes:
    out = io.BytesIO()
    PILImage.new("RGB", (20, 10), (11, 79, 138)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def issue_id(ctx, lists) -> int:
    issue = issues.create_issue(
        number="3/2026", title="Sicher im Quartier", intro="Hallo", list_ids=[lists["kkp-kompakt"]]
    )
    image = issues.store_image(png())
    for n in (1, 2, 3):
        issues.add_article(
            issue,
            title=f"Artikel {n}",
            body=f"Text {n}",
            links="https://example.org/a",
            image=image if n == 1 else None,
            image_alt="Ein Bild" if n == 1 else "",
        )
    db.session.commit()
    return issue.id


@pytest.fixture
def token(logged_in, issue_id) -> str:
    return csrf_token(logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True))


def fresh(issue_id: int) -> Issue:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Issue, issue_id)


def set_status(issue_id: int, status: str) -> None:
    fresh(issue_id).status = status
    db.session.commit()


def autosave_data(issue_id: int, token: str, **changes) -> dict:
    issue = fresh(issue_id)
    data = {"csrf_token": token, "number": issue.number, "title": issue.title, "intro": ""}
    data["lists"] = [str(m.id) for m in issue.lists]
    for i, a in enumerate(issue.articles):
        data.update(
            {
                f"articles-{i}-id": str(a.id),
                f"articles-{i}-title": a.title,
                f"articles-{i}-body": a.body,
                f"articles-{i}-links": issues.links_text(a.links),
                f"articles-{i}-image_alt": a.image_alt,
            }
        )
    data.update(changes)
    return data


# -- the Markdown preview ------------------------------------------------------------------


def test_preview_renders_markdown_as_the_mail_does(logged_in, token):
    text = "**fett** und <script>alert(1)</script>[x](javascript:alert(2))\n\n# Titel"
    response = logged_in.post(
        "/admin/issues/preview-markdown",
        json={"text": text},
        headers={**JSON, "X-CSRFToken": token},
    )
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>fett</strong>" in html and "<h3>Titel</h3>" in html
    assert "<script" not in html and "alert(1)" not in html and 'href="javascript' not in html


@pytest.mark.parametrize("body", [{"text": 5}, {"nothing": ""}, [1, 2], "kaputt"])
def test_preview_refuses_bad_input_in_german(logged_in, token, body):
    response = logged_in.post(
        "/admin/issues/preview-markdown", json=body, headers={**JSON, "X-CSRFToken": token}
    )
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("Die Anfrage konnte nicht verarbeitet")


def test_preview_refuses_too_long_text(app, logged_in, token):
    limit = app.config["KKP_ARTICLE_MAX_LENGTH"]
    response = logged_in.post(
        "/admin/issues/preview-markdown",
        json={"text": "x" * (limit + 1)},
        headers={**JSON, "X-CSRFToken": token},
    )
    assert response.status_code == 400
    assert "zu lang" in response.get_json()["message"]


@pytest.mark.parametrize(
    "url, body",
    [
        ("/admin/issues/preview-markdown", {"text": "x"}),
        ("/admin/issues/{id}/order", {"articles": []}),
        ("/admin/issues/{id}/autosave", None),
    ],
)
def test_every_endpoint_needs_the_csrf_token_and_a_login(client, editor, issue_id, url, body):
    url = url.format(id=issue_id)
    response = client.post(url, json=body, headers=JSON)
    assert response.status_code == 400
    assert response.get_json()["error"]["message"].startswith("Das Formular ist abgelaufen")
    # logged out, with a valid token: asked to log in, as JSON
    token = csrf_token(client.get("/admin/login").get_data(as_text=True))
    response = client.post(url, json=body, headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Bitte melden Sie sich an."
    assert [a.title for a in fresh(issue_id).articles] == ["Artikel 1", "Artikel 2", "Artikel 3"]


# -- autosave ------------------------------------------------------------------------------


def test_autosave_stores_the_draft_like_the_form(logged_in, token, issue_id):
    data = autosave_data(
        issue_id,
        token,
        intro="Neuer **Text**",
        **{"articles-1-body": "Geändert", "articles-3-title": "Neu dazu"},
    )
    response = logged_in.post(f"/admin/issues/{issue_id}/autosave", data=data, headers=JSON)
    assert response.status_code == 200, response.get_data(as_text=True)
    answer = response.get_json()
    issue = fresh(issue_id)
    assert issue.intro == "Neuer **Text**"
    assert [a.body for a in issue.articles][:2] == ["Text 1", "Geändert"]
    assert answer["articles"] == [a.id for a in issue.articles]  # the new one has its id
    assert issue.articles[3].title == "Neu dazu"
    assert issue.articles[0].image is not None  # no file sent: the image stays
    assert len(answer["saved_at"]) == 5 and answer["saved_at"][2] == ":"


def test_autosave_refuses_bad_input_and_stores_nothing(logged_in, token, issue_id):
    data = autosave_data(issue_id, token, number="", intro="Anders", **{"articles-0-links": "x"})
    response = logged_in.post(f"/admin/issues/{issue_id}/autosave", data=data, headers=JSON)
    assert response.status_code == 400
    answer = response.get_json()
    assert answer["message"] == "Bitte füllen Sie dieses Feld aus."
    assert answer["errors"]["number"] == "Bitte füllen Sie dieses Feld aus."
    assert "http" in answer["errors"]["articles-0-links"]
    assert fresh(issue_id).intro == "Hallo"


@pytest.mark.parametrize("status", ["sending", "sent", "scheduled"])
def test_autosave_never_touches_an_issue_that_is_no_draft(logged_in, token, issue_id, status):
    set_status(issue_id, status)
    data = autosave_data(issue_id, token, intro="Anders")
    response = logged_in.post(f"/admin/issues/{issue_id}/autosave", data=data, headers=JSON)
    assert response.status_code == 409
    assert response.get_json()["message"].startswith(
        "Diese Ausgabe wird gerade versandt" if status != "scheduled" else "Nur Entwürfe"
    )
    assert fresh(issue_id).intro == "Hallo"


def test_the_composer_offers_autosave_only_for_drafts(logged_in, issue_id):
    page = logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    assert f'data-autosave-url="/admin/issues/{issue_id}/autosave"' in page
    assert 'aria-live="polite"' in page and 'role="status"' in page
    set_status(issue_id, "scheduled")
    page = logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    assert "data-autosave-url" not in page


# -- the order -----------------------------------------------------------------------------


def test_order_is_stored(logged_in, token, issue_id):
    ids = [a.id for a in fresh(issue_id).articles]
    response = logged_in.post(
        f"/admin/issues/{issue_id}/order",
        json={"articles": ids[::-1]},
        headers={**JSON, "X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert response.get_json()["message"] == "Die Reihenfolge der Beiträge wurde gespeichert."
    assert [a.title for a in fresh(issue_id).articles] == ["Artikel 3", "Artikel 2", "Artikel 1"]


@pytest.mark.parametrize(
    "body",
    [{"articles": "1,2"}, {"articles": [1.5]}, {}, None, "x", {"articles": [True]}, "missing"],
)
def test_order_refuses_bad_input(logged_in, token, issue_id, body):
    ids = [a.id for a in fresh(issue_id).articles]
    if body == "missing":
        body = {"articles": ids[:2]}
    response = logged_in.post(
        f"/admin/issues/{issue_id}/order", json=body, headers={**JSON, "X-CSRFToken": token}
    )
    assert response.status_code == 400
    message = response.get_json()["message"]
    assert message.startswith("Die Anfrage") or message.startswith("Die Beiträge haben sich")
    assert [a.id for a in fresh(issue_id).articles] == ids


def test_order_of_a_sent_issue_is_refused(logged_in, token, issue_id):
    ids = [a.id for a in fresh(issue_id).articles]
    set_status(issue_id, "sent")
    response = logged_in.post(
        f"/admin/issues/{issue_id}/order",
        json={"articles": ids[::-1]},
        headers={**JSON, "X-CSRFToken": token},
    )
    assert response.status_code == 409
    assert [a.id for a in fresh(issue_id).articles] == ids


# -- a new draft: the next number, a copy ----------------------------------------------------


def test_next_number(ctx, lists):
    assert drafts.next_number(date(2026, 5, 1)) == "1/2026"
    for number in ("2/2026", "Sonderausgabe", "3 / 2026", "12/2025"):
        issues.create_issue(number=number, title="T")
    assert drafts.next_number(date(2026, 5, 1)) == "4/2026"
    assert drafts.next_number(date(2027, 1, 2)) == "1/2027"


def test_new_issue_suggests_the_next_number(logged_in, issue_id):
    page = logged_in.get("/admin/issues/new").get_data(as_text=True)
    assert 'value="4/' in page or 'value="1/' in page  # 4/2026 in 2026, 1/<year> later


def test_duplicate_makes_a_new_draft_from_a_sent_issue(logged_in, token, issue_id):
    set_status(issue_id, "sent")
    page = logged_in.get(f"/admin/issues/{issue_id}").get_data(as_text=True)
    assert f'action="/admin/issues/{issue_id}/duplicate"' in page
    expected = drafts.next_number()
    response = logged_in.post(f"/admin/issues/{issue_id}/duplicate", data={"csrf_token": token})
    assert response.status_code == 303
    source = fresh(issue_id)
    copy = db.session.scalar(sa.select(Issue).where(Issue.id != issue_id))
    assert response.headers["Location"] == f"/admin/issues/{copy.id}"
    assert copy.status == "draft" and copy.number == expected
    assert (copy.title, copy.intro) == (source.title, source.intro)
    assert [m.id for m in copy.lists] == [m.id for m in source.lists]
    assert [(a.title, a.body, a.links) for a in copy.articles] == [
        (a.title, a.body, a.links) for a in source.articles
    ]
    assert copy.articles[0].image_id == source.articles[0].image_id  # reused, not copied
    assert "Kopie" in logged_in.get(response.headers["Location"]).get_data(as_text=True)


def test_duplicate_needs_the_csrf_token(logged_in, issue_id):
    response = logged_in.post(f"/admin/issues/{issue_id}/duplicate", data={})
    assert response.status_code == 400
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Issue)) == 1


def test_send_confirmation_names_the_recipients(logged_in, issue_id, lists):
    add_confirmed([lists["kkp-kompakt"]], 3)
    page = logged_in.get(f"/admin/issues/{issue_id}/send").get_data(as_text=True)
    assert 'data-confirm-dialog="send-dialog"' in page
    dialog = page[page.index('<dialog id="send-dialog"') : page.index("</dialog>")]
    assert "3/2026 jetzt an 3 Empfänger" in dialog
    assert "Ja, jetzt an 3 Empfänger/innen senden" in dialog and "Abbrechen" in dialog
    assert "confirm.js" in page


def test_saves_of_one_issue_at_once_wait_for_each_other(app, logged_in, token, issue_id):
    """Autosave and the Save button (or two editors) at the same moment, again and
    again: each save waits for the other, none fails (on SQLite, with its one writer,
    and on PostgreSQL)."""
    cookie = logged_in.get_cookie("session")
    saves = 6
    data = [autosave_data(issue_id, token, intro=f"Fassung {n}") for n in range(saves)]
    start = threading.Barrier(saves)
    answers: list[int] = []

    def save(n: int) -> None:
        client = app.test_client()
        client.set_cookie(cookie.key, cookie.value, domain=cookie.domain)
        start.wait()
        for _round in range(5):
            if n % 2:
                response = client.post(
                    f"/admin/issues/{issue_id}/autosave", data=data[n], headers=JSON
                )
                answers.append(response.status_code)
            else:
                response = client.post(f"/admin/issues/{issue_id}", data=data[n])
                answers.append(response.status_code)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(saves)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(answers) <= {200, 303}, answers  # saved, or saved and sent on
    assert fresh(issue_id).intro.startswith("Fassung ")
