"""Editors: login, logout, roles, rate limit, CSRF, CLI, tokens and the audit log."""

from __future__ import annotations

import re

import sqlalchemy as sa

from kkp.auth.models import ApiToken, AuditEntry, Editor
from kkp.extensions import db
from tests.helpers import csrf_token, post_form


def test_admin_needs_login(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    assert client.get("/admin/outbox/").status_code == 302


def test_login_and_logout(client, editor):
    wrong = post_form(client, "/admin/login", {"email": editor["email"], "password": "falsch"})
    assert wrong.status_code == 400
    assert "E-Mail-Adresse oder Passwort ist falsch." in wrong.get_data(as_text=True)
    assert 'value="redaktion@kkp.test"' in wrong.get_data(as_text=True)
    ok = post_form(
        client, "/admin/login", {"email": "Redaktion@KKP.test", "password": editor["password"]}
    )
    assert ok.status_code == 302
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Angemeldet als redaktion@kkp.test" in page.get_data(as_text=True)
    out = client.post("/admin/logout", data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert out.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_password_is_hashed(editor):
    stored = db.session.scalar(sa.select(Editor.password_hash))
    assert stored.startswith("$argon2id$") and editor["password"] not in stored


def test_a_password_of_another_cost_is_hashed_again_at_login(app, client, editor):
    """KKP_PASSWORD_HASH_…: a hash stored with the production cost (argon2's default)
    still logs in, and is made again with the cost now configured."""
    from argon2 import PasswordHasher

    from kkp.config import Defaults

    production = PasswordHasher(
        time_cost=Defaults.KKP_PASSWORD_HASH_TIME_COST,
        memory_cost=Defaults.KKP_PASSWORD_HASH_MEMORY_KIB,
    )
    assert (production.time_cost, production.memory_cost) == (3, 65536)
    db.session.execute(sa.update(Editor).values(password_hash=production.hash(editor["password"])))
    db.session.commit()
    ok = post_form(
        client, "/admin/login", {"email": editor["email"], "password": editor["password"]}
    )
    assert ok.status_code == 302
    db.session.expire_all()
    stored = db.session.scalar(sa.select(Editor.password_hash))
    memory, passes = (app.config[f"KKP_PASSWORD_HASH_{k}"] for k in ("MEMORY_KIB", "TIME_COST"))
    cost = f"m={memory},t={passes},"
    assert cost in stored and PasswordHasher().verify(stored, editor["password"])


def test_login_without_csrf_is_refused(client, editor):
    response = client.post(
        "/admin/login", data={"email": editor["email"], "password": editor["password"]}
    )
    assert response.status_code == 400
    assert client.get("/admin/").status_code == 302


def test_login_is_rate_limited(app, client, editor):
    app.config["KKP_LOGIN_LIMIT"] = "3 per minute"
    try:
        statuses = [
            post_form(
                client, "/admin/login", {"email": editor["email"], "password": "falsch"}
            ).status_code
            for _ in range(4)
        ]
        blocked = post_form(
            client, "/admin/login", {"email": editor["email"], "password": editor["password"]}
        )
    finally:
        app.config["KKP_LOGIN_LIMIT"] = "10 per minute;50 per hour"
    assert statuses == [400, 400, 400, 429]
    assert blocked.status_code == 429
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in blocked.get_data(as_text=True)


def test_open_redirect_after_login_is_refused(client, editor):
    html = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login?next=//evil.example/x",
        data={
            "email": editor["email"],
            "password": editor["password"],
            "csrf_token": csrf_token(html),
        },
    )
    assert response.headers["Location"] == "/admin/"


def test_editor_role_cannot_manage_editors(client, ctx):
    from kkp.auth.operations import create_editor

    create_editor("helfer@kkp.test", role="editor", password="noch-ein-passwort")
    db.session.commit()
    post_form(client, "/admin/login", {"email": "helfer@kkp.test", "password": "noch-ein-passwort"})
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/editors").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_create_editor_cli(app, ctx):
    runner = app.test_cli_runner()
    generated = runner.invoke(args=["create-editor", "chefin@kkp.test", "--role", "admin"])
    assert generated.exit_code == 0, generated.output
    assert "password: " in generated.output
    password = generated.output.split("password: ")[1].strip()
    from kkp.auth.operations import authenticate

    assert authenticate("chefin@kkp.test", password).role == "admin"
    piped = runner.invoke(
        args=["create-editor", "team@kkp.test", "--password-stdin"], input="ein-langes-passwort\n"
    )
    assert piped.exit_code == 0 and "password:" not in piped.output
    assert authenticate("team@kkp.test", "ein-langes-passwort").role == "editor"
    duplicate = runner.invoke(
        args=["create-editor", "team@kkp.test", "--password-stdin"], input="ein-langes-passwort\n"
    )
    assert duplicate.exit_code != 0 and "Es gibt schon ein Redaktionskonto" in duplicate.output
    short = runner.invoke(args=["create-editor", "x@kkp.test", "--password-stdin"], input="kurz\n")
    assert short.exit_code != 0


def test_tokens_in_the_admin_interface_and_cli(app, logged_in, editor):
    page = logged_in.get("/admin/tokens").get_data(as_text=True)
    created = logged_in.post(
        "/admin/tokens", data={"name": "Website", "csrf_token": csrf_token(page)}
    )
    html = created.get_data(as_text=True)
    secret = html.split('<pre id="new-token">')[1].split("</pre>")[0]
    assert secret.startswith("kkp_")
    assert db.session.scalar(sa.select(ApiToken.token_hash)) != secret
    api = app.test_client()
    assert (
        api.get("/api/v1/lists", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    )
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-token", editor["email"], "--name", "Skript"])
    assert result.exit_code == 0
    assert (
        api.get(
            "/api/v1/lists", headers={"Authorization": f"Bearer {result.output.strip()}"}
        ).status_code
        == 200
    )


def test_changes_are_audited(logged_in, lists):
    from tests.helpers import post_form as post

    page = logged_in.get("/admin/tokens").get_data(as_text=True)
    logged_in.post("/admin/tokens", data={"name": "Website", "csrf_token": csrf_token(page)})
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "api_token.create" in actions
    audit_page = logged_in.get("/admin/audit").get_data(as_text=True)
    assert "API-Token erstellt" in audit_page and "redaktion@kkp.test" in audit_page
    assert post  # imported for symmetry with other tests


def test_editor_changes_own_password(client, logged_in, editor):
    page = logged_in.get("/admin/account").get_data(as_text=True)
    token = csrf_token(page)
    wrong = logged_in.post(
        "/admin/account",
        data={
            "current": "nicht-richtig",
            "new": "ganz-neues-passwort",
            "repeat": "ganz-neues-passwort",
            "csrf_token": token,
        },
    )
    assert wrong.status_code == 400
    assert "Das aktuelle Passwort ist falsch." in wrong.get_data(as_text=True)
    differ = logged_in.post(
        "/admin/account",
        data={
            "current": editor["password"],
            "new": "ganz-neues-passwort",
            "repeat": "anderes-passwort",
            "csrf_token": token,
        },
    )
    assert "Die beiden neuen Passwörter stimmen nicht überein." in differ.get_data(as_text=True)
    ok = logged_in.post(
        "/admin/account",
        data={
            "current": editor["password"],
            "new": "ganz-neues-passwort",
            "repeat": "ganz-neues-passwort",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 302
    from kkp.auth.operations import authenticate

    assert authenticate(editor["email"], "ganz-neues-passwort") is not None
    assert authenticate(editor["email"], editor["password"]) is None


def test_editors_on_a_local_domain_can_be_added_in_the_form(app, logged_in, ctx):
    """The editors' form follows the address policy for editors (local domains such as
    `kkp.test` or `localhost` are log-in names too), not a second check of its own."""
    from tests.helpers import post_form

    for address in ("neu@kkp.test", "Team@Localhost"):
        response = post_form(
            logged_in,
            "/admin/editors",
            {"email": address, "name": "Neu", "role": "editor", "password": "ein-langes-pw-1"},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
    refused = post_form(
        logged_in,
        "/admin/editors",
        {"email": "neu@kkp.test", "name": "Neu", "role": "editor", "password": "ein-langes-pw-1"},
    )
    assert "Es gibt schon ein Redaktionskonto" in refused.get_data(as_text=True)
    token = app.test_cli_runner().invoke(args=["create-token", "TEAM@localhost"])
    assert token.exit_code == 0, token.output


def _table(client, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 200
    return response.get_data(as_text=True).split('id="result-count"')[1]


def test_the_editors_are_searched_sorted_and_paged(logged_in, monkeypatch):
    from kkp.auth import tables
    from kkp.auth.operations import create_editor

    monkeypatch.setattr(tables, "PAGE_SIZE", 2)
    logged_in.set_cookie("kkp_lang", "en")
    create_editor(
        "anna@kkp.test", role="editor", password="ein-langes-passwort", name="Zora Anders"
    )
    create_editor("zeno@kkp.test", role="editor", password="ein-langes-passwort", name="Anton Berg")
    db.session.commit()
    page = _table(logged_in, "/admin/editors?q=ANDER")
    assert "1 editor." in page and "anna@kkp.test" in page and "zeno@" not in page
    page = _table(logged_in, "/admin/editors?q=zeno@")  # the address too
    assert "zeno@kkp.test" in page and "anna@" not in page
    page = _table(logged_in, "/admin/editors")  # by address without a choice
    assert page.index("anna@") < page.index("redaktion@") and "zeno@" not in page
    assert "aria-sort" not in page
    assert 'rel="next" href="/admin/editors?page=2"' in page
    page = _table(logged_in, "/admin/editors?sort=name&dir=asc")
    assert page.index("zeno@") < page.index("redaktion@") and "anna@" not in page
    assert 'aria-sort="ascending"' in page
    assert 'href="/admin/editors?sort=name&amp;dir=desc"' in page
    assert 'rel="next" href="/admin/editors?page=2&amp;sort=name&amp;dir=asc"' in page
    page = _table(logged_in, "/admin/editors?sort=name&dir=asc&page=2")
    assert "anna@" in page and "zeno@" not in page and "Page 2 of 2" in page
    page = _table(logged_in, "/admin/editors?sort=role&dir=asc")
    assert page.index("redaktion@") < page.index("anna@")  # the administrator first
    # the one who logged in first, the others after, either way round
    for direction in ("asc", "desc"):
        page = _table(logged_in, f"/admin/editors?sort=login&dir={direction}")
        assert re.search(r"<td>([^<]+)</td>", page).group(1) == "redaktion@kkp.test"
    assert 'aria-sort="descending"' in page
    page = _table(logged_in, "/admin/editors?sort=email&dir=desc&q=kkp")
    assert page.index("zeno@") < page.index("redaktion@") and "q=kkp" in page
    page = _table(logged_in, "/admin/editors?sort=nonsense&dir=up&page=x&q=%00")
    assert page.index("anna@") < page.index("redaktion@")
    assert "No editors match." in _table(logged_in, "/admin/editors?q=zzz")


def test_the_tokens_are_searched_sorted_and_paged(logged_in, editor, monkeypatch):
    from kkp.auth import tables
    from kkp.auth.operations import create_editor, create_token
    from kkp.db import utcnow

    monkeypatch.setattr(tables, "PAGE_SIZE", 2)
    logged_in.set_cookie("kkp_lang", "en")
    admin = db.session.get(Editor, editor["id"])
    other = create_editor("helfer@kkp.test", role="editor", password="ein-langes-passwort")
    for name in ("Website", "backup-Skript"):
        create_token(admin, name)
    used, _secret = create_token(other, "Intranet")
    used.last_used_at = utcnow()
    db.session.commit()
    page = _table(logged_in, "/admin/tokens?q=SKRIPT")
    assert "1 token." in page and "backup-Skript" in page and "Website" not in page
    page = _table(logged_in, "/admin/tokens")  # the newest first without a choice
    assert page.index("Intranet") < page.index("backup-Skript") and "Website" not in page
    assert "aria-sort" not in page
    page = _table(logged_in, "/admin/tokens?sort=name&dir=asc")
    assert page.index("backup-Skript") < page.index("Intranet") and "Website" not in page
    assert 'aria-sort="ascending"' in page
    assert 'href="/admin/tokens?sort=name&amp;dir=desc#tokens"' in page
    assert 'rel="next" href="/admin/tokens?page=2&amp;sort=name&amp;dir=asc"' in page
    page = _table(logged_in, "/admin/tokens?sort=name&dir=asc&page=2")
    assert "Website" in page and "Intranet" not in page and "Page 2 of 2" in page
    page = _table(logged_in, "/admin/tokens?sort=created&dir=asc")
    assert page.index("Website") < page.index("backup-Skript") and "Intranet" not in page
    for direction in ("asc", "desc"):  # never used: last, either way round
        page = _table(logged_in, f"/admin/tokens?sort=used&dir={direction}")
        assert "Intranet" in page
    assert 'aria-sort="descending"' in page
    page = _table(logged_in, "/admin/tokens?sort=nonsense&dir=up&page=99&q=%00")
    assert "Page 2 of 2" in page and "Website" in page
    assert "No tokens match." in _table(logged_in, "/admin/tokens?q=zzz")
