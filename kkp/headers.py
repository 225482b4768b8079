"""Security headers on every answer: pages, API, feeds, calendars, errors, static files.

A small after-request hook rather than flask-talisman: what we need is path- and
view-dependent (no-store on editor pages and on every URL that carries a token; a
view's own policy kept for mail shown in a frame), HSTS follows the configured
KKP_BASE_URL rather than the request's scheme, and talisman's HTTPS redirect and
session-cookie handling would have to be switched off again.
"""

from __future__ import annotations

import io
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request, send_file

#: no inline script or style anywhere: every script and style sheet is a file of ours;
#: pictures also from KKP_BASE_URL, which the articles' image links name
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: {base_url}",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

#: mail HTML shown in a sandboxed frame of our own pages (outbox, issue preview): the
#: mail's inline styles and pictures from anywhere, no script, no form, no plugin
FRAMED_MAIL_POLICY = "; ".join(
    (
        "sandbox",
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "img-src * data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    )
)

#: links carry tokens: the address of a page goes to no other site (and to our own,
#: because Flask-WTF checks the Referer of form posts over HTTPS)
REFERRER_POLICY = "same-origin"
#: two years, the usual value for preload lists
HSTS = "max-age=63072000; includeSubDomains"


def framed_mail(html: str) -> Response:
    """Mail HTML as its own document, for an `<iframe sandbox src=…>` of ours."""
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = FRAMED_MAIL_POLICY
    return response


def _private(response: Response) -> bool:
    """Editor pages, pages opened by a token and answers to an API token: never stored."""
    return (
        request.path == "/admin"
        or request.path.startswith("/admin/")
        or "token" in (request.view_args or {})
        or "Authorization" in request.headers
    )


def stored_file(data: bytes, content_type: str, filename: str) -> Response:
    """A file we keep (its type read from its bytes on upload) as a download: an
    attachment of that type, never sniffed, never cached."""
    response = send_file(
        io.BytesIO(data or b""),
        mimetype=content_type,
        as_attachment=True,
        download_name=filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    if "Content-Security-Policy" not in headers:
        base = urlsplit(current_app.config["KKP_BASE_URL"])
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.format(
            base_url=f"{base.scheme}://{base.netloc}"
        )
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = REFERRER_POLICY
    if _private(response):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
    if current_app.config["KKP_BASE_URL"].startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return response


def init_app(app: Flask) -> None:
    app.after_request(add_security_headers)
