"""People register for a training until its waiting list fills; one cancels by the link
in her mail and the first on the waiting list moves up: in Chromium."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from events.models import Registration
from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.events import conftest as event_fixtures
from tests.helpers import links, parse_mail, text_of

# the events' factory fixtures, shared with this directory
kinds = event_fixtures.kinds
make_event = event_fixtures.make_event

TITLE = "Fortbildung Gesprächsführung"


def _register(page, name: str, email: str) -> None:
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Organisation (optional)").fill("Stadt Bachtal")
    page.get_by_label("I agree to the processing of my data for this event.").check()
    page.get_by_role("button", name=re.compile("Register|Join the waiting list")).click()


def _mail_to(mail, address: str, subject: str, count: int):
    for item in mail.wait_for(count):
        msg = parse_mail(item["data"])
        if address in item["to"] and str(msg["Subject"]).startswith(subject):
            return msg
    raise AssertionError(f"no mail {subject!r} to {address}")


def test_register_until_the_waiting_list_fills_then_move_up(
    page, lists, make_event, mail, drain, live_server
):
    event = make_event(TITLE, kind="fortbildung", capacity=2, cost_note="kostenfrei")
    page.goto("/lang/en?next=/events/")
    expect(page.get_by_role("heading", name="Events", exact=True)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(page.get_by_text("2 seats left")).to_be_visible()
    assert_accessible(page)

    # a mistake first: the form says what is wrong and keeps the input
    page.get_by_label("Name", exact=True).fill("Anna Berger")
    page.get_by_label("E-mail address").fill("anna@example")
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_text("Please correct the marked fields.")).to_be_visible()
    assert page.get_by_label("Name", exact=True).input_value() == "Anna Berger"
    assert_accessible(page)

    sent = 0

    def sign_up_and_confirm(name: str, email: str, outcome: str) -> None:
        nonlocal sent
        page.goto(f"/events/{event.slug}")
        _register(page, name, email)
        expect(page.get_by_role("heading", name="Thank you for registering")).to_be_visible()
        expect(page.get_by_text(re.compile("Please look in your e-mail"))).to_be_visible()
        drain()
        sent += 1
        request = _mail_to(mail, email, "Please confirm your registration", sent)
        page.goto(links(text_of(request), "/registrations/confirm/")[0])
        expect(page.get_by_role("heading", name="Confirm your registration")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("button", name="Confirm my registration").click()
        expect(page.get_by_text(re.compile(outcome))).to_be_visible()
        drain()
        sent += 1  # the confirmation, or the waiting-list mail

    sign_up_and_confirm("Anna Berger", "anna@example.org", "You are registered.")
    assert_accessible(page)
    sign_up_and_confirm("Ben Kurz", "ben@example.org", "You are registered.")
    page.goto(f"/events/{event.slug}")
    expect(page.get_by_text("Fully booked – waiting list")).to_be_visible()
    sign_up_and_confirm("Cem Ay", "cem@example.org", "you are number 1 on the waiting list")
    assert_accessible(page)

    confirmation = _mail_to(mail, "anna@example.org", "Registration confirmed", sent)
    own_page = links(text_of(confirmation), "/registrations/")[0]
    page.goto(own_page)
    expect(page.get_by_text("You are registered.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Cancel my registration").click()
    expect(page.get_by_text("Your registration has been cancelled.")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel my registration")).to_have_count(0)

    drain()
    promoted = _mail_to(mail, "cem@example.org", "A seat is free", sent + 2)
    page.goto(links(text_of(promoted), "/registrations/")[0])
    expect(page.get_by_text("You are registered.")).to_be_visible()
    assert_accessible(page)

    db.session.expire_all()
    assert dict(db.session.execute(sa.select(Registration.email, Registration.status)).all()) == {
        "anna@example.org": "cancelled",
        "ben@example.org": "confirmed",
        "cem@example.org": "confirmed",
    }


def test_the_german_event_pages_are_accessible_too(page, lists, make_event):
    event = make_event(TITLE, kind="fortbildung", capacity=2, format="hybrid")
    page.goto("/")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    assert_accessible(page)
    page.goto(f"/events/{event.slug}")
    expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
    assert_accessible(page)
