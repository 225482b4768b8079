"""Registering on the event page and managing one's own registration by its link."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.events.conftest import day_in, register_confirmed
from tests.helpers import csrf_token, links, parse_mail, post_form, text_of


@pytest.fixture
def english(client, lists):
    """A visitor who chose English; `lists` publishes the newsletter's consent text
    (version 1), and here the privacy notice for event registration is version 2."""
    from newsletter.operations import publish_consent_text

    publish_consent_text(
        "Datenschutzhinweis für die Anmeldung zu Veranstaltungen.", "event_registration"
    )
    db.session.commit()
    client.set_cookie("kkp_lang", "en")
    return client


def person(name="Anna Berger", email="anna@example.org", **extra) -> dict:
    return {
        "name": name,
        "email": email,
        "organisation": "Stadt Bachtal",
        "consent": "y",
        "consent_version": "2",
        **extra,
    }


def sign_up(client, event, data: dict):
    return post_form(client, f"/events/{event.slug}", data)


def follow(client, response, status: int = 303) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    return client.get(response.headers["Location"]).get_data(as_text=True)


def mails_by_subject(mail, count: int) -> dict[str, object]:
    found = {}
    for item in mail.wait_for(count):
        msg = parse_mail(item["data"])
        found[str(msg["Subject"])] = msg
    return found


def calendar_of(msg) -> str:
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return part.get_payload(decode=True).decode()


def statuses() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())


def invited(event, email: str) -> Registration:
    registration = Registration(
        event_id=event.id,
        email=email,
        name=email.split("@")[0].title(),
        status="invited",
        source="invitation",
        locale="en",
        key=secrets.token_hex(16),
    )
    db.session.add(registration)
    db.session.commit()
    return registration


def manage_url(registration) -> str:
    from events.registrations import token_for

    return f"/registrations/{token_for(registration)}"


# -- registering -----------------------------------------------------------------------


def confirm_by_mail(client, mail, drain, address: str) -> str:
    """Click the link in the mail that asks `address` to confirm, and press the button;
    the page it leads to."""
    drain()
    found = [parse_mail(item["data"]) for item in mail.wait_for(1) if address in item["to"]]
    (link,) = {link for msg in found for link in links(text_of(msg), "/registrations/confirm/")}
    html = client.get(link).get_data(as_text=True)
    mail.clear()
    return follow(client, client.post(link, data={"csrf_token": csrf_token(html)}))


def test_a_confirmed_registration_gets_a_calendar_invitation(english, make_event, mail, drain):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    response = sign_up(english, event, person())
    assert response.headers["Location"] == f"/events/{event.slug}/registered"
    html = follow(english, response)
    assert "Please look in your e-mail: we have sent you a link to confirm" in html

    registration = db.session.scalar(sa.select(Registration))
    assert (registration.status, registration.name) == ("pending", "Anna Berger")
    assert registration.consent_version == 2 and registration.consent_at is not None
    assert registration.locale == "en" and registration.source == "form"
    # a held seat is not shown as taken (the count would tell who registered)
    assert "5 seats left" in english.get(f"/events/{event.slug}").get_data(as_text=True)

    html = confirm_by_mail(english, mail, drain, "anna@example.org")
    assert "Thank you: your registration is confirmed." in html
    assert "You are registered." in html
    drain()
    msg = mails_by_subject(mail, 1)["Registration confirmed: Netzwerktreffen Nord"]
    assert msg["To"].addresses[0].addr_spec == "anna@example.org"
    assert "METHOD:REQUEST" in calendar_of(msg)
    assert links(text_of(msg), "/registrations/")
    assert "4 seats left" in english.get(f"/events/{event.slug}").get_data(as_text=True)


def test_a_full_event_puts_people_on_the_waiting_list(english, make_event, mail, drain):
    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    for name in ("Anna", "Ben", "Cem"):
        follow(english, sign_up(english, event, person(name, f"{name.lower()}@example.org")))
        html = confirm_by_mail(english, mail, drain, f"{name.lower()}@example.org")
    assert "you are number 2 on the waiting list" in html
    assert statuses() == {
        "anna@example.org": "confirmed",
        "ben@example.org": "waiting",
        "cem@example.org": "waiting",
    }
    page = english.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "Fully booked – waiting list" in page and "Join the waiting list" in page

    drain()
    waiting = mails_by_subject(mail, 1)["Waiting list: Fortbildung Gesprächsführung"]
    assert not [p for p in waiting.walk() if p.get_content_type() == "text/calendar"]


def test_a_second_registration_with_the_same_address_sends_the_link_again(
    english, make_event, mail, drain
):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    follow(english, sign_up(english, event, person()))
    confirm_by_mail(english, mail, drain, "anna@example.org")
    drain()
    mail.wait_for(1)
    mail.clear()
    response = sign_up(english, event, person(name="Jemand Anders", email="Anna@Example.org"))
    # the thank-you page carries no token: typing someone's address shows nothing of theirs
    assert response.headers["Location"] == f"/events/{event.slug}/registered"
    html = follow(english, response)
    assert "Please look in your e-mail" in html
    assert "/registrations/" not in html
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    assert db.session.scalar(sa.select(Registration.name)) == "Anna Berger"

    drain()
    again = mails_by_subject(mail, 1)["Your registration: Netzwerktreffen Nord"]
    assert links(text_of(again), "/registrations/")


def test_after_the_deadline_nothing_is_stored(english, make_event):
    event = make_event("Fortbildung mit Frist", kind="fortbildung", deadline_day=day_in(-1))
    html = english.get(f"/events/{event.slug}").get_data(as_text=True)
    assert "The registration deadline has passed." in html
    assert 'name="email"' not in html

    response = post_form(english, f"/events/{event.slug}", person(), page="/subscribe")
    assert response.status_code == 409
    assert "The registration deadline has passed." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (person(name="Anna\r\nBcc: x@evil.example"), "name", None),
        (person(email="anna@"), "email", None),
        (person(name=""), "name", "Please enter your name."),
        ({**person(), "consent": ""}, "consent", "Please agree to the processing of your data."),
    ],
    ids=["crlf-in-name", "invalid-email", "no-name", "no-consent"],
)
def test_bad_input_is_refused_at_the_field(english, make_event, data, field, message):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    response = sign_up(english, event, data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" id="{field}-error">' in html
    if message:
        assert message in html
    assert 'value="Stadt Bachtal"' in html  # the input is kept
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


@pytest.mark.parametrize("version", ["7", "99999999999999999999999", "x", "1"])
def test_a_made_up_consent_version_shows_the_current_text_again(english, make_event, version):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    response = sign_up(english, event, person(consent_version=version))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please read the current privacy notice and agree to it again." in html
    assert 'name="consent_version" type="hidden" value="2"' in html
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


# -- one's own registration ------------------------------------------------------------


def test_looking_at_the_registration_changes_nothing(english, make_event):
    event = make_event("Lenkungsgruppe", kind="gremiensitzung", registration_mode="invitation")
    registration = invited(event, "dora@example.org")
    for answer in ("accept", "decline", ""):
        html = english.get(f"{manage_url(registration)}?answer={answer}").get_data(as_text=True)
        assert "You are invited." in html
    assert statuses() == {"dora@example.org": "invited"}
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0
    html = english.get(f"{manage_url(registration)}?answer=decline").get_data(as_text=True)
    assert 'value="decline" class="" autofocus' in html
    assert 'value="accept" class="secondary"' in html


def test_cancelling_frees_the_seat_for_the_first_on_the_waiting_list(
    english, make_event, mail, drain
):
    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    anna, _ = register_confirmed(event.id, name="Anna", email="anna@example.org", locale="en")
    register_confirmed(event.id, name="Ben", email="ben@example.org", locale="en")
    register_confirmed(event.id, name="Cem", email="cem@example.org", locale="en")
    db.session.commit()
    drain()
    mail.wait_for(3)

    url = manage_url(anna)
    assert "You are registered." in english.get(url).get_data(as_text=True)
    html = follow(english, post_form(english, url, {"action": "cancel"}))
    assert "Your registration has been cancelled." in html
    assert "Your registration is cancelled." in html
    assert statuses() == {
        "anna@example.org": "cancelled",
        "ben@example.org": "confirmed",
        "cem@example.org": "waiting",
    }

    drain()
    found = mails_by_subject(mail, 5)
    promoted = found["A seat is free, you are registered: Fortbildung Gesprächsführung"]
    assert promoted["To"].addresses[0].addr_spec == "ben@example.org"
    assert "METHOD:REQUEST" in calendar_of(promoted)
    gone = found["Registration cancelled: Fortbildung Gesprächsführung"]
    assert "METHOD:CANCEL" in calendar_of(gone)

    # Ben's own page says so, Cem moved up to the first place
    ben = db.session.scalar(sa.select(Registration).where(Registration.email == "ben@example.org"))
    assert "You are registered." in english.get(manage_url(ben)).get_data(as_text=True)
    cem = db.session.scalar(sa.select(Registration).where(Registration.email == "cem@example.org"))
    assert "on the waiting list, in place 1." in english.get(manage_url(cem)).get_data(as_text=True)


def test_invited_people_accept_or_decline(english, make_event, mail, drain):
    event = make_event(
        "Lenkungsgruppe",
        kind="gremiensitzung",
        registration_mode="invitation",
        capacity=1,
        format="online",
        join_url="https://meet.example.org/lg",
    )
    dora, emil, frida = (invited(event, f"{n}@example.org") for n in ("dora", "emil", "frida"))

    html = follow(english, post_form(english, manage_url(dora), {"action": "accept"}))
    assert "Thank you for accepting." in html and "You are registered." in html
    assert 'href="https://meet.example.org/lg"' in html

    html = follow(english, post_form(english, manage_url(emil), {"action": "accept"}))
    assert "you are number 1 on the waiting list" in html

    html = follow(english, post_form(english, manage_url(frida), {"action": "decline"}))
    assert "Sorry you cannot make it." in html
    assert "You have declined the invitation." in html
    assert statuses() == {
        "dora@example.org": "confirmed",
        "emil@example.org": "waiting",
        "frida@example.org": "declined",
    }
    drain()
    found = mails_by_subject(mail, 2)
    assert "METHOD:REQUEST" in calendar_of(found["Registration confirmed: Lenkungsgruppe"])


def test_accepting_after_the_deadline_is_refused(english, make_event):
    event = make_event(
        "Lenkungsgruppe",
        kind="gremiensitzung",
        registration_mode="invitation",
        deadline_day=day_in(-1),
    )
    registration = invited(event, "dora@example.org")
    html = english.get(manage_url(registration)).get_data(as_text=True)
    assert "The registration deadline has passed." in html
    assert 'value="accept"' not in html and 'value="decline"' in html

    response = post_form(english, manage_url(registration), {"action": "accept"})
    assert response.status_code == 409
    assert "The registration deadline has passed." in response.get_data(as_text=True)
    assert statuses() == {"dora@example.org": "invited"}


def test_a_cancelled_event_offers_no_buttons(english, make_event):
    from events.operations import cancel_event

    event = make_event("Netzwerktreffen Nord", capacity=5)
    registration, _ = register_confirmed(event.id, name="Anna", email="anna@example.org")
    db.session.commit()
    url = manage_url(registration)
    page_before = english.get(url).get_data(as_text=True)
    cancel_event(event)
    db.session.commit()
    html = english.get(url).get_data(as_text=True)
    assert "This event has been cancelled." in html
    assert 'name="action"' not in html

    response = post_form(english, url, {"action": "cancel"}, page="/subscribe")
    assert response.status_code == 409
    assert statuses() == {"anna@example.org": "confirmed"}
    assert 'name="action"' in page_before


def test_forged_links_are_not_found(english, make_event):
    from kkp.tokens import make_token

    event = make_event("Netzwerktreffen Nord")
    registration = invited(event, "dora@example.org")
    forged = make_token("registration", {"r": registration.id, "k": "0" * 32})
    for url in ("/registrations/nicht-echt", f"/registrations/{forged}"):
        response = english.get(url)
        assert response.status_code == 404
        assert "This link does not work" in response.get_data(as_text=True)
    response = english.post(f"/registrations/{forged}", data={"action": "decline"})
    assert response.status_code in (400, 404)
    assert statuses() == {"dora@example.org": "invited"}
