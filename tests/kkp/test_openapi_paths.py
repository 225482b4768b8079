"""The OpenAPI document keeps today's paths, methods and operation ids: clients
generated from it keep working (tests/kkp/data/openapi_paths.json is the document of
before it was generated from the routes' schemas)."""

from __future__ import annotations

import json
from pathlib import Path

from openapi_spec_validator import validate

from tests.api_client import PREFIX

SNAPSHOT = Path(__file__).parent / "data" / "openapi_paths.json"


def test_the_document_has_the_paths_and_operations_of_before(client):
    document = client.get(PREFIX + "/openapi.json").get_json()
    operations = sorted(
        [path, method, operation.get("operationId")]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    )
    assert operations == json.loads(SNAPSHOT.read_text())


def test_the_document_is_valid_and_keeps_the_bearer_token_scheme(client):
    document = client.get(PREFIX + "/openapi.json").get_json()
    validate(document)
    assert document["components"]["securitySchemes"]["token"] == {
        "type": "http",
        "scheme": "bearer",
    }
    assert document["security"] == [{"token": []}]
    assert document["servers"][0]["url"].endswith("/api/v1")


def test_the_document_is_built_once_and_again_when_a_setting_in_it_changes(app, client):
    docs = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]  # as kkp.api finds it
    first = docs.document(app.config)
    assert docs.document(app.config) is first  # kept, not built again
    limit = app.config["KKP_ARTICLE_MAX_LENGTH"]
    app.config["KKP_ARTICLE_MAX_LENGTH"] = limit + 1
    try:
        changed = client.get(PREFIX + "/openapi.json").get_json()
        body = changed["components"]["schemas"]["ArticleCreate"]["properties"]["body"]
        assert body["maxLength"] == limit + 1
    finally:
        app.config["KKP_ARTICLE_MAX_LENGTH"] = limit
    assert docs.document(app.config) is not first  # built anew, the same as before
    assert docs.document(app.config) == first
