"""Error pages: German (or English) HTML for people, JSON for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


def _messages() -> dict[int, str]:
    return {
        400: _("The request could not be processed. Please check your input."),
        401: _("Please log in."),
        403: _("You are not allowed to do this."),
        404: _("This page does not exist, or the link is no longer valid."),
        405: _("This action is not possible here."),
        413: _("The file is too large."),
        429: _("Too many requests. Please wait a moment and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is unavailable right now. Please try again later."),
    }


def wants_json() -> bool:
    """A script of ours asking (it says ``Accept: application/json``), not a person."""
    return request.accept_mimetypes.best == "application/json"


def error_response(status: int, message: str | None = None):
    message = message or _messages().get(status, _messages()[500])
    if request.path.startswith("/api/") or wants_json():
        return jsonify({"error": {"status": status, "message": message}}), status
    return make_response(
        render_template("errors/error.html", status=status, message=message)
    ), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return error_response(
            400,
            _(
                "The form has expired or was sent from elsewhere. Please reload the page and "
                "try again."
            ),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code is None or exc.code < 400:
            return exc
        if exc.response is not None:  # an answer of its own (a locked login)
            return exc.response
        message = None
        if exc.code in (400, 403, 404) and exc.description and getattr(exc, "kkp_message", False):
            message = exc.description
        response, status = error_response(exc.code, message)
        if not isinstance(response, str):
            for name, value in exc.get_headers():
                if name.lower() not in ("content-type", "content-length"):
                    response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def server_error(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)
