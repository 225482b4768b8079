"""Issues through /api/v1: composing, test sends, scheduling and sending with the real
worker, Redis and SMTP server. Every answer is checked against the OpenAPI document
(tests.api_client)."""

from __future__ import annotations

import base64
import io
from collections import Counter

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from kkp.extensions import db
from kkp.mail.models import Delivery
from newsletter.models import Article, Image, Issue
from tests.api_client import PREFIX, Api, api_token
from tests.helpers import parse_mail, text_of
from tests.newsletter.conftest import add_confirmed


@pytest.fixture
def api(client, editor):
    return Api(client, api_token(editor["id"]))


def png(width: int = 40, height: int = 20) -> bytes:
    from PIL import Image as PILImage

    picture = PILImage.new("RGB", (width, height), (200, 30, 30))
    buffer = io.BytesIO()
    picture.save(buffer, "PNG")
    return buffer.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def fields(response, status=422) -> set[str]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    return set(error.get("fields", {}))


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def stored(issue_id: int) -> Issue:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Issue, issue_id)


def new_issue(api, lists, **extra) -> dict:
    body = {"number": "3/2026", "title": "Prävention vor Ort", "list_ids": [lists["kkp-kompakt"]]}
    response = api("POST", "/issues", json={**body, **extra})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# -- the whole way -------------------------------------------------------------------------


def test_compose_test_send_send_and_follow_the_progress(api, client, lists, mail, drain):
    confirmed = add_confirmed([lists["kkp-kompakt"]], 6)
    add_confirmed([lists["kkp-kompakt"]], 2, start=50, status="pending")
    add_confirmed([lists["netzwerktreffen"]], 2, start=80)

    issue = new_issue(
        api,
        lists,
        intro="Liebe Netzwerkpartnerinnen und -partner,\n\nhier die **neue** Ausgabe.",
    )
    assert issue["status"] == "draft" and issue["articles"] == []
    assert issue["slug"] == "3-2026-praevention-vor-ort"
    assert issue["list_ids"] == [lists["kkp-kompakt"]]
    assert issue["archive_url"] is None and issue["started_at"] is None
    base = f"/issues/{issue['id']}"

    picture = png()
    first = api(
        "POST",
        base + "/articles",
        json={
            "title": "Fachtag Einbruchschutz",
            "body": "Am **12. Mai** in der Stadthalle.\n\nAnmeldung bis 30. April.",
            "links": [{"label": "Anmeldung", "url": "https://example.org/fachtag"}],
            "image": {"content_base64": b64(picture), "alt": "Die Stadthalle"},
        },
    )
    assert first.status_code == 201, first.get_data(as_text=True)
    article = first.get_json()
    assert article["position"] == 0
    image = article["image"]
    assert (image["width"], image["height"], image["alt"]) == (40, 20, "Die Stadthalle")
    assert image["url"].startswith("http://kkp.test/newsletter/image/")
    served = client.get(image["url"].removeprefix("http://kkp.test"))
    assert served.status_code == 200 and served.mimetype == "image/png"
    assert served.get_data() == picture

    second = api(
        "POST",
        base + "/articles",
        json={"title": "Neues aus dem Netzwerk", "links": [{"url": "http://example.org/netz"}]},
    )
    assert second.status_code == 201
    assert second.get_json()["links"] == [{"label": "", "url": "http://example.org/netz"}]
    assert second.get_json()["image"] is None

    composed = api("GET", base).get_json()
    assert [(a["position"], a["title"]) for a in composed["articles"]] == [
        (0, "Fachtag Einbruchschutz"),
        (1, "Neues aus dem Netzwerk"),
    ]

    test = api(
        "POST",
        base + "/test-send",
        json={"addresses": ["redaktion@example.org", "Pruefer@Example.ORG"]},
    )
    assert test.status_code == 202 and test.get_json() == {"queued": 2}
    drain()
    received = mail.wait_for(2)
    assert sorted(m["to"][0] for m in received) == ["pruefer@example.org", "redaktion@example.org"]
    message = parse_mail(received[0]["data"])
    assert message["Subject"] == "[Test] KKP Kompakt 3/2026: Prävention vor Ort"
    assert "Fachtag Einbruchschutz" in text_of(message)
    assert "https://example.org/fachtag" in text_of(message)
    assert stored(issue["id"]).status == "draft"
    mail.clear()

    started = api("POST", base + "/send")
    assert started.status_code == 202, started.get_data(as_text=True)
    assert started.get_json()["recipients"] == 6
    assert started.get_json()["issue"]["status"] == "sending"
    mail.wait_for(6)
    drain()

    progress = api("GET", base + "/progress").get_json()
    assert progress["status"] == "sent"
    assert progress["sent"] == progress["total"] == 6
    assert (progress["failed"], progress["pending"], progress["left"]) == (0, 0, 0)
    assert progress["failures"] == [] and progress["finished_at"]
    received = Counter(m["to"][0] for m in mail.messages)
    assert set(received) == {f"person{i}@example.org" for i in range(6)}
    assert set(received.values()) == {1} and len(confirmed) == 6

    done = api("GET", base).get_json()
    assert done["status"] == "sent" and done["finished_at"] and done["started_at"]
    assert done["archive_url"] == "http://kkp.test/newsletter/3-2026-praevention-vor-ort"
    assert client.get("/newsletter/3-2026-praevention-vor-ort").status_code == 200
    assert api("GET", "/issues?status=sent").get_json()["items"][0]["id"] == issue["id"]


# -- status changes ------------------------------------------------------------------------


def test_pause_resume_cancel_and_wrong_states(api, lists, compose):
    add_confirmed([lists["kkp-kompakt"]], 3)
    issue_id = compose()
    base = f"/issues/{issue_id}"
    for action in ("pause", "resume", "cancel", "unschedule"):
        assert fields(api("POST", f"{base}/{action}"), 409) == set(), action

    started = api("POST", base + "/send")
    assert started.status_code == 202 and started.get_json()["recipients"] == 3

    article_id = stored(issue_id).articles[0].id
    refused = [
        ("POST", "/send", None),
        ("POST", "/schedule", {"at": "2099-01-01T09:00"}),
        ("POST", "/unschedule", None),
        ("POST", "/resume", None),
        ("PATCH", "", {"title": "Anders"}),
        ("DELETE", "", None),
        ("POST", "/articles", {"title": "Noch einer"}),
        ("PATCH", f"/articles/{article_id}", {"title": "Anders"}),
        ("DELETE", f"/articles/{article_id}", None),
        ("POST", f"/articles/{article_id}/move", {"delta": 1}),
    ]
    for method, path, body in refused:
        assert fields(api(method, base + path, json=body), 409) == set(), (method, path)
    english = api("POST", base + "/send", headers={"Accept-Language": "en"})
    assert english.get_json()["error"]["message"] == "This issue is being sent or was sent already."

    paused = api("POST", base + "/pause", json={"reason": "Rückfrage der Leitung"})
    assert paused.status_code == 200
    assert paused.get_json()["status"] == "paused"
    assert paused.get_json()["pause_reason"] == "Rückfrage der Leitung"
    assert fields(api("POST", base + "/pause"), 409) == set()
    assert api("GET", base + "/progress").get_json()["status"] == "paused"

    resumed = api("POST", base + "/resume")
    assert resumed.status_code == 200
    assert (resumed.get_json()["status"], resumed.get_json()["pause_reason"]) == ("sending", None)

    cancelled = api("POST", base + "/cancel")
    assert cancelled.status_code == 200
    assert cancelled.get_json()["status"] == "cancelled" and cancelled.get_json()["finished_at"]
    for action in ("pause", "resume", "cancel", "send"):
        assert fields(api("POST", f"{base}/{action}"), 409) == set(), action
    assert fields(api("DELETE", base), 409) == set()  # it started: people may have it
    assert stored(issue_id).status == "cancelled"


def test_a_paused_issue_resumes_and_reaches_everyone_once(request, api, lists, compose, mail):
    add_confirmed([lists["kkp-kompakt"]], 4)
    issue_id = compose()
    base = f"/issues/{issue_id}"
    assert api("POST", base + "/send").status_code == 202
    assert api("POST", base + "/pause").status_code == 200
    drain = request.getfixturevalue("drain")  # the worker starts only now
    drain()
    assert mail.messages == []
    assert api("GET", base + "/progress").get_json()["sent"] == 0

    assert api("POST", base + "/resume").status_code == 200
    mail.wait_for(4)
    drain()
    progress = api("GET", base + "/progress").get_json()
    assert progress["status"] == "sent" and progress["sent"] == progress["total"] == 4
    assert sorted(Counter(m["to"][0] for m in mail.messages).values()) == [1, 1, 1, 1]


@pytest.mark.parametrize(
    "at, utc",
    [
        ("2030-07-01T09:00", "2030-07-01T07:00:00+00:00"),  # summer time
        ("2030-01-15T09:00:00", "2030-01-15T08:00:00+00:00"),  # winter time
        ("2030-07-01 09:00", "2030-07-01T07:00:00+00:00"),
        ("2030-07-01T09:00:00+02:00", "2030-07-01T07:00:00+00:00"),
        ("2030-07-01T09:00:00-04:00", "2030-07-01T13:00:00+00:00"),
        ("2030-07-01T07:00:00Z", "2030-07-01T07:00:00+00:00"),
        ("2030-03-31T03:30", "2030-03-31T01:30:00+00:00"),  # just after the clocks go forward
        ("2030-10-27T02:30", "2030-10-27T00:30:00+00:00"),  # the repeated hour: the first
        ("2030-10-27T03:30", "2030-10-27T02:30:00+00:00"),
        ("2032-02-29T12:00", "2032-02-29T11:00:00+00:00"),  # a leap day
    ],
)
def test_schedule_and_unschedule(api, lists, compose, at, utc):
    add_confirmed([lists["kkp-kompakt"]], 2)
    issue_id = compose()
    base = f"/issues/{issue_id}"
    scheduled = api("POST", base + "/schedule", json={"at": at})
    assert scheduled.status_code == 200, scheduled.get_data(as_text=True)
    body = scheduled.get_json()
    assert body["recipients"] == 2
    assert (body["issue"]["status"], body["issue"]["scheduled_at"]) == ("scheduled", utc)
    assert stored(issue_id).scheduled_at.isoformat() == utc

    # While scheduled, it can still be edited and scheduled again.
    assert api("PATCH", base, json={"title": "Später"}).status_code == 200
    again = api("POST", base + "/schedule", json={"at": "2031-01-01T10:00"})
    assert again.get_json()["issue"]["scheduled_at"] == "2031-01-01T09:00:00+00:00"

    back = api("POST", base + "/unschedule")
    assert back.status_code == 200
    assert (back.get_json()["status"], back.get_json()["scheduled_at"]) == ("draft", None)
    assert fields(api("POST", base + "/unschedule"), 409) == set()


@pytest.mark.parametrize(
    "body, wrong",
    [
        ({"at": "2020-01-01T09:00"}, {"at"}),  # the past
        ({"at": "2030-03-31T02:30"}, {"at"}),  # the hour the clocks skip
        ({"at": "2030-07-01"}, {"at"}),  # no time
        ({"at": "morgen früh"}, {"at"}),
        ({"at": "2030-13-01T09:00"}, {"at"}),
        ({"at": "0001-01-01T00:30:00+05:00"}, {"at"}),
        ({"at": 1893484800}, {"at"}),
        ({"at": None}, {"at"}),
        ({}, {"at"}),
        ({"at": "2030-07-01T09:00", "timezone": "UTC"}, {"timezone"}),
    ],
)
def test_bad_schedule_times(api, lists, compose, body, wrong):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    assert fields(api("POST", f"/issues/{issue_id}/schedule", json=body)) == wrong
    issue = stored(issue_id)
    assert (issue.status, issue.scheduled_at) == ("draft", None)


def test_a_scheduled_issue_can_be_cancelled_and_then_deleted(api, lists, compose):
    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    base = f"/issues/{issue_id}"
    assert api("POST", base + "/schedule", json={"at": "2030-07-01T09:00"}).status_code == 200
    assert api("POST", base + "/cancel").get_json()["status"] == "cancelled"
    assert api("DELETE", base).status_code == 204
    assert count(Issue) == count(Article) == 0
    assert fields(api("GET", base), 404) == set()


@pytest.mark.parametrize(
    "make, wrong, message",
    [
        (dict(articles=0), set(), "no articles"),
        (dict(list_slugs=()), {"list_ids"}, "at least one list"),
        (dict(list_slugs=("intern",)), set(), "Nobody"),
    ],
)
def test_an_issue_that_cannot_go_out(api, lists, compose, make, wrong, message):
    add_confirmed([lists["kkp-kompakt"]], 2)
    issue_id = compose(**make)
    base = f"/issues/{issue_id}"
    english = {"Accept-Language": "en"}
    for response in (
        api("POST", base + "/send", headers=english),
        api("POST", base + "/schedule", json={"at": "2030-07-01T09:00"}, headers=english),
    ):
        assert fields(response) == wrong
        assert message in response.get_json()["error"]["message"]
    issue = stored(issue_id)
    assert (issue.status, issue.started_at, issue.scheduled_at) == ("draft", None, None)
    assert count(Delivery) == 0


# -- composing -----------------------------------------------------------------------------


def test_edit_move_and_remove_articles(api, lists, compose):
    issue_id = compose(articles=3)
    base = f"/issues/{issue_id}"
    ids = [a["id"] for a in api("GET", base).get_json()["articles"]]

    def order(response) -> list[int]:
        assert response.status_code == 200, response.get_data(as_text=True)
        articles = response.get_json()["articles"]
        assert [a["position"] for a in articles] == list(range(len(articles)))
        return [a["id"] for a in articles]

    assert order(api("POST", f"{base}/articles/{ids[2]}/move", json={"position": 0})) == [
        ids[2],
        ids[0],
        ids[1],
    ]
    assert order(api("POST", f"{base}/articles/{ids[0]}/move", json={"delta": -1})) == [
        ids[0],
        ids[2],
        ids[1],
    ]
    assert order(api("POST", f"{base}/articles/{ids[0]}/move", json={"delta": -1})) == [
        ids[0],
        ids[2],
        ids[1],
    ]
    assert order(api("POST", f"{base}/articles/{ids[0]}/move", json={"position": 99})) == [
        ids[2],
        ids[1],
        ids[0],
    ]
    move = f"{base}/articles/{ids[0]}/move"
    assert fields(api("POST", move, json={"delta": 1, "position": 0})) == {"delta", "position"}
    assert fields(api("POST", move, json={})) == {"delta", "position"}
    assert fields(api("POST", move, json={"delta": 2})) == {"delta"}
    assert fields(api("POST", move, json={"position": -1})) == {"position"}
    assert fields(api("POST", move), 400) == set()

    article = f"{base}/articles/{ids[1]}"
    renamed = api("PATCH", article, json={"title": "Neuer Titel"}).get_json()
    assert renamed["title"] == "Neuer Titel"
    assert renamed["body"].startswith("Text des Artikels 2")
    assert renamed["links"] == [{"label": "Mehr dazu", "url": "https://example.org/mehr/1"}]

    pictured = api(
        "PATCH", article, json={"image": {"content_base64": b64(png(30, 30)), "alt": "Ein Bild"}}
    ).get_json()
    assert pictured["image"]["alt"] == "Ein Bild" and pictured["image"]["width"] == 30
    relabelled = api("PATCH", article, json={"image": {"alt": "Ein rotes Quadrat"}}).get_json()
    assert relabelled["image"] == {**pictured["image"], "alt": "Ein rotes Quadrat"}
    assert relabelled["title"] == "Neuer Titel"
    assert api("PATCH", article, json={"image": None}).get_json()["image"] is None
    assert fields(api("PATCH", article, json={"image": {"alt": "Kein Bild da"}})) == {"image"}
    assert api("PATCH", article, json={"links": []}).get_json()["links"] == []

    assert api("DELETE", article).status_code == 204
    assert order(api("GET", base)) == [ids[2], ids[0]]
    assert fields(api("DELETE", article), 404) == set()


def test_patch_issue(api, lists):
    issue = new_issue(api, lists, intro="Hallo")
    base = f"/issues/{issue['id']}"
    changed = api(
        "PATCH",
        base,
        json={
            "title": "Sicher im Netz",
            "list_ids": [lists["fortbildungen"], lists["kkp-kompakt"]],
        },
    )
    assert changed.status_code == 200
    body = changed.get_json()
    assert (body["number"], body["title"], body["intro"]) == ("3/2026", "Sicher im Netz", "Hallo")
    assert body["slug"] == "3-2026-sicher-im-netz"
    assert body["list_ids"] == [lists["kkp-kompakt"], lists["fortbildungen"]]

    assert fields(
        api("PATCH", base, json={"title": "Eve", "number": "4\r\nBcc: x@example.org"})
    ) == {"number"}
    assert fields(api("PATCH", base, json={"title": "Eve", "list_ids": [999]})) == {"list_ids"}
    assert fields(api("PATCH", base, json={"slug": "eigener-slug"})) == {"slug"}
    assert stored(issue["id"]).title == "Sicher im Netz"
    assert fields(api("PATCH", "/issues/999", json={"title": "Eve"}), 404) == set()


def test_list_issues_a_page_at_a_time(api, lists):
    made = [new_issue(api, lists, number=f"{n}/2026")["id"] for n in range(1, 6)]
    stored(made[1]).status = "sent"
    db.session.commit()

    first = api("GET", "/issues?limit=2").get_json()
    assert [i["id"] for i in first["items"]] == made[:2] and first["next_after"] == made[1]
    assert "articles" not in first["items"][0]
    rest = api("GET", f"/issues?after={made[1]}").get_json()
    assert [i["id"] for i in rest["items"]] == made[2:] and rest["next_after"] is None
    drafts = api("GET", "/issues?status=draft").get_json()["items"]
    assert [i["id"] for i in drafts] == [made[0], *made[2:]]
    for query, wrong in [
        ("?status=done", "status"),
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?after=x", "after"),
        ("?sort=title", "sort"),
    ]:
        assert fields(api("GET", "/issues" + query)) == {wrong}, query


def test_delete_a_draft(api, lists, compose):
    issue_id = compose()
    assert api("DELETE", f"/issues/{issue_id}").status_code == 204
    assert count(Issue) == count(Article) == 0
    assert fields(api("DELETE", f"/issues/{issue_id}"), 404) == set()


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, wrong",
    [
        ({"number": "3/2026\r\nBcc: opfer@example.org", "title": "T"}, {"number"}),
        ({"number": "3/2026", "title": "Titel\nX-Injected: ja"}, {"title"}),
        ({"number": "3/2026", "title": "Titel\rzwei"}, {"title"}),
        ({"number": "3/2026"}, {"title"}),
        ({"title": "Titel"}, {"number"}),
        ({"number": "   ", "title": "Titel"}, {"number"}),
        ({"number": "3/2026", "title": "x" * 201}, {"title"}),
        ({"number": "x" * 41, "title": "Titel"}, {"number"}),
        ({"number": "3/2026", "title": "Titel", "list_ids": [999]}, {"list_ids"}),
        ({"number": "3/2026", "title": "Titel", "list_ids": "1"}, {"list_ids"}),
        ({"number": "3/2026", "title": "Titel", "intro": 5}, {"intro"}),
        ({"number": "3/2026", "title": "Titel", "intro": "nul\x00"}, {"intro"}),
        ({"number": "3/2026", "title": "Titel", "intro": "x" * 50_001}, {"intro"}),
        ({"number": "3/2026", "title": "Titel", "status": "sent"}, {"status"}),
        ({"number": 3, "title": "Titel"}, {"number"}),
    ],
)
def test_bad_issue_input_stores_nothing(api, lists, body, wrong):
    assert fields(api("POST", "/issues", json=body)) == wrong
    assert count(Issue) == 0


def test_issue_body_must_be_a_json_object(api, lists):
    assert fields(api("POST", "/issues", data="number=3&title=T"), 400) == set()
    assert fields(api("POST", "/issues", json=["3/2026"]), 400) == set()
    assert count(Issue) == 0


_NOT_AN_IMAGE = b64(b"Dies ist ein Text, kein Bild.")


@pytest.mark.parametrize(
    "body, wrong, message",
    [
        (
            {"title": "T", "image": {"content_base64": "kein base64!", "alt": "A"}},
            {"image"},
            "Base64",
        ),
        (
            {"title": "T", "image": {"content_base64": _NOT_AN_IMAGE, "alt": "A"}},
            {"image"},
            "not an image",
        ),
        ({"title": "T", "image": {"content_base64": "", "alt": "A"}}, {"image"}, "empty"),
        ({"title": "T", "image": {"content_base64": b64(png())}}, {"image"}, "alternative text"),
        (
            {"title": "T", "image": {"content_base64": b64(png()), "alt": " "}},
            {"image"},
            "alternative text",
        ),
        ({"title": "T", "image": {"alt": "A"}}, {"image"}, "content_base64"),
        ({"title": "T", "image": {"content_base64": 5, "alt": "A"}}, {"image"}, "string"),
        ({"title": "T", "image": {"content_base64": b64(png()), "alt": "A\nB"}}, {"image"}, ""),
        (
            {"title": "T", "image": {"content_base64": b64(png()), "alt": "A", "src": "x"}},
            {"image"},
            "",
        ),
        ({"title": "T", "image": b64(png())}, {"image"}, "object"),
        ({"title": "T", "links": [{"url": "javascript:alert(1)"}]}, {"links"}, "http"),
        (
            {"title": "T", "links": [{"label": "FTP", "url": "ftp://example.org/a"}]},
            {"links"},
            "http",
        ),
        ({"title": "T", "links": [{"url": "https://"}]}, {"links"}, "http"),
        ({"title": "T", "links": [{"label": "Nur Text"}]}, {"links"}, "url"),
        ({"title": "T", "links": ["https://example.org"]}, {"links"}, ""),
        ({"title": "T", "links": "https://example.org"}, {"links"}, ""),
        (
            {"title": "T", "links": [{"url": "https://example.org/\r\nhttps://evil.example"}]},
            {"links"},
            "Link 1",
        ),
        ({"title": "T", "links": [{"label": "a\nb", "url": "https://example.org"}]}, {"links"}, ""),
        (
            {"title": "T", "links": [{"url": f"https://example.org/{n}"} for n in range(11)]},
            {"links"},
            "10",
        ),
        ({"title": "Titel\r\nBcc: opfer@example.org"}, {"title"}, ""),
        ({"title": " "}, {"title"}, ""),
        ({"body": "Text"}, {"title"}, ""),
        ({"title": "T", "body": ["Text"]}, {"body"}, ""),
        ({"title": "T", "position": 1}, {"position"}, ""),
    ],
)
def test_bad_article_input_stores_nothing(api, lists, body, wrong, message):
    issue = new_issue(api, lists)
    response = api(
        "POST", f"/issues/{issue['id']}/articles", json=body, headers={"Accept-Language": "en"}
    )
    assert fields(response) == wrong
    assert message in response.get_json()["error"]["fields"][wrong.pop()]
    assert count(Article) == count(Image) == 0


def test_oversized_image_is_refused(app, api, lists, monkeypatch):
    issue = new_issue(api, lists)
    picture = png()
    monkeypatch.setitem(app.config, "KKP_IMAGE_MAX_BYTES", len(picture) - 1)
    response = api(
        "POST",
        f"/issues/{issue['id']}/articles",
        json={"title": "T", "image": {"content_base64": b64(picture), "alt": "A"}},
        headers={"Accept-Language": "en"},
    )
    assert fields(response) == {"image"}
    assert "too large" in response.get_json()["error"]["fields"]["image"]
    assert count(Article) == count(Image) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"addresses": [f"p{n}@example.org" for n in range(6)]},
        {"addresses": []},
        {"addresses": ["kaputt"]},
        {"addresses": ["a@example.org\r\nBcc: b@example.org"]},
        {"addresses": "a@example.org"},
        {"addresses": [5]},
        {},
    ],
)
def test_bad_test_send_input(api, lists, compose, body):
    issue_id = compose()
    assert fields(api("POST", f"/issues/{issue_id}/test-send", json=body)) == {"addresses"}
    assert count(Delivery) == 0


def test_not_found(api, lists, compose):
    issue_id = compose()
    other = compose(number="4/2026")
    article_id = stored(other).articles[0].id
    for method, path in [
        ("GET", "/issues/999"),
        ("GET", "/issues/99999999999"),
        ("GET", "/issues/999/progress"),
        ("POST", "/issues/999/send"),
        ("POST", "/issues/999/test-send"),
        ("PATCH", f"/issues/{issue_id}/articles/{article_id}"),
        ("DELETE", f"/issues/{issue_id}/articles/{article_id}"),
        ("POST", f"/issues/{issue_id}/articles/{article_id}/move"),
        ("PATCH", f"/issues/{issue_id}/articles/999"),
    ]:
        assert fields(api(method, path, json={"title": "x"}), 404) == set(), path
    assert len(stored(other).articles) == 2


# -- the shell -----------------------------------------------------------------------------

_ENDPOINTS = [
    ("GET", "/issues"),
    ("POST", "/issues"),
    ("GET", "/issues/1"),
    ("PATCH", "/issues/1"),
    ("DELETE", "/issues/1"),
    ("POST", "/issues/1/articles"),
    ("PATCH", "/issues/1/articles/1"),
    ("DELETE", "/issues/1/articles/1"),
    ("POST", "/issues/1/articles/1/move"),
    ("POST", "/issues/1/test-send"),
    ("POST", "/issues/1/schedule"),
    ("POST", "/issues/1/unschedule"),
    ("POST", "/issues/1/send"),
    ("POST", "/issues/1/pause"),
    ("POST", "/issues/1/resume"),
    ("POST", "/issues/1/cancel"),
    ("GET", "/issues/1/progress"),
]


def test_a_token_is_required(client, editor, lists, compose):
    issue_id = compose()
    for method, path in _ENDPOINTS:
        path = path.replace("/1", f"/{issue_id}", 1)
        for headers in ({}, {"Authorization": "Bearer kkp_wrong"}):
            response = client.open(PREFIX + path, method=method, json={}, headers=headers)
            assert response.status_code == 401, (method, path)
            assert response.get_json()["error"]["status"] == 401
    assert stored(issue_id).status == "draft" and count(Issue) == 1


def test_openapi_document_describes_the_issue_endpoints(client):
    document = client.get(PREFIX + "/openapi.json").get_json()
    validate(document)
    for method, path in _ENDPOINTS:
        template = path.replace("/issues/1", "/issues/{issue_id}", 1).replace(
            "/articles/1", "/articles/{article_id}"
        )
        operation = document["paths"][template][method.lower()]
        assert operation["summary"] and operation["responses"], (method, template)
        assert "401" in operation["responses"]
    for name in ("Issue", "IssueDetail", "Article", "IssueProgress", "IssueSending"):
        assert name in document["components"]["schemas"]
