"""Registrations and invitations through /api/v1, with the real worker and SMTP server
where mail goes out. Every answer is checked against the OpenAPI document."""

from __future__ import annotations

import pytest

from events.models import Registration
from kkp.mail.models import Delivery
from tests.api_client import error_fields as fields
from tests.helpers import parse_mail, text_of
from tests.helpers import row_count as count
from tests.newsletter.conftest import add_confirmed


def add(api, event_id: int, name: str, **extra):
    email = f"{name.lower().replace(' ', '.')}@example.org"
    response = api(
        "POST", f"/events/{event_id}/registrations", json={"name": name, "email": email, **extra}
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def seats(api, event_id: int) -> dict:
    return api("GET", f"/events/{event_id}").get_json()["registration"]


# -- adding people -------------------------------------------------------------------------


def test_people_get_seats_then_the_waiting_list(api, make_event, mail, drain):
    event = make_event(capacity=2)
    anna = add(api, event.id, "Anna Berger", organisation="Stadt Musterstadt")
    assert anna["status"] == "confirmed" and anna["source"] == "editor"
    assert anna["event_id"] == event.id and anna["waiting_place"] is None
    assert anna["organisation"] == "Stadt Musterstadt" and anna["confirmed_at"]
    add(api, event.id, "Bernd Kunz")
    carla = add(api, event.id, "Carla Dorn")
    dieter = add(api, event.id, "Dieter Ernst")
    assert (carla["status"], carla["waiting_place"]) == ("waiting", 1)
    assert (dieter["status"], dieter["waiting_place"]) == ("waiting", 2)
    assert seats(api, event.id) == {
        "mode": "open",
        "capacity": 2,
        "deadline": None,
        "confirmed": 2,
        "pending": 0,
        "waiting": 2,
        "seats_left": 0,
        "capacity_online": None,
        "seats_left_online": None,
    }

    extra = add(api, event.id, "Eva Fuchs", over_capacity=True)
    assert extra["status"] == "confirmed"
    assert seats(api, event.id)["confirmed"] == 3

    drain()
    received = {item["to"][0]: parse_mail(item["data"]) for item in mail.wait_for(5)}
    assert set(received) == {
        "anna.berger@example.org",
        "bernd.kunz@example.org",
        "carla.dorn@example.org",
        "dieter.ernst@example.org",
        "eva.fuchs@example.org",
    }
    assert "Netzwerktreffen Nord" in text_of(received["anna.berger@example.org"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Anna", "email": "keine-adresse"}, "email"),
        ({"name": "Anna"}, "email"),
        ({"email": "anna@example.org"}, "name"),
        ({"name": "", "email": "anna@example.org"}, "name"),
        ({"name": "Anna\r\nBcc: x@example.org", "email": "anna@example.org"}, "name"),
        ({"name": "Anna", "email": "anna@example.org", "organisation": "A\nB"}, "organisation"),
        ({"name": "Anna", "email": "anna@example.org", "consent": True}, "consent"),
        ({"name": "Anna", "email": "anna@example.org", "over_capacity": "ja"}, "over_capacity"),
    ],
)
def test_bad_registrations_name_the_field_and_store_nothing(api, make_event, body, field):
    event = make_event()
    response = api("POST", f"/events/{event.id}/registrations", json=body)
    assert field in fields(response)
    assert count(Registration) == 0 and count(Delivery) == 0


def test_conflicts_and_unknown_events(api, make_event):
    event = make_event()
    add(api, event.id, "Anna Berger")
    again = api(
        "POST",
        f"/events/{event.id}/registrations",
        json={"name": "Anna B.", "email": "Anna.Berger@example.org"},
    )
    assert set(fields(again)) == {"email"}

    api("POST", f"/events/{event.id}/cancel")
    late = api(
        "POST", f"/events/{event.id}/registrations", json={"name": "Bernd", "email": "b@x.org"}
    )
    assert fields(late, 409) == {}
    assert count(Registration) == 1

    for method, path in (
        ("GET", "/events/999/registrations"),
        ("POST", "/events/999/registrations"),
        ("GET", "/registrations/999"),
        ("POST", "/registrations/999/cancel"),
        ("POST", "/registrations/999/move-up"),
    ):
        response = api(method, path, json={"name": "x", "email": "x@example.org"})
        assert fields(response, 404) == {}, path


# -- cancelling and moving up --------------------------------------------------------------


def test_cancelling_a_seat_moves_the_next_person_up(api, make_event, mail, drain):
    event = make_event(capacity=1)
    anna = add(api, event.id, "Anna Berger")
    bernd = add(api, event.id, "Bernd Kunz")
    drain()
    mail.wait_for(2)
    mail.clear()

    response = api("POST", f"/registrations/{anna['id']}/cancel")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "cancelled" and response.get_json()["cancelled_at"]
    moved = api("GET", f"/registrations/{bernd['id']}").get_json()
    assert moved["status"] == "confirmed" and moved["waiting_place"] is None
    assert seats(api, event.id)["waiting"] == 0

    drain()
    assert {item["to"][0] for item in mail.wait_for(2)} == {
        "anna.berger@example.org",
        "bernd.kunz@example.org",
    }
    assert fields(api("POST", f"/registrations/{anna['id']}/cancel"), 409) == {}


def test_move_up_puts_someone_first_or_gives_a_free_seat(api, make_event):
    event = make_event(capacity=1)
    anna = add(api, event.id, "Anna Berger")
    bernd = add(api, event.id, "Bernd Kunz")
    carla = add(api, event.id, "Carla Dorn")
    assert carla["waiting_place"] == 2

    response = api("POST", f"/registrations/{carla['id']}/move-up")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert (response.get_json()["status"], response.get_json()["waiting_place"]) == ("waiting", 1)
    assert api("GET", f"/registrations/{bernd['id']}").get_json()["waiting_place"] == 2

    api("POST", f"/registrations/{anna['id']}/cancel")
    assert api("GET", f"/registrations/{carla['id']}").get_json()["status"] == "confirmed"
    assert fields(api("POST", f"/registrations/{carla['id']}/move-up"), 409) == {}

    # raising the seats with PATCH gives the next a seat too
    api("PATCH", f"/events/{event.id}", json={"capacity": 2})
    assert api("GET", f"/registrations/{bernd['id']}").get_json()["status"] == "confirmed"


def test_capacity_cannot_drop_below_the_confirmed(api, make_event):
    event = make_event(capacity=5)
    for name in ("Anna Berger", "Bernd Kunz", "Carla Dorn"):
        add(api, event.id, name)
    response = api("PATCH", f"/events/{event.id}", json={"capacity": 2, "title": "Neu"})
    assert set(fields(response)) == {"capacity"}
    assert seats(api, event.id)["capacity"] == 5
    assert api("GET", f"/events/{event.id}").get_json()["title"] == "Netzwerktreffen Nord"
    assert api("PATCH", f"/events/{event.id}", json={"capacity": 3}).status_code == 200


# -- lists of registrations ----------------------------------------------------------------


def test_registrations_come_in_pages_and_filter(api, make_event):
    event = make_event(capacity=3)
    other = make_event("Fortbildung Süd", kind="fortbildung")
    people = [add(api, event.id, f"Person {n}") for n in range(5)]
    add(api, other.id, "Person 0")

    seen, after = [], 0
    while after is not None:
        page = api("GET", f"/events/{event.id}/registrations?limit=2&after={after}").get_json()
        assert len(page["items"]) <= 2
        seen += page["items"]
        after = page["next_after"]
    assert [r["id"] for r in seen] == [p["id"] for p in people]
    assert [r["waiting_place"] for r in seen] == [None, None, None, 1, 2]

    waiting = api("GET", f"/events/{event.id}/registrations?status=waiting").get_json()
    assert [r["id"] for r in waiting["items"]] == [p["id"] for p in people[3:]]
    assert "status" in fields(api("GET", f"/events/{event.id}/registrations?status=weg"))


# -- invitations ---------------------------------------------------------------------------


def test_a_list_is_invited_once(api, make_event, lists, mail, drain):
    members = add_confirmed([lists["netzwerktreffen"]], 3)
    add_confirmed([lists["netzwerktreffen"]], 1, start=50, status="pending")
    assert members
    event = make_event(registration_mode="invitation")

    response = api(
        "POST", f"/events/{event.id}/invitations", json={"list_id": lists["netzwerktreffen"]}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"invited": 3}
    invited = api("GET", f"/events/{event.id}/registrations?status=invited").get_json()
    assert {r["email"] for r in invited["items"]} == {f"person{n}@example.org" for n in range(3)}
    assert {r["source"] for r in invited["items"]} == {"invitation"}
    drain()
    assert len(mail.wait_for(3)) == 3

    again = api(
        "POST", f"/events/{event.id}/invitations", json={"list_id": lists["netzwerktreffen"]}
    )
    assert again.get_json() == {"invited": 0}

    person = invited["items"][0]
    removed = api("POST", f"/registrations/{person['id']}/cancel")
    assert removed.get_json()["status"] == "cancelled"


def test_invitations_need_a_published_event_with_registration(api, make_event, lists):
    add_confirmed([lists["netzwerktreffen"]], 2)
    body = {"list_id": lists["netzwerktreffen"]}
    draft = make_event(status="draft")
    assert fields(api("POST", f"/events/{draft.id}/invitations", json=body), 409) == {}
    free = make_event("Offener Treff", registration_mode="none")
    assert fields(api("POST", f"/events/{free.id}/invitations", json=body), 409) == {}

    event = make_event("Lenkungsgruppe", registration_mode="invitation")
    assert "list_id" in fields(
        api("POST", f"/events/{event.id}/invitations", json={"list_id": 999})
    )
    assert "list_id" in fields(api("POST", f"/events/{event.id}/invitations", json={}))
    assert fields(api("POST", "/events/999/invitations", json=body), 404) == {}
    assert count(Registration) == 0
