"""A change of time or place that sends participants an update is saved only once the
editor confirms it; the question names how many are told, keeps everything typed and
stores nothing (no change, no mail) before the answer."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from events.registrations import add_participant
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.events.conftest import day_in
from tests.events.test_admin_events import form_data, fresh
from tests.helpers import csrf_token, post_form


def _deliveries() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))


def _with_participants(make_event, n: int):
    event = make_event("Fortbildung Prävention", kind="fortbildung", capacity=10)
    for i in range(n):
        add_participant(event.id, name=f"Person {i}", email=f"p{i}@example.org")
    db.session.commit()
    return event


def _hidden(page: str) -> dict[str, list[str]]:
    """The hidden fields of the confirmation's form."""
    box = page[page.index('id="confirm-change"') : page.index("</section>")]
    fields: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', box):
        fields.setdefault(name, []).append(html.unescape(value))
    return fields


def test_a_new_time_asks_first_naming_the_participants_and_stores_nothing(
    logged_in, kinds, make_event
):
    event = _with_participants(make_event, 3)
    before = (fresh(event.id).starts_at, fresh(event.id).sequence, _deliveries())
    url = f"/admin/events/{event.id}/edit"
    data = form_data(
        kinds,
        title="Fortbildung Prävention (neu)",
        start_day=day_in(14).isoformat(),
        start_time="11:00",
    )
    response = post_form(logged_in, url, data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Zeit oder Ort ändern und die Teilnehmenden informieren?" in page
    assert (
        "3 Teilnehmende erhalten eine Mail mit der Änderung und dem neuen Kalendereintrag." in page
    )
    assert "Ja, ändern und 3 Teilnehmende informieren" in page
    # nothing stored, nobody told: not the time, not the title typed with it
    stored = fresh(event.id)
    assert (stored.starts_at, stored.sequence, _deliveries()) == before
    assert stored.title == "Fortbildung Prävention"
    # the form shows what was typed; the confirmation posts it again, confirmed
    assert 'value="Fortbildung Prävention (neu)"' in page
    hidden = _hidden(page)
    assert hidden["confirmed"] == ["1"] and hidden["start_time"] == ["11:00"]
    assert hidden["title"] == ["Fortbildung Prävention (neu)"]
    sent = {k: v for k, v in hidden.items() if k != "csrf_token"}
    response = logged_in.post(url, data={**sent, "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    stored = fresh(event.id)
    assert stored.sequence == 1 and stored.title == "Fortbildung Prävention (neu)"
    assert _deliveries() == before[2] + 3
    assert "Eine Aktualisierung wurde an 3 Teilnehmende verschickt." in logged_in.get(url).get_data(
        as_text=True
    )


def test_a_new_place_asks_too(logged_in, kinds, make_event):
    event = _with_participants(make_event, 1)
    data = form_data(
        kinds,
        title="Fortbildung Prävention",
        start_day=day_in(14).isoformat(),
        end_time="12:00",
        venue="Bürgerhaus, Saal 2",
    )
    page = post_form(logged_in, f"/admin/events/{event.id}/edit", data).get_data(as_text=True)
    assert "1 Teilnehmende/r erhält eine Mail" in page
    assert fresh(event.id).venue == "Rathaus, Sitzungssaal"


def test_without_participants_or_a_new_time_it_saves_at_once(logged_in, kinds, make_event):
    quiet = make_event("Ohne Anmeldungen", kind="fortbildung")
    data = form_data(kinds, title="Ohne Anmeldungen", start_day=day_in(20).isoformat())
    response = post_form(logged_in, f"/admin/events/{quiet.id}/edit", data)
    assert response.status_code == 303
    assert fresh(quiet.id).starts_at.date() >= day_in(19)

    event = _with_participants(make_event, 2)
    data = form_data(kinds, title="Neuer Titel", start_day=day_in(14).isoformat(), end_time="12:00")
    response = post_form(logged_in, f"/admin/events/{event.id}/edit", data)
    assert response.status_code == 303  # only the title: nobody is told, nothing to ask
    assert fresh(event.id).title == "Neuer Titel"


def test_wrong_input_shows_its_errors_not_the_question(logged_in, kinds, make_event):
    event = _with_participants(make_event, 2)
    data = form_data(kinds, title="", start_day=day_in(15).isoformat())
    response = post_form(logged_in, f"/admin/events/{event.id}/edit", data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="confirm-change"' not in page and 'id="problems"' in page


def test_a_new_link_of_a_hybrid_event_names_those_online_alone(logged_in, kinds, make_event):
    event = make_event(
        "Fachtag hybrid",
        kind="fortbildung",
        format="hybrid",
        join_url="https://meet.example.org/r/alt",
        capacity=10,
    )
    for n, participation in enumerate(("online", "online", "on_site")):
        add_participant(
            event.id, name=f"Person {n}", email=f"p{n}@example.org", participation=participation
        )
    db.session.commit()
    deliveries = _deliveries()
    url = f"/admin/events/{event.id}/edit"
    data = form_data(
        kinds,
        title="Fachtag hybrid",
        format="hybrid",
        join_url="https://meet.example.org/r/neu",
        start_day=day_in(14).isoformat(),
        end_time="12:00",
        capacity="10",
    )
    page = post_form(logged_in, url, data).get_data(as_text=True)
    assert "2 Teilnehmende erhalten eine Mail" in page  # not the one on site
    sent = {k: v for k, v in _hidden(page).items() if k != "csrf_token"}
    response = logged_in.post(url, data={**sent, "csrf_token": csrf_token(page)})
    assert response.status_code == 303
    assert _deliveries() == deliveries + 2
    told = logged_in.get(url).get_data(as_text=True)
    assert "Eine Aktualisierung wurde an 2 Teilnehmende verschickt." in told
