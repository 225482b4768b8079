"""Dates far out (the years 1 or 9999) in the events API and the editors' form: refused
with a message naming the field, never an overflow while converting to or from
Europe/Berlin (a 500)."""

from __future__ import annotations

import pytest

from events.models import Event
from tests.api_client import error_fields as fields
from tests.events.test_admin_events import create, error_at
from tests.events.test_api_events import EVENT, new_event
from tests.helpers import row_count as count

RANGE = "Bitte geben Sie ein Datum zwischen den Jahren 1900 und 2200 an."
TIMED = {"all_day": False, "registration_deadline": None}


@pytest.mark.parametrize(
    "changes, field",
    [
        ({**TIMED, "start": "0001-01-01T00:00", "end": "0001-01-01T01:00"}, "start"),
        ({**TIMED, "start": "9999-12-31T23:30", "end": "9999-12-31T23:59"}, "start"),
        ({**TIMED, "start": "9999-12-31T23:00Z", "end": "9999-12-31T23:59Z"}, "start"),
        ({**TIMED, "start": "0001-01-01T00:00+14:00", "end": "2027-01-01T01:00"}, "start"),
        ({**TIMED, "start": "2027-05-12T10:00", "end": "9999-12-31T23:59"}, "end"),
        ({**TIMED, "start": "1899-12-31T10:00", "end": "1899-12-31T11:00"}, "start"),
        ({**TIMED, "start": "2201-01-01T10:00", "end": "2201-01-01T11:00"}, "start"),
        ({"all_day": True, "start": "9999-12-31", "end": "9999-12-31"}, "start"),
        ({"all_day": True, "start": "0001-01-01", "end": "0001-01-01"}, "start"),
        ({"registration_deadline": "0001-01-01"}, "registration_deadline"),
        ({"registration_deadline": "9999-12-31T23:59"}, "registration_deadline"),
    ],
)
def test_the_api_refuses_dates_out_of_range_naming_the_field(api, changes, field):
    response = api("POST", "/events", json={**EVENT, **changes})
    assert fields(response)[field] == RANGE
    assert count(Event) == 0


@pytest.mark.parametrize("start", ["0001-01-01", "9999-12-31"])
def test_a_copy_to_a_day_out_of_range_is_refused(api, start):
    event = new_event(api)
    response = api("POST", f"/events/{event['id']}/copy", json={"start": start})
    assert fields(response) == {"start": RANGE}
    assert count(Event) == 1


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_the_list_refuses_a_from_day_out_of_range(api, day):
    assert fields(api("GET", f"/events?from={day}")) == {"from": RANGE}


def test_the_edges_of_the_range_are_fine(api):
    first = new_event(
        api, all_day=True, start="1900-01-01", end="1900-01-01", registration_deadline=None
    )
    assert first["start"].startswith("1900-01-01")
    last = new_event(api, start="2200-12-31T22:00", end="2200-12-31T23:00")
    assert last["end"] == "2200-12-31T23:00:00+01:00"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"start_day": "0001-01-01"}, "start_day"),
        ({"start_day": "9999-12-31", "start_time": "23:30", "end_time": "23:59"}, "start_day"),
        ({"end_day": "9999-12-31"}, "end_day"),
        ({"deadline_day": "0001-01-01"}, "deadline_day"),
    ],
)
def test_the_editor_form_refuses_dates_out_of_range(logged_in, kinds, changes, field):
    response = create(logged_in, kinds, **changes)
    assert response.status_code == 422
    assert error_at(response.get_data(as_text=True), field) == RANGE
    assert count(Event) == 0
