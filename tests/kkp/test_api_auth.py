"""The API's shell: bearer tokens, JSON errors, the rate limit, the OpenAPI document."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from kkp.auth.models import ApiToken, Editor
from kkp.auth.operations import revoke_token
from kkp.extensions import db
from newsletter.models import Subscriber
from tests.api_client import PREFIX, Api, api_token

UNAUTHORISED_EN = "A valid API token is required (Authorization: Bearer …)."


@pytest.fixture
def api(client, editor):
    return Api(client, api_token(editor["id"]))


@pytest.fixture
def anna(api, lists):
    response = api(
        "POST",
        "/subscribers",
        json={
            "email": "anna@example.org",
            "name": "Anna Beispiel",
            "lists": [lists["kkp-kompakt"]],
            "consent_evidence": "Anmeldung auf dem Netzwerktreffen",
        },
    )
    assert response.status_code == 201
    return response.get_json()["id"]


def assert_unauthorised(response, *, english: bool = False):
    assert response.status_code == 401
    assert response.is_json
    error = response.get_json()["error"]
    assert error["status"] == 401 and error["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if english:
        assert error["message"] == UNAUTHORISED_EN


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer kkp_wrong",
        "Basic cmVkYWt0aW9uOmdlaGVpbQ==",
        "Token kkp_wrong",
    ],
)
def test_no_or_wrong_token(client, editor, header):
    headers = {"Authorization": header} if header is not None else {}
    assert_unauthorised(client.get(PREFIX + "/lists", headers=headers))
    assert_unauthorised(
        client.post(PREFIX + "/lists", json={"name": "x", "slug": "x"}, headers=headers)
    )


def test_messages_in_english_when_asked(client, editor):
    response = client.get(PREFIX + "/subscribers", headers={"Accept-Language": "en"})
    assert_unauthorised(response, english=True)


def test_token_from_the_cli_works(app, client, editor, lists):
    result = app.test_cli_runner().invoke(
        args=["create-token", editor["email"], "--name", "Website"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("kkp_")
    response = client.get(PREFIX + "/lists", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert [m["slug"] for m in response.get_json()["items"]][0] == "kkp-kompakt"
    db.session.expire_all()
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.name == "Website"))
    assert token.last_used_at is not None
    assert secret not in (token.token_hash, token.prefix)


def test_cli_refuses_unknown_editor(app, editor):
    result = app.test_cli_runner().invoke(args=["create-token", "niemand@kkp.test"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count(ApiToken.id))) == 0


def test_revoked_token_gets_no_subscriber_data(api, anna):
    assert api("GET", f"/subscribers/{anna}").status_code == 200
    token = db.session.scalar(sa.select(ApiToken))
    revoke_token(token)
    db.session.commit()
    requests = [
        ("GET", "/subscribers", None),
        ("GET", f"/subscribers/{anna}", None),
        ("GET", "/subscribers?q=anna", None),
        ("GET", "/lists", None),
        ("PATCH", f"/subscribers/{anna}", {"name": "Eve"}),
        ("POST", "/subscribers", {"email": "anna@example.org", "lists": [1]}),
        ("POST", f"/subscribers/{anna}/unsubscribe", None),
        ("DELETE", f"/subscribers/{anna}", None),
    ]
    for method, path, body in requests:
        response = api(method, path, json=body)
        assert_unauthorised(response)
        assert b"anna" not in response.get_data().lower()
    db.session.expire_all()
    subscriber = db.session.get(Subscriber, anna)
    assert subscriber.name == "Anna Beispiel" and len(subscriber.subscriptions) == 1


def test_token_of_a_deactivated_editor_is_refused(api, editor):
    db.session.get(Editor, editor["id"]).is_active_account = False
    db.session.commit()
    assert_unauthorised(api("GET", "/lists"))


def test_rate_limit(app, api, editor):
    limit = app.config["KKP_API_LIMIT"]
    app.config["KKP_API_LIMIT"] = "3 per minute"
    try:
        statuses = [api("GET", "/lists").status_code for _ in range(3)]
        blocked = api("GET", "/lists", headers={"Accept-Language": "en"})
        anonymous = api("GET", "/lists", token="kkp_wrong")
    finally:
        app.config["KKP_API_LIMIT"] = limit
    assert statuses == [200, 200, 200]
    assert blocked.status_code == 429 and anonymous.status_code == 429
    assert blocked.get_json()["error"] == {
        "status": 429,
        "message": "Too many requests. Please wait a moment and try again.",
    }


def test_unknown_url_and_method_answer_json(api):
    response = api("GET", "/nothing-here")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404
    response = api("PUT", "/lists")
    assert response.status_code == 405 and response.get_json()["error"]["status"] == 405


def test_openapi_document_is_valid_and_complete(app, client):
    response = client.get(PREFIX + "/openapi.json")  # no token needed
    assert response.status_code == 200
    document = response.get_json()
    validate(document)
    assert document["openapi"].startswith("3.1")

    undocumented = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(PREFIX))
        documented = document["paths"].get(path, {})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operation = documented.get(method.lower())
            if operation is None:
                undocumented.append(f"{method} {path}")
                continue
            assert operation.get("summary"), f"{method} {path} has no summary"
            assert operation.get("responses"), f"{method} {path} has no responses"
            parameters = {
                p["name"]
                for p in documented.get("parameters", []) + operation.get("parameters", [])
                if p["in"] == "path"
            }
            assert parameters == set(re.findall(r"\{(\w+)\}", path)), f"{method} {path}"
    assert not undocumented
    assert len(document["paths"]) >= 5


def test_audit_entries_say_api(api, lists, editor):
    from kkp.auth.models import AuditEntry

    api("POST", "/lists", json={"name": "Presse", "slug": "presse"})
    entry = db.session.scalar(
        sa.select(AuditEntry)
        .where(AuditEntry.action == "list.create")
        .order_by(AuditEntry.id.desc())
    )
    assert entry.channel == "api" and entry.editor_id == editor["id"]
