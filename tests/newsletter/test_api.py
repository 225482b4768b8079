"""Lists and subscribers through /api/v1, with mail going through Redis, the worker and a
real SMTP server. Every answer is checked against the OpenAPI document (tests.api_client)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from newsletter.models import ConsentEvent, MailingList, Subscriber, Suppression
from newsletter.operations import email_hash
from tests.api_client import Api, api_token
from tests.helpers import links, parse_mail, text_of

EVIDENCE = "Anmeldung auf dem Netzwerktreffen am 12.03., Liste liegt vor"


@pytest.fixture
def api(client, editor):
    return Api(client, api_token(editor["id"]))


def fields(response, status=422) -> set[str]:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    return set(error.get("fields", {}))


def add(api, email="anna@example.org", lists=(), headers=None, **extra):
    return api(
        "POST",
        "/subscribers",
        json={"email": email, "lists": list(lists), **extra},
        headers=headers or {},
    )


def subscriber_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(Subscriber.id)))


# -- lists ---------------------------------------------------------------------------------


def test_lists_crud(api, lists):
    listed = api("GET", "/lists")
    assert listed.status_code == 200
    assert [m["slug"] for m in listed.get_json()["items"]] == [
        "kkp-kompakt",
        "fortbildungen",
        "netzwerktreffen",
        "intern",
    ]

    created = api(
        "POST",
        "/lists",
        json={
            "name": "Presse",
            "slug": "presse",
            "description": "Für Journalistinnen",
            "is_public": False,
        },
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["slug"] == "presse" and body["is_public"] is False
    assert created.headers["Location"].endswith(f"/api/v1/lists/{body['id']}")

    one = api("GET", f"/lists/{body['id']}")
    assert one.status_code == 200 and one.get_json() == body

    changed = api("PATCH", f"/lists/{body['id']}", json={"name": "Presse & Medien", "position": 9})
    assert changed.status_code == 200
    assert changed.get_json()["name"] == "Presse & Medien"
    assert changed.get_json()["slug"] == "presse"
    db.session.expire_all()
    stored = db.session.get(MailingList, body["id"])
    assert (stored.name, stored.position, stored.is_public) == ("Presse & Medien", 9, False)
    actions = db.session.scalars(
        sa.select(AuditEntry.action)
        .where(AuditEntry.object_type == "MailingList", AuditEntry.object_id == body["id"])
        .order_by(AuditEntry.id)
    ).all()
    assert actions == ["list.create", "list.update"]


def test_list_slug_must_be_unique(api, lists):
    assert fields(
        api("POST", "/lists", json={"name": "Doppelt", "slug": "fortbildungen"}), 409
    ) == {"slug"}
    assert fields(api("PATCH", f"/lists/{lists['intern']}", json={"slug": "kkp-kompakt"}), 409) == {
        "slug"
    }
    # Its own slug is no conflict.
    assert api("PATCH", f"/lists/{lists['intern']}", json={"slug": "intern"}).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(MailingList.id))) == 4


@pytest.mark.parametrize(
    "body, wrong",
    [
        ({"slug": "neu"}, {"name"}),
        ({"name": "Neu"}, {"slug"}),
        ({"name": "  ", "slug": "neu"}, {"name"}),
        ({"name": "Neu", "slug": "Neu Liste"}, {"slug"}),
        ({"name": "Neu", "slug": "neu-"}, {"slug"}),
        ({"name": "Neu", "slug": "neu", "colour": "rot"}, {"colour"}),
        ({"name": "Neu", "slug": "neu", "is_public": "ja"}, {"is_public"}),
        ({"name": 5, "slug": "neu"}, {"name"}),
        ({"name": "Neu", "slug": "neu", "position": True}, {"position"}),
        ({"name": "Neu", "slug": "neu", "position": 1.5}, {"position"}),
        ({"name": "Neu\r\nBcc: x@example.org", "slug": "neu"}, {"name"}),
        ({"name": "Neu", "slug": "neu", "description": "Zeile 1\nZeile 2"}, {"description"}),
        ({"name": "Neu", "slug": "neu", "description": "nul\x00"}, {"description"}),
        ({"name": "x" * 201, "slug": "neu"}, {"name"}),
    ],
)
def test_bad_list_input(api, lists, body, wrong):
    assert fields(api("POST", "/lists", json=body)) == wrong
    assert db.session.scalar(sa.select(sa.func.count(MailingList.id))) == 4


def test_list_errors(api, lists):
    assert fields(api("PATCH", f"/lists/{lists['intern']}", json={"name": "X", "slug": "a b"})) == {
        "slug"
    }
    db.session.expire_all()
    assert db.session.get(MailingList, lists["intern"]).name == "Lenkungsgruppe intern"
    assert fields(api("GET", "/lists/999"), 404) == set()
    assert fields(api("GET", "/lists/99999999999999999999"), 404) == set()
    assert fields(api("PATCH", "/lists/999", json={"name": "X"}), 404) == set()
    assert (
        fields(api("POST", "/lists", data="name=X", content_type="application/json"), 400) == set()
    )
    assert (
        fields(api("POST", "/lists", data='{"name": "X"}', content_type="text/plain"), 400) == set()
    )
    assert fields(api("POST", "/lists", json=["X"]), 400) == set()


def test_english_field_messages(api, lists):
    response = api(
        "POST",
        "/lists",
        json={"name": "Neu", "slug": "neu", "is_public": 1},
        headers={"Accept-Language": "en"},
    )
    assert response.get_json()["error"]["fields"] == {"is_public": "Must be true or false."}
    german = api("POST", "/lists", json={"name": "Neu", "slug": "neu", "is_public": 1})
    assert set(german.get_json()["error"]["fields"]) == {"is_public"}


# -- adding subscribers --------------------------------------------------------------------


def test_add_without_evidence_sends_the_confirmation_mail(api, lists, mail, drain):
    response = add(
        api,
        "Anna@Example.ORG",
        [lists["kkp-kompakt"], lists["fortbildungen"]],
        name="Anna Beispiel",
        organisation="Stadt Musterstadt",
    )
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/subscribers/{body['id']}")
    assert body["email"] == "anna@example.org" and body["status"] == "pending"
    assert body["source"] == "api"
    assert {s["status"] for s in body["subscriptions"]} == {"pending"}
    assert [e["action"] for e in body["consent_history"]] == ["added", "confirmation_sent"]

    drain()
    [received] = mail.wait_for(1)
    assert received["to"] == ["anna@example.org"]
    msg = parse_mail(received["data"])
    assert "KKP Kompakt" in text_of(msg) and "Fortbildungen" in text_of(msg)
    assert links(text_of(msg), "/subscribe/confirm/")


def test_add_with_evidence_confirms_without_mail(api, lists, mail, drain):
    response = add(api, "bernd@example.org", [lists["intern"]], consent_evidence=EVIDENCE)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "confirmed" and body["confirmed_at"]
    assert [(s["list_slug"], s["status"]) for s in body["subscriptions"]] == [
        ("intern", "confirmed")
    ]
    [event] = body["consent_history"]
    assert event["action"] == "added" and event["details"] == {"evidence": EVIDENCE}
    drain()
    assert mail.messages == []
    # JSON Schema counts 1.0 as an integer, so the API does too.
    again = add(api, "bernd@example.org", [float(lists["kkp-kompakt"])], consent_evidence=EVIDENCE)
    assert again.status_code == 200 and len(again.get_json()["subscriptions"]) == 2


def test_add_in_english(api, lists, mail, drain):
    response = add(api, "claire@example.org", [lists["kkp-kompakt"]], language="en")
    assert response.get_json()["language"] == "en"
    drain()
    [received] = mail.wait_for(1)
    assert parse_mail(received["data"])["Subject"] != "Bitte bestätigen Sie Ihr Abonnement"


def test_add_existing_address_returns_200_with_the_lists_added(api, lists):
    first = add(api, "dora@example.org", [lists["kkp-kompakt"]], consent_evidence=EVIDENCE)
    again = add(
        api,
        "DORA@example.org",
        [lists["netzwerktreffen"]],
        name="Dora D.",
        consent_evidence=EVIDENCE,
    )
    assert again.status_code == 200
    body = again.get_json()
    assert body["id"] == first.get_json()["id"] and body["name"] == "Dora D."
    assert {s["list_slug"] for s in body["subscriptions"]} == {"kkp-kompakt", "netzwerktreffen"}
    assert subscriber_count() == 1


def test_suppressed_address_is_refused(api, lists):
    anna = add(api, "anna@example.org", [lists["kkp-kompakt"]]).get_json()["id"]
    assert api("DELETE", f"/subscribers/{anna}").status_code == 204
    response = add(api, "anna@example.org", [lists["kkp-kompakt"]], consent_evidence=EVIDENCE)
    assert fields(response, 409) == {"email"}
    english = add(
        api, "Anna@example.org", [lists["kkp-kompakt"]], headers={"Accept-Language": "en"}
    )
    assert "unsubscribed or was deleted" in english.get_json()["error"]["message"]
    assert subscriber_count() == 0


@pytest.mark.parametrize(
    "body, wrong",
    [
        ({"email": "kaputt", "lists": [1]}, {"email"}),
        ({"email": "a@example.org\r\nBcc: b@example.org", "lists": [1]}, {"email"}),
        ({"email": "a@example.org", "lists": [1], "name": "Anna\nBeispiel"}, {"name"}),
        ({"email": "a@example.org", "lists": [1], "organisation": "Stadt\rX"}, {"organisation"}),
        (
            {"email": "a@example.org", "lists": [1], "consent_evidence": "ja\nwirklich"},
            {"consent_evidence"},
        ),
        ({"email": "a@example.org", "lists": [1], "name": "\ud800"}, {"name"}),
        ({"email": "a@example.org", "lists": [999]}, {"lists"}),
        ({"email": "a@example.org", "lists": [99999999999]}, {"lists"}),
        ({"email": "a@example.org", "lists": []}, {"lists"}),
        ({"email": "a@example.org", "lists": "1"}, {"lists"}),
        ({"email": "a@example.org", "lists": [True]}, {"lists"}),
        ({"email": "a@example.org", "lists": [1], "status": "confirmed"}, {"status"}),
        ({"email": "a@example.org", "lists": [1], "language": "fr"}, {"language"}),
        ({"email": ["a@example.org"], "lists": [1]}, {"email"}),
        ({"lists": [1]}, {"email"}),
        ({"email": "a@example.org"}, {"lists"}),
    ],
)
def test_bad_subscriber_input_stores_nothing(api, lists, mail, body, wrong):
    assert fields(api("POST", "/subscribers", json=body)) == wrong
    assert subscriber_count() == 0
    assert db.session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 0


def test_body_must_be_json(api, lists):
    assert fields(api("POST", "/subscribers", data="email=a@example.org&lists=1"), 400) == set()
    assert (
        fields(api("POST", "/subscribers", data="{", content_type="application/json"), 400) == set()
    )
    assert subscriber_count() == 0


# -- reading -------------------------------------------------------------------------------


def test_get_subscriber_with_history(api, lists):
    anna = add(api, "anna@example.org", [lists["kkp-kompakt"]]).get_json()["id"]
    body = api("GET", f"/subscribers/{anna}").get_json()
    assert body["email"] == "anna@example.org"
    assert body["subscriptions"][0]["list_name"] == "KKP Kompakt"
    assert body["consent_history"][0]["lists"] == ["KKP Kompakt"]
    assert fields(api("GET", "/subscribers/4711"), 404) == set()
    assert fields(api("GET", "/subscribers/99999999999999"), 404) == set()


def test_filters(api, lists):
    add(api, "anna@example.org", [lists["kkp-kompakt"]], name="Anna Beispiel")
    add(
        api,
        "bernd@stadt.example",
        [lists["fortbildungen"]],
        organisation="Stadt Musterstadt",
        consent_evidence=EVIDENCE,
    )
    add(api, "carla_100%@example.org", [lists["fortbildungen"], lists["kkp-kompakt"]])

    def emails(query):
        response = api("GET", "/subscribers" + query)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [s["email"] for s in response.get_json()["items"]]

    assert emails("") == ["anna@example.org", "bernd@stadt.example", "carla_100%@example.org"]
    assert emails("?status=confirmed") == ["bernd@stadt.example"]
    assert emails("?status=pending") == ["anna@example.org", "carla_100%@example.org"]
    assert emails(f"?list={lists['fortbildungen']}") == [
        "bernd@stadt.example",
        "carla_100%@example.org",
    ]
    assert emails(f"?list={lists['fortbildungen']}&status=pending") == ["carla_100%@example.org"]
    assert emails("?q=MUSTERSTADT") == ["bernd@stadt.example"]
    assert emails("?q=beispiel") == ["anna@example.org"]
    assert emails("?q=%25") == ["carla_100%@example.org"]  # a literal %, not a wildcard
    assert emails("?q=_") == ["carla_100%@example.org"]
    assert emails(f"?list={lists['intern']}") == []

    for query, wrong in [
        ("?status=gone", "status"),
        ("?list=abc", "list"),
        ("?limit=0", "limit"),
        ("?limit=501", "limit"),
        ("?after=-1", "after"),
        ("?limit=1e3", "limit"),
        ("?sort=email", "sort"),
        ("?q=a%0Ab", "q"),
        ("?status=pending&status=confirmed", "status"),
    ]:
        assert fields(api("GET", "/subscribers" + query)) == {wrong}, query


def test_paging_walks_every_subscriber_once(api, lists):
    db.session.add_all(Subscriber(email=f"person{i:03d}@example.org") for i in range(250))
    db.session.commit()
    seen, after, pages = [], None, 0
    while True:
        query = "?limit=100" + (f"&after={after}" if after is not None else "")
        page = api("GET", "/subscribers" + query).get_json()
        pages += 1
        seen += [s["id"] for s in page["items"]]
        after = page["next_after"]
        if after is None:
            break
        assert after == seen[-1]
    assert pages == 3
    assert len(seen) == len(set(seen)) == 250
    assert seen == sorted(seen)
    default = api("GET", "/subscribers").get_json()
    assert len(default["items"]) == 100 and default["next_after"] == seen[99]
    assert len(api("GET", "/subscribers?limit=500").get_json()["items"]) == 250


# -- changing ------------------------------------------------------------------------------


def test_patch_subscriber(api, lists, mail, drain):
    anna = add(
        api,
        "anna@example.org",
        [lists["kkp-kompakt"], lists["fortbildungen"]],
        consent_evidence=EVIDENCE,
    ).get_json()["id"]
    response = api(
        "PATCH",
        f"/subscribers/{anna}",
        json={
            "name": "Anna B.",
            "organisation": "Landkreis",
            "lists": [lists["kkp-kompakt"], lists["netzwerktreffen"]],
        },
    )
    assert response.status_code == 200
    body = response.get_json()
    assert (body["name"], body["organisation"]) == ("Anna B.", "Landkreis")
    assert {(s["list_slug"], s["status"]) for s in body["subscriptions"]} == {
        ("kkp-kompakt", "confirmed"),
        ("netzwerktreffen", "pending"),
    }
    assert [e["action"] for e in body["consent_history"]][-3:] == [
        "list_removed",
        "added",
        "confirmation_sent",
    ]
    drain()
    [received] = mail.wait_for(1)
    assert "Netzwerktreffen" in text_of(parse_mail(received["data"]))

    only_name = api("PATCH", f"/subscribers/{anna}", json={"name": "Anna"})
    assert only_name.get_json()["name"] == "Anna"
    assert only_name.get_json()["organisation"] == "Landkreis"
    assert len(only_name.get_json()["subscriptions"]) == 2


def test_patch_stores_nothing_half_way(api, lists):
    anna = add(api, "anna@example.org", [lists["kkp-kompakt"]], name="Anna").get_json()["id"]
    before = db.session.scalar(sa.select(sa.func.count(ConsentEvent.id)))
    # The name is fine, the list is not: neither may be stored.
    assert fields(
        api("PATCH", f"/subscribers/{anna}", json={"name": "Eve", "lists": [lists["intern"], 999]})
    ) == {"lists"}
    assert fields(
        api("PATCH", f"/subscribers/{anna}", json={"name": "Eve", "organisation": "a\nb"})
    ) == {"organisation"}
    assert fields(api("PATCH", f"/subscribers/{anna}", json={"lists": []})) == {"lists"}
    assert fields(api("PATCH", f"/subscribers/{anna}", json={"email": "eve@example.org"})) == {
        "email"
    }
    assert fields(api("PATCH", "/subscribers/999", json={"name": "Eve"}), 404) == set()
    db.session.expire_all()
    subscriber = db.session.get(Subscriber, anna)
    assert subscriber.name == "Anna" and [s.list_id for s in subscriber.subscriptions] == [
        lists["kkp-kompakt"]
    ]
    assert db.session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == before


def test_unsubscribe_one_list_then_the_last(api, lists):
    anna = add(
        api,
        "anna@example.org",
        [lists["kkp-kompakt"], lists["fortbildungen"]],
        consent_evidence=EVIDENCE,
    ).get_json()["id"]
    assert fields(api("POST", f"/subscribers/{anna}/unsubscribe", json={"list": 999})) == {"list"}
    assert fields(api("POST", f"/subscribers/{anna}/unsubscribe", json={"list": "1"})) == {"list"}
    assert fields(api("POST", f"/subscribers/{anna}/unsubscribe", data="list=1"), 400) == set()

    left = api("POST", f"/subscribers/{anna}/unsubscribe", json={"list": lists["kkp-kompakt"]})
    assert left.status_code == 200
    body = left.get_json()
    assert body["deleted"] is False
    assert [s["list_slug"] for s in body["subscriber"]["subscriptions"]] == ["fortbildungen"]
    assert body["subscriber"]["consent_history"][-1]["action"] == "list_removed"
    audited = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "subscriber.unsubscribe")
    )
    assert (audited.channel, audited.object_id) == ("api", anna)
    assert audited.details == {"list_id": lists["kkp-kompakt"]}

    gone = api("POST", f"/subscribers/{anna}/unsubscribe", json={"list": lists["fortbildungen"]})
    assert gone.get_json() == {"deleted": True, "subscriber": None}
    assert subscriber_count() == 0
    suppression = db.session.get(Suppression, email_hash("anna@example.org"))
    assert suppression.reason == "unsubscribed"
    assert fields(api("GET", f"/subscribers/{anna}"), 404) == set()


def test_unsubscribe_from_everything_without_body(api, lists):
    anna = add(api, "anna@example.org", [lists["kkp-kompakt"], lists["fortbildungen"]]).get_json()[
        "id"
    ]
    response = api("POST", f"/subscribers/{anna}/unsubscribe")
    assert response.get_json() == {"deleted": True, "subscriber": None}
    assert subscriber_count() == 0


def test_delete_suppresses_and_audits(api, lists, editor):
    anna = add(api, "anna@example.org", [lists["kkp-kompakt"]]).get_json()["id"]
    response = api("DELETE", f"/subscribers/{anna}")
    assert response.status_code == 204 and response.get_data() == b""
    assert subscriber_count() == 0
    assert db.session.get(Suppression, email_hash("anna@example.org")).reason == "deleted"
    assert fields(api("DELETE", f"/subscribers/{anna}"), 404) == set()
    entries = db.session.execute(
        sa.select(AuditEntry.action, AuditEntry.channel, AuditEntry.editor_id)
        .where(AuditEntry.action.like("subscriber.%"))
        .order_by(AuditEntry.id)
    ).all()
    assert entries == [
        ("subscriber.create", "api", editor["id"]),
        ("subscriber.delete", "api", editor["id"]),
    ]
    # The audit log keeps ids, never the address.
    assert "anna@example.org" not in str(db.session.scalars(sa.select(AuditEntry.details)).all())
