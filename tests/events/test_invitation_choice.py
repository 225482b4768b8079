"""Accepting an invitation: to a hybrid event she chooses on site or online (required)
and takes a seat of that kind; to a date of a series of one of several dates she is
refused when she has another date, told why, with a link to her registration."""

from __future__ import annotations

import html
import secrets

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.extensions import db
from tests.events.conftest import register_confirmed
from tests.helpers import csrf_token

LINK = "https://meet.example.org/r/lenkung"


@pytest.fixture
def english(client, lists):
    client.set_cookie("kkp_lang", "en")
    return client


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


def _answer(client, registration, **data):
    from events.registrations import token_for

    url = f"/registrations/{token_for(registration)}"
    page = client.get(f"{url}?answer=accept").get_data(as_text=True)
    return page, client.post(url, data={**data, "csrf_token": csrf_token(page)})


def test_accepting_a_hybrid_invitation_asks_on_site_or_online(english, make_event):
    event = make_event(
        "Lenkungsgruppe",
        kind="gremiensitzung",
        format="hybrid",
        join_url=LINK,
        registration_mode="invitation",
        capacity=1,
        capacity_online=1,
    )
    dora, emil = invited(event, "dora@example.org"), invited(event, "emil@example.org")
    page, refused = _answer(english, dora, action="accept")
    assert "How will you take part?" in page and 'value="online"' in page
    assert refused.status_code == 422
    text = html.unescape(refused.get_data(as_text=True))
    assert "Please choose whether you take part on site or online." in text
    db.session.refresh(dora)
    assert dora.status == "invited"

    # declining needs no choice
    _page, declined = _answer(english, invited(event, "frida@example.org"), action="decline")
    assert declined.status_code == 303

    _page, done = _answer(english, dora, action="accept", participation="online")
    assert done.status_code == 303
    db.session.refresh(dora)
    assert (dora.status, dora.participation) == ("confirmed", "online")
    # the online seat is hers: the next one online waits, on site is still free
    _page, done = _answer(english, emil, action="accept", participation="online")
    db.session.refresh(emil)
    assert (emil.status, emil.participation) == ("waiting", "online")
    from events import invitations

    gustav = invited(event, "gustav@example.org")
    assert invitations.respond(gustav, accept=True, participation="on_site") == "confirmed"


def test_a_second_date_of_one_of_several_is_refused(english, make_event):
    from events.operations import save_series
    from events.registrations import token_for

    series = save_series(None, title="Erste Hilfe für Vereine")
    series.registration_scope = "one_of"
    db.session.commit()
    first = make_event("Erste Hilfe", days=10, capacity=2, series_id=series.id)
    second = make_event(
        "Erste Hilfe", days=20, capacity=2, series_id=series.id, registration_mode="invitation"
    )
    mine, _status = register_confirmed(first.id, name="Dora", email="dora@example.org")
    db.session.commit()
    invitation = invited(second, "dora@example.org")

    _page, refused = _answer(english, invitation, action="accept")
    assert refused.status_code == 409
    text = html.unescape(refused.get_data(as_text=True))
    assert "already registered for another date of this event" in text
    # the token's payload (its time stamp may be of the next second)
    assert f'href="/registrations/{token_for(mine).split(".")[0]}.' in text
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(Registration.event_id, Registration.status)).all())
    assert statuses == {first.id: "confirmed", second.id: "invited"}

    # once she cancelled the other date, she may accept
    from events.registrations import cancel

    cancel(db.session.get(Registration, mine.id))
    db.session.commit()
    _page, done = _answer(english, invitation, action="accept")
    assert done.status_code == 303
    db.session.refresh(invitation)
    assert invitation.status == "confirmed"
