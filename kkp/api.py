"""The JSON API under /api/v1: token auth, errors as JSON, the OpenAPI document.

Domains add their routes with `register_api(bp)` and their schema parts to
:data:`OPENAPI_PATHS` / :data:`OPENAPI_SCHEMAS`.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request
from flask_babel import gettext as _

from kkp.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

OPENAPI_PATHS: dict = {}
OPENAPI_SCHEMAS: dict = {
    "Error": {
        "type": "object",
        "properties": {"error": {"type": "object", "properties": {
            "status": {"type": "integer"}, "message": {"type": "string"},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}}}}},
    },
}


class ApiError(Exception):
    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.fields = status, message, fields or {}


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    body = {"status": exc.status, "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    return jsonify(error=body), exc.status


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return None
    from kkp.auth.operations import editor_for_token

    header = request.headers.get("Authorization", "")
    scheme, _sep, secret = header.partition(" ")
    editor = editor_for_token(secret.strip()) if scheme.lower() == "bearer" and secret else None
    if editor is None:
        raise ApiError(401, _("A valid API token is required (Authorization: Bearer …)."))
    g.kkp_editor = editor
    g.kkp_channel = "api"
    return None


limiter.limit(lambda: current_app.config["KKP_API_LIMIT"])(bp)


def json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, _("The request body must be a JSON object."))
    return data


@bp.get("/openapi.json")
def openapi():
    return jsonify({
        "openapi": "3.1.0",
        "info": {"title": "KKP Kompakt API", "version": "1",
                 "description": "Lists and subscribers of KKP Kompakt."},
        "servers": [{"url": current_app.config["KKP_BASE_URL"] + "/api/v1"}],
        "components": {
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
            "schemas": OPENAPI_SCHEMAS,
        },
        "security": [{"token": []}],
        "paths": OPENAPI_PATHS,
    })
