"""Bad input for events gets a clear error at its field, and nothing is stored;
Europe/Berlin edge times are handled."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from events.models import Event
from events.operations import EventError, EventInput, create_event
from kkp.extensions import db


def _input(kinds, **changes) -> EventInput:
    values = {
        "kind_id": kinds["fortbildung"],
        "title": "Fortbildung Konfliktmoderation",
        "venue": "Bildungszentrum",
        "address": "Lindenallee 4, 04109 Leipzig",
        "start_day": date(2027, 2, 10),
        "start_time": time(9, 30),
        "end_day": date(2027, 2, 10),
        "end_time": time(16, 0),
        "capacity": 16,
    }
    return EventInput(**{**values, **changes})


def _refused(kinds, field: str, text: str, **changes) -> None:
    with pytest.raises(EventError) as caught:
        create_event(_input(kinds, **changes))
    assert field in caught.value.errors, caught.value.errors
    assert text in caught.value.errors[field]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"end_time": time(9, 0)}, "end_time", "nach dem Beginn"),
        ({"end_day": date(2027, 2, 9)}, "end_time", "nach dem Beginn"),
        ({"all_day": True, "end_day": date(2027, 2, 9)}, "end_day", "nicht vor dem Beginn"),
        ({"deadline_day": date(2027, 2, 11)}, "deadline_day", "nicht nach dem Beginn"),
        ({"join_url": "javascript:alert(1)", "format": "hybrid"}, "join_url", "https://"),
        ({"join_url": "ftp://example.org/x", "format": "online"}, "join_url", "https://"),
        ({"title": "Titel\r\nX-Injected: 1"}, "title", "Zeilenumbrüche"),
        ({"venue": "Saal\nLOCATION:evil"}, "venue", "Zeilenumbrüche"),
        ({"title": ""}, "title", "Bitte füllen"),
        ({"capacity": 0}, "capacity", "1 bis"),
        ({"kind_id": 999}, "kind_id", "Veranstaltungsart"),
        ({"format": "tv"}, "format", "online, vor Ort"),
        ({"venue": "", "address": ""}, "venue", "Veranstaltungsort"),
        ({"organizer_email": "kein-at"}, "organizer_email", "E-Mail"),
        ({"start_time": None}, "start_time", "Uhrzeit"),
        ({"reminder_hours": 0}, "reminder_hours", "Stunden"),
    ],
)
def test_bad_input_is_refused_at_its_field(kinds, changes, field, text):
    _refused(kinds, field, text, **changes)


def test_every_wrong_field_is_named_at_once(kinds):
    with pytest.raises(EventError) as caught:
        create_event(_input(kinds, title="", end_time=time(8, 0), capacity=-1))
    assert set(caught.value.errors) == {"title", "end_time", "capacity"}


def test_the_skipped_spring_hour_is_refused(kinds):
    _refused(
        kinds,
        "start_time",
        "02:30 Uhr gibt es am 29.03.2026 nicht",
        start_day=date(2026, 3, 29),
        end_day=date(2026, 3, 29),
        start_time=time(2, 30),
        end_time=time(4, 0),
    )


def test_the_doubled_autumn_hour_takes_the_first_and_says_so(kinds):
    data = _input(
        kinds,
        start_day=date(2026, 10, 25),
        end_day=date(2026, 10, 25),
        start_time=time(2, 30),
        end_time=time(4, 0),
    )
    event = create_event(data)
    assert event.starts_at == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # CEST, the first
    assert event.ends_at == datetime(2026, 10, 25, 3, 0, tzinfo=UTC)  # CET
    assert any("zweimal" in note for note in data.notes)


def test_legitimate_calendar_syntax_is_kept_as_text(kinds):
    event = create_event(_input(kinds, title='Treffen; Teil 1, "Raum: 2"', venue="Saal A; B"))
    assert event.title == 'Treffen; Teil 1, "Raum: 2"'
    assert event.venue == "Saal A; B"


def test_all_day_and_multi_day(kinds):
    event = create_event(
        _input(kinds, all_day=True, start_day=date(2027, 3, 27), end_day=date(2027, 3, 29))
    )
    # midnight Berlin (CET) to midnight after the last day (CEST since the 28th)
    assert event.starts_at == datetime(2027, 3, 26, 23, 0, tzinfo=UTC)
    assert event.ends_at == datetime(2027, 3, 29, 22, 0, tzinfo=UTC)
    assert (event.first_day, event.last_day) == (date(2027, 3, 27), date(2027, 3, 29))
    from events.dates import when

    assert when(event) == "Samstag, 27. März 2027 – Montag, 29. März 2027"


def test_capacity_below_the_confirmed_is_refused(make_event):
    from events.operations import input_from, update_event
    from tests.events.conftest import register_confirmed

    event = make_event(capacity=5)
    for n in range(3):
        register_confirmed(event.id, name=f"P{n}", email=f"p{n}@example.org")
    data = input_from(event)
    data.capacity = 2
    with pytest.raises(EventError) as caught:
        update_event(event, data)
    assert "3 Personen" in caught.value.errors["capacity"]


def test_registration_is_refused_after_the_deadline_and_for_drafts(make_event):
    from events.registrations import RegistrationClosed, register

    draft = make_event(status="draft")
    with pytest.raises(RegistrationClosed):
        register(draft.id, name="A", email="a@example.org", consent=True)
    event = make_event()
    event.registration_deadline = datetime(2020, 1, 1, tzinfo=UTC)
    with pytest.raises(RegistrationClosed, match="Anmeldefrist"):
        register(event.id, name="A", email="a@example.org", consent=True)


@pytest.mark.parametrize(
    ("name", "email", "field"),
    [
        ("Anna\r\nBcc: x@example.org", "anna@example.org", "name"),
        ("Anna", "anna@example.org\r\nBcc: x@example.org", "email"),
        ("", "anna@example.org", "name"),
        ("Anna", "keine-adresse", "email"),
    ],
)
def test_bad_registrations_store_nothing(make_event, name, email, field):
    from events.models import Registration
    from events.registrations import register

    event = make_event()
    with pytest.raises(EventError) as caught:
        register(event.id, name=name, email=email, consent=True)
    assert field in caught.value.errors
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
