"""Security headers on every answer: pages, API, feeds, calendars, errors, static files."""

from __future__ import annotations

import re

import pytest

from service.app import ROOT

# once, in the SQLite pass: the headers of an answer do not depend on the database
pytestmark = pytest.mark.sqlite_only

#: one of each kind of answer a browser or client gets
ANSWERS = [
    "/",
    "/subscribe",
    "/events/",
    "/newsletter/",
    "/newsletter/feed.rss",
    "/events/feed.atom",
    "/calendar.ics",
    "/api/v1/openapi.json",
    "/api/v1/lists",  # 401 without a token
    "/healthz",
    "/readyz",
    "/metrics",  # 404 without the token
    "/static/kkp.css",
    "/gibt-es-nicht",  # 404
    "/admin/login",
    "/admin/",  # the redirect to the login
]

TOKEN_PAGES = [
    "/preferences/kein-gueltiges-token",
    "/preferences/kein-gueltiges-token/data.json",
    "/preferences/kein-gueltiges-token/delete",
    "/unsubscribe/kein-gueltiges-token",
    "/subscribe/confirm/kein-gueltiges-token",
    "/registrations/kein-gueltiges-token",
]


def policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request.path}"
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


@pytest.mark.parametrize("url", ANSWERS)
def test_content_security_policy_on_every_answer(client, lists, url):
    csp = policy(client.get(url))
    assert csp["script-src"] == "'self'"  # no inline script, no eval
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'self'"
    assert csp["form-action"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["default-src"] == "'self'"
    assert csp["img-src"] == "'self' data: http://kkp.test"  # KKP_BASE_URL names pictures


def test_headers_on_refused_requests_and_server_errors(client, lists, monkeypatch):
    refused = client.post("/subscribe", data={})  # no CSRF token
    assert refused.status_code == 400
    assert policy(refused)["frame-ancestors"] == "'none'"
    assert policy(client.delete("/"))["script-src"] == "'self'"  # 405

    def broken(**kwargs):
        raise RuntimeError("a fault of ours")

    monkeypatch.setattr("service.site.published_issues", broken)
    failed = client.get("/")
    assert failed.status_code == 500
    assert policy(failed)["script-src"] == "'self'"
    assert failed.headers["X-Content-Type-Options"] == "nosniff"
    assert failed.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("url", ANSWERS)
def test_nosniff_on_every_answer(client, lists, url):
    assert client.get(url).headers.get("X-Content-Type-Options") == "nosniff"


@pytest.mark.parametrize("url", ANSWERS + TOKEN_PAGES)
def test_referrer_policy_keeps_tokens_on_this_site(client, lists, url):
    assert client.get(url).headers.get("Referrer-Policy") == "same-origin"


@pytest.mark.parametrize("url", TOKEN_PAGES)
def test_pages_opened_by_a_token_are_not_stored(client, lists, url):
    assert client.get(url).headers.get("Cache-Control") == "no-store"


def test_a_valid_preferences_page_is_not_stored(client, lists):
    from kkp.extensions import db
    from newsletter import operations

    subscriber, _ = operations.add_subscriber(
        email="olga@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="x"
    )
    db.session.commit()
    token = operations.subscriber_token(subscriber, "preferences")
    response = client.get(f"/preferences/{token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_every_url_with_a_token_is_not_stored(app, client, lists):
    """Also token URLs added later: every rule with a <token> in it."""
    rules = [r for r in app.url_map.iter_rules() if "token" in r.arguments]
    assert len(rules) >= 5
    for rule in rules:
        url = re.sub(r"<(?:[^:>]+:)?token>", "kein-gueltiges-token", rule.rule)
        url = re.sub(r"<(?:int:)?[^>]+>", "1", url)
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = client.open(url, method=method)
            assert response.headers.get("Cache-Control") == "no-store", (method, url)


@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/subscribers", "/admin/issues", "/admin/outbox/", "/admin/account"]
)
def test_editor_pages_are_not_stored(logged_in, url):
    response = logged_in.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


def test_public_pages_may_be_cached(client, lists):
    assert "no-store" not in client.get("/newsletter/feed.rss").headers.get("Cache-Control", "")


def test_hsts_only_when_the_base_url_is_https(app, client, lists):
    assert "Strict-Transport-Security" not in client.get("/").headers
    previous = app.config["KKP_BASE_URL"]
    app.config["KKP_BASE_URL"] = "https://kkp.example.org"
    try:
        for url in ("/", "/static/kkp.css", "/gibt-es-nicht", "/api/v1/openapi.json"):
            hsts = client.get(url).headers.get("Strict-Transport-Security", "")
            assert re.fullmatch(r"max-age=\d{8,}(; includeSubDomains)?", hsts), (url, hsts)
    finally:
        app.config["KKP_BASE_URL"] = previous


def test_mail_html_in_the_outbox_is_framed_without_scripts(app, logged_in, ctx):
    from kkp.extensions import db
    from kkp.mail.models import OutboxMessage

    raw = (
        b"Subject: x\r\nContent-Type: text/html; charset=utf-8\r\nMIME-Version: 1.0\r\n\r\n"
        b'<p style="color:red">Hallo</p>'
    )
    stored = OutboxMessage(envelope_from="a@kkp.test", recipients="b@kkp.test", raw=raw)
    db.session.add(stored)
    db.session.commit()
    csp = policy(logged_in.get(f"/admin/outbox/{stored.id}/html"))
    assert "sandbox" in csp and csp["default-src"] == "'none'"
    assert csp["style-src"] == "'unsafe-inline'"  # the mail's own inline styles
    assert "script-src" not in csp  # none: default-src 'none' forbids every script
    assert csp["frame-ancestors"] == "'self'"
    page = logged_in.get(f"/admin/outbox/{stored.id}").get_data(as_text=True)
    assert "style=" not in page


# Templates of pages (mail templates are for mail programs, not for our CSP).
PAGE_TEMPLATES = [
    p for p in (ROOT / "templates").rglob("*.html") if "mail" not in p.relative_to(ROOT).parts[1:2]
]


@pytest.mark.parametrize("path", PAGE_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_script_or_style_in_page_templates(path):
    source = path.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", source), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", source), "inline event handler"
    assert not re.search(r"\sstyle\s*=", source), "style attribute"
    assert "<style" not in source
    assert "srcdoc" not in source  # a srcdoc frame would inherit the page's policy
    assert "javascript:" not in source


def test_api_answers_to_a_token_are_not_stored(client, editor, lists):
    from tests.api_client import api_token

    secret = api_token(editor["id"])
    response = client.get("/api/v1/lists", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert policy(response)["frame-ancestors"] == "'none'"
