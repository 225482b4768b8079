"""A test client for /api/v1 that sends the token and checks every answer against the
OpenAPI document the app serves."""

from __future__ import annotations

import re

from jsonschema import Draft202012Validator, FormatChecker

PREFIX = "/api/v1"


def api_token(editor_id: int, name: str = "test") -> str:
    from kkp.auth.models import Editor
    from kkp.auth.operations import create_token
    from kkp.extensions import db

    _token, secret = create_token(db.session.get(Editor, editor_id), name)
    db.session.commit()
    return secret


def response_schema(document: dict, template: str, method: str, status: int) -> dict | None:
    """The documented JSON schema of one response, or None for a body-less one."""
    operation = document["paths"][template][method.lower()]
    response = operation["responses"].get(str(status))
    assert response is not None, f"{method} {template}: status {status} is not documented"
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    content = response.get("content")
    return content["application/json"]["schema"] if content else None


def check_against_document(document: dict, method: str, path: str, response) -> None:
    path = path.split("?", 1)[0].removeprefix(PREFIX)
    for template in document["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", r"[^/]+", template), path):
            break
    else:
        assert response.status_code == 404, f"{path} is not documented"
        return
    if method.lower() not in document["paths"][template]:
        assert response.status_code == 405, f"{method} {path} is not documented"
        return
    schema = response_schema(document, template, method, response.status_code)
    if schema is None:
        assert response.get_data() == b""
        return
    assert response.is_json, response.get_data(as_text=True)
    validator = Draft202012Validator(
        {**schema, "components": document["components"]}, format_checker=FormatChecker()
    )
    errors = [e.message for e in validator.iter_errors(response.get_json())]
    assert not errors, f"{method} {path} {response.status_code}: {errors}"


class Api:
    """`api("POST", "/lists", json={...})` with the token, checked against the document."""

    def __init__(self, client, secret: str | None):
        self.client, self.secret = client, secret
        self._document: dict | None = None

    @property
    def document(self) -> dict:
        if self._document is None:
            self._document = self.client.get(PREFIX + "/openapi.json").get_json()
        return self._document

    def __call__(self, method: str, path: str, *, token: str | None = None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        secret = token or self.secret
        if secret and "Authorization" not in headers:
            headers["Authorization"] = f"Bearer {secret}"
        response = self.client.open(PREFIX + path, method=method, headers=headers, **kwargs)
        check_against_document(self.document, method, path, response)
        return response


def error_fields(response, status: int = 422) -> dict[str, str]:
    """The fields an error answer names, after checking its status and message."""
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["status"] == status and error["message"]
    return error.get("fields", {})
