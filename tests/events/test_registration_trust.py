"""Registering reveals nothing, mails an address a few times an hour at most, and holds
a seat only for a while until the owner of the address clicks the link in the mail."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import timedelta

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.helpers import csrf_token, links, parse_mail, post_form, text_of


@pytest.fixture
def english(client, lists):
    client.set_cookie("kkp_lang", "en")
    return client


def person(name="Anna Berger", email="anna@example.org") -> dict:
    return {"name": name, "email": email, "organisation": "Stadt Bachtal", "consent": "y"}


def sign_up(client, event, data: dict, ip: str = "192.0.2.1"):
    client.environ_base["REMOTE_ADDR"] = ip
    return post_form(client, f"/events/{event.slug}", data)


def statuses() -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(Registration.email, Registration.status)).all())


def registration_of(email: str) -> Registration:
    db.session.expire_all()
    return db.session.scalar(sa.select(Registration).where(Registration.email == email))


def mails(mail, count: int) -> dict[str, list]:
    """The mails received, parsed, by recipient."""
    found: dict[str, list] = {}
    for item in mail.wait_for(count):
        found.setdefault(item["to"][0], []).append(parse_mail(item["data"]))
    return found


def calendar_methods(msg) -> list[str]:
    return [
        re.search(r"METHOD:(\w+)", p.get_payload(decode=True).decode()).group(1)
        for p in msg.walk()
        if p.get_content_type() == "text/calendar"
    ]


def confirm_link(msg) -> str:
    (link,) = set(links(text_of(msg), "/registrations/confirm/"))
    return link


def without_tokens(html: str) -> str:
    """A page with its CSRF token and script nonces blanked."""
    html = re.sub(r'(name="csrf_token"[^>]*value=")[^"]+', r"\1…", html)
    html = re.sub(r'(<meta name="csrf-token" content=")[^"]+', r"\1…", html)
    return re.sub(r'nonce="[^"]+"', 'nonce="…"', html)


def existing(event, email: str, status: str) -> Registration:
    registration = Registration(
        event_id=event.id,
        email=email,
        name="Schon Da",
        status=status,
        source="form",
        locale="en",
        key=secrets.token_hex(16),
        waiting_since=utcnow() if status == "waiting" else None,
        hold_until=utcnow() + timedelta(minutes=30) if status == "pending" else None,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


# -- the answer reveals nothing ------------------------------------------------------------


@pytest.mark.parametrize("status", ["confirmed", "waiting", "invited", "pending"])
def test_a_known_address_gets_the_same_answer_as_a_new_one(
    english, make_event, mail, drain, status
):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    existing(event, "known@example.org", status)
    answers = []
    for email in ("known@example.org", "new@example.org"):
        response = sign_up(english, event, person(email=email))
        page = english.get(response.headers["Location"])
        answers.append(
            (
                response.status_code,
                response.headers["Location"],
                page.status_code,
                without_tokens(page.get_data(as_text=True)),
            )
        )
    assert answers[0] == answers[1]
    assert answers[0][:3] == (303, f"/events/{event.slug}/registered", 200)
    assert "Please look in your e-mail" in answers[0][3]

    # the mail says the rest: the known address its own registration, the new one a link
    # to confirm
    drain()
    found = mails(mail, 2)
    (known,) = found["known@example.org"]
    (new,) = found["new@example.org"]
    assert str(new["Subject"]) == "Please confirm your registration: Netzwerktreffen Nord"
    assert confirm_link(new)
    if status == "pending":
        assert str(known["Subject"]) == "Please confirm your registration: Netzwerktreffen Nord"
        assert confirm_link(known)
    else:
        assert str(known["Subject"]) == "Your registration: Netzwerktreffen Nord"
        assert links(text_of(known), "/registrations/")
        assert not links(text_of(known), "/registrations/confirm/")
    assert registration_of("known@example.org").name == "Schon Da"  # nothing overwritten


# -- a few mails per address and hour ------------------------------------------------------


class _Kept(logging.Handler):
    """The messages of one logger, kept by a handler of its own (not caplog's on the
    root logger: in make test that missed them now and then, cause not found)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_at_most_three_mails_an_hour_to_one_address_whatever_the_ip(
    english, make_event, mail, drain
):
    first = make_event("Netzwerktreffen Nord", capacity=5)
    second = make_event("Netzwerktreffen Süd", capacity=5)
    pages = set()
    logger = logging.getLogger("events")
    kept, level = _Kept(), logger.level
    logger.addHandler(kept)
    logger.setLevel(logging.INFO)
    try:
        for n in range(10):
            event = first if n % 2 else second
            response = sign_up(english, event, person(), ip=f"198.51.100.{n + 1}")
            assert response.status_code == 303
            pages.add(english.get(response.headers["Location"]).status_code)
    finally:
        logger.removeHandler(kept)
        logger.setLevel(level)
    assert pages == {200}
    drain()
    assert len(mail.wait_for(3)) == 3
    drain()
    assert len(mail.messages) == 3  # not one more
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 3
    limited = [m for m in kept.messages if "mail limit" in m]
    source = logging.getLogger("events.registrations")
    state = (source.disabled, source.propagate, logging.root.manager.disable, kept.messages)
    assert len(limited) == 7, state
    assert not [m for m in limited if "anna@example.org" in m]  # ids, no address
    # another address is not affected
    sign_up(english, first, person(email="ben@example.org"), ip="198.51.100.1")
    drain()
    assert len(mail.wait_for(4)) == 4


# -- a seat is held until the owner confirms -----------------------------------------------


def test_a_pending_registration_holds_a_seat_until_confirmed(english, make_event, mail, drain):
    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    before = utcnow()
    sign_up(english, event, person())
    anna = registration_of("anna@example.org")
    assert anna.status == "pending"
    assert anna.confirmed_at is None
    hold = anna.hold_until - before
    assert timedelta(minutes=59) < hold <= timedelta(minutes=61)
    # the seat is taken (the public page does not show held seats, see below): the
    # next one is asked to confirm for the waiting list
    sign_up(english, event, person("Ben Kurz", "ben@example.org"))
    assert statuses() == {"anna@example.org": "pending", "ben@example.org": "pending_waiting"}

    drain()
    found = mails(mail, 2)
    (request,) = found["anna@example.org"]
    assert str(request["Subject"]) == (
        "Please confirm your registration: Fortbildung Gesprächsführung"
    )
    assert calendar_methods(request) == []  # no calendar entry before the confirmation
    assert "within 60 minutes" in text_of(request)
    assert "waiting list" in text_of(found["ben@example.org"][0])


def test_opening_the_confirm_link_changes_nothing(english, make_event, mail, drain):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    sign_up(english, event, person())
    drain()
    (request,) = mails(mail, 1)["anna@example.org"]
    mail.clear()
    link = confirm_link(request)
    for _ in range(2):  # link scanners fetch it, some twice
        response = english.get(link)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Confirm my registration" in html and 'method="post"' in html
    assert statuses() == {"anna@example.org": "pending"}
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 1


def test_confirming_by_post_takes_the_seat_and_sends_the_calendar_invitation(
    english, make_event, mail, drain
):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    sign_up(english, event, person())
    drain()
    (request,) = mails(mail, 1)["anna@example.org"]
    mail.clear()
    link = confirm_link(request)
    html = english.get(link).get_data(as_text=True)
    response = english.post(link, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert "You are registered." in page
    anna = registration_of("anna@example.org")
    assert (anna.status, anna.hold_until) == ("confirmed", None)
    assert anna.confirmed_at is not None
    drain()
    (confirmation,) = mails(mail, 1)["anna@example.org"]
    assert str(confirmation["Subject"]) == "Registration confirmed: Netzwerktreffen Nord"
    assert calendar_methods(confirmation) == ["REQUEST"]
    # a second click changes nothing and sends nothing
    response = english.post(link, data={"csrf_token": csrf_token(html)})
    assert response.status_code == 303
    drain()
    assert len(mail.messages) == 1


def test_a_waiting_list_place_needs_a_confirmed_address(english, make_event, mail, drain):
    from events.registrations import add_participant, cancel

    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    dora, _ = add_participant(event.id, name="Dora", email="dora@example.org")
    db.session.commit()
    sign_up(english, event, person("Ben Kurz", "ben@example.org"))
    drain()
    (request,) = mails(mail, 2)["ben@example.org"]
    mail.clear()
    # Dora leaves: Ben has not confirmed his address, so the seat is not his
    cancel(registration_of("dora@example.org"))
    db.session.commit()
    assert statuses()["ben@example.org"] == "pending_waiting"
    # he confirms: the free seat is his now
    link = confirm_link(request)
    html = english.get(link).get_data(as_text=True)
    english.post(link, data={"csrf_token": csrf_token(html)})
    assert statuses()["ben@example.org"] == "confirmed"


def test_a_confirmed_waiting_list_place_counts_from_the_confirmation(
    english, make_event, mail, drain
):
    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    for name in ("Anna", "Ben", "Cem"):
        sign_up(english, event, person(name, f"{name.lower()}@example.org"))
    drain()
    found = mails(mail, 3)
    for name in ("Cem", "Ben", "Anna"):  # Cem confirms first
        link = confirm_link(found[f"{name.lower()}@example.org"][0])
        html = english.get(link).get_data(as_text=True)
        english.post(link, data={"csrf_token": csrf_token(html)})
    from events.registrations import waiting_place

    assert statuses() == {
        "anna@example.org": "confirmed",
        "ben@example.org": "waiting",
        "cem@example.org": "waiting",
    }
    assert waiting_place(registration_of("cem@example.org")) == 1
    assert waiting_place(registration_of("ben@example.org")) == 2


def test_an_unconfirmed_hold_lapses_at_the_tick_and_the_seat_goes_to_the_waiting_list(
    app, english, make_event, mail, drain
):
    from events.registrations import add_participant
    from service.schedule import run_due

    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    sign_up(english, event, person())  # holds the seat, never confirms
    add_participant(event.id, name="Ben", email="ben@example.org")  # waiting
    db.session.commit()
    drain()
    (request,) = mails(mail, 2)["anna@example.org"]
    mail.clear()
    assert statuses() == {"anna@example.org": "pending", "ben@example.org": "waiting"}

    run_due(now=utcnow() + timedelta(minutes=30))  # not yet
    assert statuses() == {"anna@example.org": "pending", "ben@example.org": "waiting"}
    run_due(now=utcnow() + timedelta(minutes=61))
    assert statuses() == {"anna@example.org": "expired", "ben@example.org": "confirmed"}
    run_due(now=utcnow() + timedelta(minutes=62))  # a second tick changes nothing
    drain()
    found = mails(mail, 1)
    assert list(found) == ["ben@example.org"]
    (promoted,) = found["ben@example.org"]
    assert str(promoted["Subject"]) == (  # Ben was added by the office: German
        "Ein Platz ist frei geworden, Sie sind angemeldet: Fortbildung Gesprächsführung"
    )
    assert calendar_methods(promoted) == ["REQUEST"]

    # Anna's link now says so and confirms nothing
    link = confirm_link(request)
    html = english.get(link).get_data(as_text=True)
    assert "This link has expired" in html
    assert 'name="csrf_token"' not in html
    token = csrf_token(english.get(f"/events/{event.slug}").get_data(as_text=True))
    response = english.post(link, data={"csrf_token": token})
    assert response.status_code == 409
    assert statuses()["anna@example.org"] == "expired"
    # she can register again, and queues behind the waiting list like anyone
    sign_up(english, event, person())
    assert statuses()["anna@example.org"] == "pending_waiting"


def test_editors_and_invitations_need_no_confirmation(english, make_event, mail, drain):
    from events.invitations import respond
    from events.registrations import add_participant

    event = make_event("Netzwerktreffen Nord", capacity=5)
    add_participant(event.id, name="Dora", email="dora@example.org")
    invited = existing(event, "emil@example.org", "invited")
    respond(invited, accept=True)
    db.session.commit()
    assert statuses() == {"dora@example.org": "confirmed", "emil@example.org": "confirmed"}


def test_the_editor_sees_pending_registrations(logged_in, make_event):
    from events.registrations import register

    event = make_event("Fortbildung Gesprächsführung", kind="fortbildung", capacity=1)
    register(event.id, name="Anna Berger", email="anna@example.org", consent=True)
    register(event.id, name="Ben Kurz", email="ben@example.org", consent=True)
    db.session.commit()
    html = logged_in.get(f"/admin/events/{event.id}/participants").get_data(as_text=True)
    section = html.split('id="pending"', 1)[1].split("</section>", 1)[0]
    assert "Anna Berger" in section and "Ben Kurz" in section
    assert "Bestätigung der E-Mail-Adresse ausstehend (2)" in section
    assert "Platz vorgemerkt bis" in section
    assert "Frei: 0" in html

    csv_text = logged_in.get(f"/admin/events/{event.id}/participants.csv").get_data().decode()
    rows = {line.split(";")[2]: line.split(";")[0] for line in csv_text.splitlines()[1:]}
    assert rows == {
        "Anna Berger": "unbestätigt (Platz vorgemerkt)",
        "Ben Kurz": "unbestätigt (Warteliste)",
    }


def test_the_seats_shown_do_not_tell_whether_an_address_is_registered(english, make_event):
    """A new address holds a seat, a known one changes nothing: the public pages count
    confirmed seats only, so a stranger cannot tell the two apart by the count."""
    event = make_event("Netzwerktreffen Nord", capacity=10)
    existing(event, "victim@example.org", "confirmed")

    def shown() -> tuple[str, str]:
        page = english.get(f"/events/{event.slug}").get_data(as_text=True)
        listing = english.get("/events/").get_data(as_text=True)
        return re.findall(r"\d+ seats? left|Fully booked[^<]*", page), re.findall(
            r"\d+ seats? left|Fully booked[^<]*", listing
        )

    before = shown()
    assert before == (["9 seats left"], ["9 seats left"])
    sign_up(english, event, person(email="victim@example.org"))
    after_known = shown()
    sign_up(english, event, person(email="stranger@example.org"), ip="192.0.2.9")
    after_new = shown()
    assert before == after_known == after_new
    assert statuses()["stranger@example.org"] == "pending"


def test_no_seat_is_held_when_no_mail_can_go_out(english, make_event, mail, drain):
    """Past the address's mail limit nothing happens at all: a hold nobody can confirm
    would block a seat."""
    events = [make_event(f"Netzwerktreffen {n}", capacity=2) for n in range(5)]
    for n, event in enumerate(events):
        assert sign_up(english, event, person(), ip=f"198.51.100.{n + 1}").status_code == 303
    drain()
    assert len(mail.wait_for(3)) == 3
    held = db.session.scalars(
        sa.select(Registration.event_id).where(Registration.email == "anna@example.org")
    ).all()
    assert sorted(held) == sorted(e.id for e in events[:3])


def test_registrations_at_the_same_moment_keep_to_the_mail_limit(app, lists, make_event):
    """Twelve registrations for one address on twelve events at once: at most three
    mails (the address is locked while the limit is counted)."""
    import threading

    events = [make_event(f"Termin {n}", capacity=5) for n in range(12)]
    slugs = [e.slug for e in events]
    barrier = threading.Barrier(len(slugs))
    answers = []

    def register(slug: str, n: int) -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n + 1}"
        page = client.get(f"/events/{slug}").get_data(as_text=True)
        data = {**person(email="victim@example.org"), "csrf_token": csrf_token(page)}
        barrier.wait()
        answers.append(client.post(f"/events/{slug}", data=data).status_code)

    threads = [threading.Thread(target=register, args=(s, n)) for n, s in enumerate(slugs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert answers == [303] * len(slugs)
    db.session.expire_all()
    queued = db.session.scalar(
        sa.select(sa.func.count(Delivery.id)).where(Delivery.recipient == "victim@example.org")
    )
    assert queued == 3
