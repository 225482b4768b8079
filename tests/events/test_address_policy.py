"""The address policy at the events' entrances: the public registration form and the
editors' "add a participant". A domain in Unicode is stored as its A-label; a local
part beyond ASCII (the test relay has no SMTPUTF8) and over-long addresses are refused
at the field with the reason, and nothing is stored or sent."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.events.test_admin_participants import add
from tests.events.test_registration_page import person, sign_up

REFUSED = {
    "ü@example.org": "Unser Mailserver kann keine Adressen mit Umlauten",
    "a" * 65 + "@example.org": "Der Teil vor dem @-Zeichen ist zu lang",
}


def registered() -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(sa.select(Registration.email)))


def test_registration_form(client, lists, make_event):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    assert sign_up(client, event, person(email="Anna@Bücher.de")).status_code == 303
    assert registered() == {"anna@xn--bcher-kva.de"}
    for address, message in REFUSED.items():
        response = sign_up(client, event, person(email=address))
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in html and 'id="email-error"' in html
    assert registered() == {"anna@xn--bcher-kva.de"}


@pytest.mark.parametrize("address", list(REFUSED))
def test_editors_add_a_participant(logged_in, make_event, address):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    response = add(logged_in, event.id, email=address)
    assert response.status_code in (400, 422)
    assert REFUSED[address] in response.get_data(as_text=True)
    assert registered() == set()
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_editors_add_a_participant_with_a_unicode_domain(logged_in, make_event):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    assert add(logged_in, event.id, email="Anna@Bücher.de").status_code == 303
    assert registered() == {"anna@xn--bcher-kva.de"}
