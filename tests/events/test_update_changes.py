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


def _updates() -> list[str]:
    """The recipients of the update mails queued."""
    return sorted(d.recipient for d in db.session.query(Delivery).filter_by(kind="event_update"))


def _hybrid(make_event, title: str):
    """A hybrid event with Nina online and Otto on site, their confirmations sent."""
    event = make_event(title, format="hybrid", join_url="https://meet.example.org/r/alt")
    _join(event, "nina@example.org", participation="online")
    _join(event, "otto@example.org", participation="on_site")
    return event


def _what_changed(msg) -> list[str]:
    """The lines under "What changed:" of an update mail."""
    lines = text_of(msg).splitlines()
    start = lines.index("What changed:") + 1
    return lines[start : lines.index("", start)]


def test_a_new_link_reaches_those_online_alone(make_event, mail, drain):
    event = _hybrid(make_event, "Fachtag hybrid")
    drain()
    mail.wait_for(2)
    mail.clear()

    _update(event, join_url=LINK)
    # on site nothing changed for Otto: his mails never held the link
    assert _updates() == ["nina@example.org"]
    drain()
    found = _mails(mail, 1)
    assert set(found) == {"nina@example.org"}
    online = " ".join(text_of(found["nina@example.org"]).split())
    assert f"Link: the previous link → {LINK}" in online  # named, not repeated
    assert "meet.example.org/r/alt" not in online


PLACE = "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden"


def test_on_site_to_online_only_says_the_place_went_and_gives_the_link(make_event, mail, drain):
    event = make_event("Netzwerktreffen Nord")
    _join(event, "anna@example.org")
    drain()
    mail.wait_for(1)
    mail.clear()

    _update(event, format="online", join_url=LINK)
    drain()
    msg = _mails(mail, 1)["anna@example.org"]
    assert _what_changed(msg) == [f"Place: {PLACE} → online only", f"Link: {LINK}"]


def test_hybrid_to_on_site_tells_those_online_alone(make_event, mail, drain):
    event = _hybrid(make_event, "Fachtag vor Ort")
    drain()
    mail.wait_for(2)
    mail.clear()

    _update(event, format="in_person", join_url="")
    # Otto comes to the same room as before: no mail
    assert _updates() == ["nina@example.org"]
    drain()
    msg = _mails(mail, 1)["nina@example.org"]
    assert _what_changed(msg) == [f"Place: online → {PLACE}", "Link: no longer online"]
    assert "meet.example.org" not in text_of(msg)


def test_hybrid_to_online_only_tells_those_on_site_alone(make_event, mail, drain):
    event = _hybrid(make_event, "Fachtag online")
    drain()
    mail.wait_for(2)
    mail.clear()

    _update(event, format="online", venue="", address="")
    # Nina joins by the same link as before: no mail
    assert _updates() == ["otto@example.org"]
    drain()
    msg = _mails(mail, 1)["otto@example.org"]
    # his mails never held the link: he gets it now, not "the previous link"
    assert _what_changed(msg) == [
        f"Place: {PLACE} → online only",
        "Link: https://meet.example.org/r/alt",
    ]


def test_a_change_of_format_in_german(make_event, mail, drain):
    event = make_event("Fachtag", format="hybrid", join_url="https://meet.example.org/r/alt")
    for email, participation in (("nina@example.org", "online"), ("otto@example.org", "on_site")):
        register_confirmed(
            event.id, name="Anna Berger", email=email, locale="de", participation=participation
        )
    db.session.commit()
    drain()
    mail.wait_for(2)
    mail.clear()

    _update(event, format="in_person", join_url="", venue="Bürgerhaus")
    drain()
    found = _mails(mail, 2)
    new_place = "Bürgerhaus, Markt 1, 01067 Dresden"
    assert _was_is(found["otto@example.org"]) == [f"Ort: {PLACE} → {new_place}"]
    assert _was_is(found["nina@example.org"]) == [
        f"Ort: online → {new_place}",
        "Link: nicht mehr online",
    ]


def _was_is(msg) -> list[str]:
    """The lines of a German update mail's list of changes."""
    return [
        line
        for line in text_of(msg).splitlines()
        if line.startswith(("Ort: ", "Zeit: ")) and "→" in line or line.startswith("Link: ")
    ]
