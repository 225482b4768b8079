"""One address policy at every entrance of the newsletter: the sign-up form, the API,
the CSV import, the editors' form and the test mail. A domain in Unicode is taken and
stored as its A-label; a local part beyond ASCII is refused with a clear message while
the relay does not take SMTPUTF8 (the test SMTP server does not); over-long addresses
are refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from kkp.extensions import db
from newsletter.models import Subscriber
from tests.api_client import Api, api_token
from tests.helpers import post_form
from tests.newsletter.conftest import store_unchecked
from tests.newsletter.test_import import finished, upload
from tests.newsletter.test_signup_flow import subscribe

UMLAUT = "ü@example.org"
LONG_LOCAL = "a" * 65 + "@example.org"
REFUSED = {
    UMLAUT: "Unser Mailserver kann keine Adressen mit Umlauten",
    LONG_LOCAL: "Der Teil vor dem @-Zeichen ist zu lang: höchstens 64 Zeichen.",
}


def stored() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Subscriber.email)))


def test_sign_up_form(client, lists):
    response = subscribe(client, email="Anna@Bücher.de", lists=[lists["kkp-kompakt"]])
    assert response.status_code == 303
    assert stored() == {"anna@xn--bcher-kva.de"}
    for address, message in REFUSED.items():
        response = subscribe(client, email=address, lists=[lists["kkp-kompakt"]])
        assert response.status_code in (400, 422)
        assert message in response.get_data(as_text=True)
    assert stored() == {"anna@xn--bcher-kva.de"}


def test_the_same_address_typed_two_ways_is_one_subscriber(client, lists):
    subscribe(client, email="anna@bücher.de", lists=[lists["kkp-kompakt"]])
    subscribe(client, email="anna@xn--bcher-kva.de", lists=[lists["fortbildungen"]])
    assert stored() == {"anna@xn--bcher-kva.de"}


def test_api(client, editor, lists):
    api = Api(client, api_token(editor["id"]))
    created = api(
        "POST", "/subscribers", json={"email": "x@bücher.de", "lists": [lists["kkp-kompakt"]]}
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["email"] == "x@xn--bcher-kva.de"
    for address in REFUSED:
        refused = api(
            "POST", "/subscribers", json={"email": address, "lists": [lists["kkp-kompakt"]]}
        )
        assert refused.status_code == 422
        assert "email" in refused.get_json()["error"]["fields"]
    assert stored() == {"x@xn--bcher-kva.de"}


def test_csv_import(logged_in, lists, drain):
    content = (
        f"E-Mail;Name\r\nx@bücher.de;Xaver\r\n{UMLAUT};Ümit\r\n{LONG_LOCAL};Lang\r\n"
    ).encode()
    response = upload(logged_in, content, lists=[lists["kkp-kompakt"]], evidence="Liste Fachtag")
    url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["rejected"]) == (1, 2)
    report = logged_in.get(url).get_data(as_text=True)
    assert "Umlauten" in report and "zu lang" in report
    assert stored() == {"x@xn--bcher-kva.de"}


def test_editors_form(logged_in, lists):
    data = {"name": "Xaver", "lists": [lists["kkp-kompakt"]], "consent_evidence": "Formular"}
    response = post_form(logged_in, "/admin/subscribers/new", {**data, "email": "x@bücher.de"})
    assert response.status_code == 303
    for address, message in REFUSED.items():
        response = post_form(logged_in, "/admin/subscribers/new", {**data, "email": address})
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    assert stored() == {"x@xn--bcher-kva.de"}


@pytest.mark.parametrize("address", list(REFUSED))
def test_test_mail(logged_in, compose, address):
    issue_id = compose()
    response = post_form(
        logged_in,
        f"/admin/issues/{issue_id}/test",
        {"addresses": address},
        page=f"/admin/issues/{issue_id}/preview",
    )
    assert response.status_code == 422
    assert REFUSED[address] in response.get_data(as_text=True)


def test_with_a_relay_that_takes_smtputf8_an_umlaut_address_is_welcome(
    app, client, lists, utf8_server
):
    response = subscribe(client, email="Ümit@Example.org", lists=[lists["kkp-kompakt"]])
    assert response.status_code == 303
    assert stored() == {"ümit@example.org"}


def test_stored_addresses_that_break_the_policy_are_listed_for_editors(logged_in, lists):
    store_unchecked(UMLAUT, lists["kkp-kompakt"])
    store_unchecked("x@bücher.de", lists["kkp-kompakt"])
    store_unchecked("fine@example.org", lists["kkp-kompakt"])
    page = logged_in.get("/admin/subscribers").get_data(as_text=True)
    assert "2 gespeicherte Adressen können so nicht beliefert werden." in page
    listing = logged_in.get("/admin/subscribers/addresses").get_data(as_text=True)
    assert UMLAUT in listing and "Umlauten" in listing
    assert "x@bücher.de" in listing and "x@xn--bcher-kva.de" in listing
    assert "fine@example.org" not in listing


def test_the_check_command_lists_them(app, lists, ctx):
    store_unchecked(UMLAUT, lists["kkp-kompakt"])
    store_unchecked("fine@example.org", lists["kkp-kompakt"])
    result = app.test_cli_runner().invoke(args=["check-addresses"])
    assert result.exit_code == 1
    assert UMLAUT in result.output and "fine@example.org" not in result.output
    assert "1 stored addresses break the address policy" in result.output


def test_editors_find_an_address_as_people_write_it(logged_in, lists):
    store_unchecked("anna@xn--bcher-kva.de", lists["kkp-kompakt"])
    for typed in ("bücher.de", "anna@bücher.de", "xn--bcher"):
        page = logged_in.get("/admin/subscribers", query_string={"q": typed})
        assert "1 Abonnent" in page.get_data(as_text=True), typed


def test_a_nul_in_the_search_is_no_error(logged_in, lists):
    assert logged_in.get("/admin/subscribers?q=%00").status_code == 200
    assert logged_in.get("/admin/subscribers/export.csv?q=a%00b").status_code == 200


def test_stored_addresses_of_no_valid_shape_are_listed_too(logged_in, lists):
    for bad in ("a..b@example.org", "no-at-sign", "a@example", ".a@example.org"):
        store_unchecked(bad, lists["kkp-kompakt"])
    store_unchecked("fine@example.org", lists["kkp-kompakt"])
    listing = logged_in.get("/admin/subscribers/addresses").get_data(as_text=True)
    for bad in ("a..b@example.org", "no-at-sign", "a@example", ".a@example.org"):
        assert bad in listing
    assert "fine@example.org" not in listing


def test_the_subscribers_page_counts_them_at_most_every_few_minutes(app, ctx, lists):
    """The check reads every stored address: the page's hint reuses its count for
    COUNT_KEPT_SECONDS, and shows it while it counts again (the list of them is always
    fresh)."""
    from kkp import kept
    from newsletter import address_check

    now = [1000.0]

    def count():
        return address_check.count_breaking_policy(clock=lambda: now[0])

    assert count() == 0
    store_unchecked(UMLAUT, lists["kkp-kompakt"])
    assert count() == 0
    assert len(address_check.subscribers_breaking_policy()) == 1
    now[0] += address_check.COUNT_KEPT_SECONDS
    assert count() == 0  # once more, while a thread counts again
    kept.settle()
    assert count() == 1


def test_a_suppressed_address_is_found_whichever_form_its_domain_was_stored_in(ctx):
    """Suppressions stored before the address policy may hold a domain in Unicode or as
    A-label; an address in plain ASCII has one form (and one key to look up)."""
    from people.addresses import address_hashes, email_hash, suppress, suppressed_among

    suppress("a@bücher.de", "unsubscribed")
    suppress("b@xn--strae-oqa.de", "unsubscribed")
    suppress("c@example.org", "unsubscribed")
    db.session.commit()
    asked = ["a@xn--bcher-kva.de", "b@straße.de", " C@Example.org", "d@example.org"]
    assert suppressed_among(asked) == {"a@xn--bcher-kva.de", "b@straße.de", " C@Example.org"}
    assert address_hashes("C@Example.org ") == {email_hash("c@example.org")}
