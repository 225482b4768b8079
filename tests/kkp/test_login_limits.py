"""The login limit counts failed attempts, per account and per address of the client;
behind a reverse proxy (KKP_TRUSTED_PROXIES) the client is the one the proxy names."""

from __future__ import annotations

import re

import pytest

from tests.helpers import csrf_token, post_form

LIMIT = "3 per minute"


@pytest.fixture
def strict(app):
    app.config["KKP_LOGIN_LIMIT"] = LIMIT
    yield app
    app.config["KKP_LOGIN_LIMIT"] = "10 per minute;50 per hour"


def attempt(client, email, password, ip="192.0.2.10", **headers):
    environ = {"REMOTE_ADDR": ip}
    html = client.get("/admin/login", environ_base=environ).get_data(as_text=True)
    return client.post(
        "/admin/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(html)},
        environ_base=environ,
        headers=headers,
    )


def log_out(client):
    page = client.get("/admin/").get_data(as_text=True)
    client.post("/admin/logout", data={"csrf_token": csrf_token(page)})


def assert_locked(response):
    assert response.status_code == 429
    text = response.get_data(as_text=True)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text
    assert re.search(r"um \d{1,2}:\d\d Uhr", text), text  # when to try again
    assert int(response.headers["Retry-After"]) > 0


def test_successful_logins_are_never_limited(strict, client, editor):
    for _ in range(8):
        assert attempt(client, editor["email"], editor["password"]).status_code == 302
        log_out(client)


def test_failed_attempts_lock_the_account_from_any_address(strict, client, editor, ctx):
    from kkp.auth.operations import create_editor
    from kkp.extensions import db

    create_editor("kollege@kkp.test", password="kollegen-passwort")
    db.session.commit()
    for _ in range(3):
        assert attempt(client, editor["email"], "falsch", ip="192.0.2.10").status_code == 400
    # from elsewhere, even with the right password: the account waits
    elsewhere = attempt(client, editor["email"], editor["password"], ip="198.51.100.7")
    assert_locked(elsewhere)
    assert_locked(attempt(client, " Redaktion@KKP.test ", editor["password"], ip="198.51.100.8"))
    # another account from the first address is not locked: three failures are not
    # enough to lock an address that also tried nothing else
    assert (
        attempt(client, "kollege@kkp.test", "kollegen-passwort", ip="203.0.113.5").status_code
        == 302
    )


def test_failed_attempts_lock_the_address(strict, client, editor):
    for n in range(3):
        assert attempt(client, f"niemand{n}@kkp.test", "falsch").status_code == 400
    assert_locked(attempt(client, editor["email"], editor["password"]))
    other = attempt(client, editor["email"], editor["password"], ip="198.51.100.7")
    assert other.status_code == 302


def test_the_lock_message_in_english(strict, client, editor):
    client.set_cookie("kkp_lang", "en")
    for n in range(3):
        attempt(client, f"niemand{n}@kkp.test", "falsch")
    text = attempt(client, editor["email"], editor["password"]).get_data(as_text=True)
    assert "Too many failed attempts to log in" in text


def test_a_forwarded_for_header_is_ignored_without_trusted_proxies(strict, client, editor):
    assert strict.config["KKP_TRUSTED_PROXIES"] == 0
    for n in range(3):
        response = attempt(
            client, f"niemand{n}@kkp.test", "x", **{"X-Forwarded-For": f"10.1.0.{n}"}
        )
        assert response.status_code == 400
    spoofed = attempt(
        client, editor["email"], editor["password"], **{"X-Forwarded-For": "10.1.0.99"}
    )
    assert_locked(spoofed)


@pytest.fixture
def proxied_app(app, broker, database_url, smtp_server):
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config

    config = test_config(database_url, app.config["KKP_BROKER_URL"], smtp_server.port)
    config.update(KKP_TRUSTED_PROXIES=1, KKP_LOGIN_LIMIT=LIMIT)
    try:
        yield create_app(config)
    finally:
        init_broker(app, broker)  # actors are process-wide: bind them back


def test_behind_one_trusted_proxy_each_client_has_its_own_limit(proxied_app, editor):
    client = proxied_app.test_client()
    proxy = "10.0.0.2"
    for n in range(3):
        response = attempt(
            client, f"niemand{n}@kkp.test", "x", ip=proxy, **{"X-Forwarded-For": "198.51.100.1"}
        )
        assert response.status_code == 400
    assert_locked(
        attempt(
            client,
            editor["email"],
            editor["password"],
            ip=proxy,
            **{"X-Forwarded-For": "198.51.100.1"},
        )
    )
    # another client behind the same proxy is not locked
    other = attempt(
        client,
        editor["email"],
        editor["password"],
        ip=proxy,
        **{"X-Forwarded-For": "198.51.100.2"},
    )
    assert other.status_code == 302
    # a client cannot slip past the proxy's entry by adding one of its own
    spoofed = attempt(
        client,
        "niemand@kkp.test",
        "x",
        ip=proxy,
        **{"X-Forwarded-For": "10.9.9.9, 198.51.100.1"},
    )
    assert spoofed.status_code == 429


def test_wrong_current_passwords_are_limited_too(strict, logged_in, editor):
    page = logged_in.get("/admin/account").get_data(as_text=True)
    data = {"current": "falsch", "new": "ganz-neues-pw-1", "repeat": "ganz-neues-pw-1"}
    for _ in range(3):
        response = logged_in.post("/admin/account", data={**data, "csrf_token": csrf_token(page)})
        assert response.status_code == 400
    response = logged_in.post("/admin/account", data={**data, "csrf_token": csrf_token(page)})
    assert response.status_code == 429
    assert "Zu viele fehlgeschlagene" in response.get_data(as_text=True)


def test_changing_the_password_is_not_limited_when_it_works(strict, logged_in, editor):
    password = editor["password"]
    for n in range(5):
        new = f"neues-passwort-{n}"
        response = post_form(
            logged_in, "/admin/account", {"current": password, "new": new, "repeat": new}
        )
        assert response.status_code == 302
        password = new


def test_other_spellings_of_the_address_share_the_account_lock(strict, client, editor):
    """Full-width letters or an ideographic full stop are the same address to the log-in
    (the address policy folds them): they are the same account to the limit too."""
    for _ in range(3):
        assert attempt(client, editor["email"], "falsch").status_code == 400
    for n, spelling in enumerate(
        ("redaktion@ｋkp.test", "redaktion@kkp。test", "REDAKTION@kkp.test")
    ):
        assert_locked(attempt(client, spelling, editor["password"], ip=f"198.51.100.{n + 20}"))
