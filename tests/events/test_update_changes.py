"""Update mails say what changed: old → new time and place, the new link, from the
old values kept in the delivery's params when the editor saved; the calendar entry
is updated with a raised SEQUENCE."""

from __future__ import annotations

from datetime import time

from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.events.conftest import register_confirmed
from tests.helpers import parse_mail, text_of

LINK = "https://meet.example.org/r/neu"


def _join(event, email: str, **extra):
    register_confirmed(event.id, name="Anna Berger", email=email, locale="en", **extra)
    db.session.commit()


def _update(event, **changes):
    from events.operations import input_from, update_event

    data = input_from(event)
    for name, value in changes.items():
        setattr(data, name, value)
    update_event(event, data)
    db.session.commit()


def _mails(mail, count: int) -> dict[str, object]:
    return {item["to"][0]: parse_mail(item["data"]) for item in mail.wait_for(count)}


def test_the_update_says_old_and_new(make_event, mail, drain):
    event = make_event("Netzwerktreffen Nord")
    _join(event, "anna@example.org")
    drain()
    mail.wait_for(1)
    mail.clear()

    _update(event, start_time=time(14, 0), end_time=time(16, 0), venue="Bürgerhaus")
    (delivery,) = db.session.query(Delivery).filter_by(kind="event_update").all()
    assert delivery.params["before"]["venue"] == "Rathaus, Sitzungssaal"
    assert "starts_at" in delivery.params["before"]
    drain()
    msg = _mails(mail, 1)["anna@example.org"]
    body = " ".join(text_of(msg).split())
    assert "What changed:" in body
    assert "10:00–12:00 → " in body and "14:00–16:00" in body
    assert (
        "Place: Rathaus, Sitzungssaal, Markt 1, 01067 Dresden → Bürgerhaus, Markt 1, "
        "01067 Dresden" in body
    )
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    calendar = part.get_payload(decode=True).decode()
    assert "METHOD:REQUEST" in calendar and "SEQUENCE:1" in calendar


def test_a_new_link_reaches_those_online(make_event, mail, drain):
    event = make_event("Fachtag hybrid", format="hybrid", join_url="https://meet.example.org/r/alt")
    _join(event, "netz@example.org", participation="online")
    _join(event, "ort@example.org", participation="on_site")
    drain()
    mail.wait_for(2)
    mail.clear()

    _update(event, join_url=LINK)
    drain()
    found = _mails(mail, 2)
    online = " ".join(text_of(found["netz@example.org"]).split())
    on_site = " ".join(text_of(found["ort@example.org"]).split())
    assert f"Link: the previous link → {LINK}" in online  # named, not repeated
    assert "meet.example.org/r/alt" not in online
    assert LINK not in on_site
