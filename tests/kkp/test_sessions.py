"""Editor sessions: logging out and a new password end every session of the editor (a
copied cookie too), an idle session ends, the cookie is Secure behind https."""

from __future__ import annotations

import time

import pytest

from tests.helpers import csrf_token, post_form


def log_in(client, editor, password=None):
    response = post_form(
        client,
        "/admin/login",
        {"email": editor["email"], "password": password or editor["password"]},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def copy_of(app, client):
    """A second browser holding a copy of `client`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_copied_cookie_is_refused_after_logout(app, logged_in):
    thief = copy_of(app, logged_in)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lives
    page = logged_in.get("/admin/").get_data(as_text=True)
    logged_in.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert logged_in.get("/admin/").status_code == 302
    refused = thief.get("/admin/")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/admin/login")


def test_logging_out_ends_the_editors_other_sessions(app, client, editor):
    office, home = log_in(client, editor), log_in(app.test_client(), editor)
    page = home.get("/admin/").get_data(as_text=True)
    home.post("/admin/logout", data={"csrf_token": csrf_token(page)})
    assert office.get("/admin/").status_code == 302


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, client, editor):
    first, second = log_in(client, editor), log_in(app.test_client(), editor)
    changed = post_form(
        second,
        "/admin/account",
        {"current": editor["password"], "new": "ein-ganz-neues-pw", "repeat": "ein-ganz-neues-pw"},
    )
    assert changed.status_code == 302
    assert second.get("/admin/").status_code == 200
    assert first.get("/admin/").status_code == 302
    log_in(app.test_client(), editor, "ein-ganz-neues-pw")


def test_an_idle_session_ends(app, logged_in):
    minutes = app.config["KKP_EDITOR_IDLE_MINUTES"]
    assert minutes == 60
    with logged_in.session_transaction() as session:
        session["kkp_seen"] = int(time.time()) - (minutes - 1) * 60
    assert logged_in.get("/admin/").status_code == 200  # and that counts as activity
    with logged_in.session_transaction() as session:
        assert session["kkp_seen"] >= int(time.time()) - 5
        session["kkp_seen"] = int(time.time()) - minutes * 60 - 1
    ended = logged_in.get("/admin/")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/admin/login")
    login_page = logged_in.get(ended.headers["Location"]).get_data(as_text=True)
    assert "60 Minuten" in login_page and "erneut an" in login_page
    assert logged_in.get("/admin/").status_code == 302  # ended for good, not just once


def test_the_idle_time_is_configurable(app, logged_in):
    app.config["KKP_EDITOR_IDLE_MINUTES"] = 5
    try:
        with logged_in.session_transaction() as session:
            session["kkp_seen"] = int(time.time()) - 6 * 60
        assert logged_in.get("/admin/").status_code == 302
    finally:
        app.config["KKP_EDITOR_IDLE_MINUTES"] = 60


@pytest.fixture
def https_app(app, broker, database_url, smtp_server):
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config

    config = test_config(database_url, app.config["KKP_BROKER_URL"], smtp_server.port)
    config["KKP_BASE_URL"] = "https://kkp.example.org"
    try:
        yield create_app(config)
    finally:
        init_broker(app, broker)  # actors are process-wide: bind them back


def test_cookies_are_secure_when_the_base_url_is_https(https_app, client):
    secure = https_app.test_client()
    session_cookie = secure.get("/admin/login").headers["Set-Cookie"]
    assert session_cookie.startswith("session=")
    assert "; Secure" in session_cookie and "; HttpOnly" in session_cookie
    assert "; Secure" in secure.get("/lang/en").headers["Set-Cookie"]
    # over plain http (the test app's base URL) they are not: the browser would drop them
    assert "; Secure" not in client.get("/admin/login").headers["Set-Cookie"]


def test_a_page_polling_for_news_does_not_keep_an_idle_session_alive(app, logged_in, ctx):
    """The progress page asks for news every two seconds by itself: that is not the
    editor at work."""
    from kkp.extensions import db
    from newsletter import issues

    issue = issues.create_issue(number="1/2026", title="Probe", intro="", list_ids=[])
    db.session.commit()
    seen = int(time.time()) - 30 * 60
    with logged_in.session_transaction() as session:
        session["kkp_seen"] = seen
    assert logged_in.get(f"/admin/issues/{issue.id}/progress.json").status_code == 200
    with logged_in.session_transaction() as session:
        assert session["kkp_seen"] == seen
