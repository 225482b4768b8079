"""Numbers the database cannot hold, in paths and query strings, and control characters
in paths: a 4xx that says what is wrong, never an error in the database driver (a 500)."""

from __future__ import annotations

import pytest

from tests.api_client import Api, api_token

HUGE = "99999999999999999999"
#: more digits than Python turns into an int without complaint
ENDLESS = "9" * 5000
NOT_FOUND = "Diese Seite gibt es nicht, oder der Link ist nicht mehr gültig."
BAD_NUMBER = "Die Adresse dieser Seite enthält eine ungültige Zahl"

PAGES_WITH_IDS = [
    "/admin/subscribers/{n}",
    "/admin/subscribers/{n}/delete",
    "/admin/lists/{n}",
    "/admin/import/{n}",
    "/admin/import/{n}.json",
    "/admin/import/{n}/rejected.csv",
    "/admin/issues/{n}",
    "/admin/issues/{n}/preview",
    "/admin/issues/{n}/send",
    "/admin/issues/{n}/progress",
    "/admin/issues/{n}/progress.json",
    "/admin/issues/1/articles/{n}/remove",
    "/admin/events/{n}/edit",
    "/admin/events/{n}/participants",
    "/admin/events/{n}/participants.csv",
    "/admin/events/1/participants/{n}/remove",
    "/admin/events/series/{n}",
    "/admin/outbox/{n}",
    "/admin/outbox/{n}/raw",
    "/newsletter/image/{n}-0123456789abcdef.png",
]


@pytest.mark.parametrize("template", PAGES_WITH_IDS)
def test_an_id_the_database_cannot_hold_is_not_found(logged_in, template):
    for number in (HUGE, ENDLESS, str(2**31)):
        response = logged_in.get(template.format(n=number))
        assert response.status_code == 404, number
        if not template.endswith((".json", ".csv", "/raw", ".png")):
            assert NOT_FOUND in response.get_data(as_text=True)


def test_the_largest_id_the_database_holds_is_looked_up(logged_in):
    assert logged_in.get(f"/admin/subscribers/{2**31 - 1}").status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/subscribers?after={HUGE}",
        f"/admin/subscribers?before={HUGE}",
        f"/admin/subscribers?list={HUGE}",
        f"/admin/subscribers/export.csv?list={HUGE}",
        f"/admin/outbox/?page={HUGE}",
        f"/admin/audit?page={HUGE}",
        f"/admin/audit?page={ENDLESS}",
    ],
)
def test_a_paging_number_the_database_cannot_hold_is_a_400(logged_in, url):
    response = logged_in.get(url)
    assert response.status_code == 400
    name = url.split("?")[1].split("=")[0]
    assert f"{BAD_NUMBER} („{name}“)" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/admin/subscribers?after=²",
        "/admin/subscribers?list=١٢",
        "/admin/subscribers?list=²",  # a digit to str.isdigit, not to int()
        "/admin/subscribers?before=-1",
        "/admin/audit?page=abc",
        "/admin/outbox/?page=1e9",
    ],
)
def test_what_is_no_number_at_all_is_ignored(logged_in, url):
    """As it always was: such a link shows the first page."""
    assert logged_in.get(url).status_code == 200


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", f"/subscribers/{HUGE}"),
        ("DELETE", f"/subscribers/{HUGE}"),
        ("POST", f"/subscribers/{HUGE}/unsubscribe"),
        ("GET", f"/lists/{HUGE}"),
        ("GET", f"/issues/{HUGE}"),
        ("PATCH", f"/issues/1/articles/{HUGE}"),
        ("GET", f"/events/{HUGE}"),
        ("GET", f"/events/{HUGE}/registrations"),
        ("GET", f"/registrations/{HUGE}"),
        ("GET", f"/series/{HUGE}"),
        ("GET", f"/subscribers/{ENDLESS}"),
    ],
)
def test_the_api_answers_a_huge_id_with_a_json_404(client, editor, method, path):
    api = Api(client, api_token(editor["id"]))
    response = api(method, path, json={})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == NOT_FOUND


@pytest.mark.parametrize("query", ["after", "limit"])
@pytest.mark.parametrize("path", ["/subscribers", "/issues", "/events", "/series"])
def test_the_api_refuses_a_huge_paging_number_naming_it(client, editor, path, query):
    api = Api(client, api_token(editor["id"]))
    response = api("GET", f"{path}?{query}={HUGE}")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["fields"]) == {query}


@pytest.mark.parametrize(
    "path",
    [
        "/newsletter/a%00b",
        "/newsletter/feed.%00",
        "/events/a%00b",
        "/events/a%00b.ics",
        "/events/a%00b/registered",
        "/events/series/a%00b",
        "/calendar/a%00b.ics",
        "/events/feed.%01",
    ],
)
def test_a_control_character_in_a_path_is_not_found(client, ctx, path):
    """PostgreSQL refuses a NUL in any text it compares: that was a 500."""
    response = client.get(path)
    assert response.status_code == 404
    assert NOT_FOUND in response.get_data(as_text=True)
