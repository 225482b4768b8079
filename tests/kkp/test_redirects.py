"""The `next` of the language switch and of the login leads only to a path of this site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.helpers import csrf_token

#: as an attacker writes them into the query string (percent-encoded where needed)
HOSTILE = [
    "/%09/evil.example",
    "//evil.example",
    "/%5Cevil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "/%5Ct/evil.example",
    "/%09%09/evil.example",
    "/%0A/evil.example",
    "///evil.example",
    "/%2F/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "%20//evil.example",
    "/x%0d%0aSet-Cookie:a=b",
    "/x%00y",
    "evil.example",
]


def assert_stays_here(response, expected: str) -> None:
    assert response.status_code in (302, 303), response.status_code
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location == expected
    assert "Set-Cookie" not in response.headers or "a=b" not in response.headers["Set-Cookie"]


@pytest.mark.parametrize("target", HOSTILE)
def test_language_switch_refuses_foreign_targets(client, target):
    response = client.get(f"/lang/en?next={target}")
    assert_stays_here(response, "/")


@pytest.mark.parametrize("target", HOSTILE)
def test_login_refuses_foreign_targets(client, editor, target):
    html = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        f"/admin/login?next={target}",
        data={
            "email": editor["email"],
            "password": editor["password"],
            "csrf_token": csrf_token(html),
        },
    )
    assert_stays_here(response, "/admin/")


def test_local_targets_still_work(client, editor):
    assert client.get("/lang/en?next=/subscribe%3Fx%3D1").headers["Location"] == "/subscribe?x=1"
    html = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login?next=/admin/issues",
        data={
            "email": editor["email"],
            "password": editor["password"],
            "csrf_token": csrf_token(html),
        },
    )
    assert response.headers["Location"] == "/admin/issues"
