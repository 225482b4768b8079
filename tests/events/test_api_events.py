"""Events, series and kinds through /api/v1. Every answer is checked against the OpenAPI
document (tests.api_client)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from openapi_spec_validator import validate

from events.models import Event, EventKind, EventSeries
from kkp.extensions import db
from tests.api_client import PREFIX
from tests.api_client import error_fields as fields
from tests.events.conftest import day_in
from tests.helpers import row_count as count


def stored(event_id: int) -> Event:
    db.session.rollback()
    db.session.expire_all()
    return db.session.get(Event, event_id)


EVENT = {
    "kind": "fortbildung",
    "title": "Fortbildung Gewaltprävention",
    "summary": "Grundlagen für Fachkräfte.\nMit Praxisteil.",
    "format": "hybrid",
    "venue": "Rathaus, Sitzungssaal",
    "address": "Markt 1, 01067 Dresden",
    "join_url": "https://meet.example.org/gewalt",
    "start": "2027-05-12T10:00",
    "end": "2027-05-12T15:30",
    "organizer_name": "Koordinierungsstelle",
    "organizer_email": "kkp@example.org",
    "capacity": 25,
    "registration_deadline": "2027-05-05",
}


def new_event(api, **changes) -> dict:
    body = {k: v for k, v in {**EVENT, **changes}.items() if v is not ...}
    response = api("POST", "/events", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# -- the whole way -------------------------------------------------------------------------


def test_create_publish_and_read_an_event(api, app):
    event = new_event(api)
    base = app.config["KKP_BASE_URL"]
    assert event["status"] == "draft" and event["sequence"] == 0
    assert event["start"] == "2027-05-12T10:00:00+02:00"
    assert event["end"] == "2027-05-12T15:30:00+02:00"
    assert event["timezone"] == "Europe/Berlin" and event["all_day"] is False
    assert event["kind"] == "fortbildung" and event["format"] == "hybrid"
    assert event["slug"] == "fortbildung-gewaltpraevention-2027-05-12"
    assert event["url"] == f"{base}/events/{event['slug']}"
    assert event["ics_url"] == f"{base}/events/{event['slug']}.ics"
    assert event["organizer"] == {"name": "Koordinierungsstelle", "email": "kkp@example.org"}
    assert event["summary"] == "Grundlagen für Fachkräfte.\nMit Praxisteil."
    assert event["registration"] == {
        "mode": "open",
        "capacity": 25,
        "deadline": "2027-05-05T23:59:00+02:00",
        "confirmed": 0,
        "pending": 0,
        "waiting": 0,
        "seats_left": 25,
        "capacity_online": None,
        "seats_left_online": None,
    }
    assert event["notes"] == [] and event["reminder_hours"] == 24 and event["uid"]

    response = api("POST", f"/events/{event['id']}/publish")
    assert response.status_code == 200 and response.get_json()["status"] == "published"
    assert response.headers["Location"].endswith(f"{PREFIX}/events/{event['id']}")
    assert "notes" not in response.get_json()
    assert stored(event["id"]).published_at is not None

    got = api("GET", f"/events/{event['id']}").get_json()
    assert got["status"] == "published" and got["start"] == event["start"]
    assert fields(api("POST", f"/events/{event['id']}/publish"), 409) == {}


def test_all_day_events_take_and_give_dates(api):
    event = new_event(
        api, all_day=True, start="2027-06-20", end="2027-06-21", registration_deadline=None
    )
    assert (event["start"], event["end"]) == ("2027-06-20", "2027-06-21")
    assert event["registration"]["deadline"] is None
    row = stored(event["id"])
    assert row.ends_at == datetime(2027, 6, 21, 22, 0, tzinfo=UTC)  # midnight after, Berlin

    one_day = new_event(api, all_day=True, start="2027-06-27", end=...)
    assert (one_day["start"], one_day["end"]) == ("2027-06-27", "2027-06-27")


def test_times_with_an_offset_are_converted_to_german_time(api):
    event = new_event(
        api,
        start="2027-01-12T09:00:00Z",
        end="2027-01-12T12:00:00+02:00",
        registration_deadline="2027-01-10T12:00",
    )
    assert event["start"] == "2027-01-12T10:00:00+01:00"
    assert event["end"] == "2027-01-12T11:00:00+01:00"
    assert event["registration"]["deadline"] == "2027-01-10T12:00:00+01:00"
    assert stored(event["id"]).starts_at == datetime(2027, 1, 12, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("start", ["2026-03-29T02:30", "2027-03-28T02:30"])
def test_a_time_the_clocks_skip_is_refused(api, start):
    day = start[:10]
    body = {**EVENT, "start": start, "end": f"{day}T05:00", "registration_deadline": None}
    response = api("POST", "/events", json=body, headers={"Accept-Language": "en"})
    problems = fields(response)
    assert set(problems) == {"start"}
    assert "02:30" in problems["start"] and "clocks go forward" in problems["start"]
    assert count(Event) == 0


def test_a_time_that_occurs_twice_is_the_first_unless_an_offset_says_otherwise(api):
    event = new_event(
        api, start="2027-10-31T02:30", end="2027-10-31T04:00", registration_deadline=...
    )
    assert event["start"] == "2027-10-31T02:30:00+02:00"
    assert len(event["notes"]) == 1 and "02:30" in event["notes"][0]
    assert stored(event["id"]).starts_at == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)

    second = new_event(
        api, start="2027-10-31T02:30:00+01:00", end="2027-10-31T04:00", registration_deadline=...
    )
    assert second["start"] == "2027-10-31T02:30:00+01:00" and second["notes"] == []
    assert stored(second["id"]).starts_at == datetime(2027, 10, 31, 1, 30, tzinfo=UTC)
    autumn = new_event(
        api, start="2026-10-25T02:30", end="2026-10-25T03:30", registration_deadline=None
    )
    assert autumn["start"] == "2026-10-25T02:30:00+02:00" and autumn["notes"]
    # a partial change keeps the second 02:30
    changed = api("PATCH", f"/events/{second['id']}", json={"title": "Nachtschicht"})
    assert changed.get_json()["start"] == "2027-10-31T02:30:00+01:00"


# -- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"end": "2027-05-12T09:00"}, "end"),
        ({"title": "Fortbildung\r\nBcc: x@example.org"}, "title"),
        ({"title": ""}, "title"),
        ({"title": ...}, "title"),
        ({"join_url": "javascript:alert(1)"}, "join_url"),
        ({"join_url": "ftp://example.org/x"}, "join_url"),
        ({"kind": "grillfest"}, "kind"),
        ({"kind": ...}, "kind"),
        ({"start": ...}, "start"),
        ({"start": "12.05.2027 10:00"}, "start"),
        ({"start": "2027-05-12"}, "start"),
        ({"all_day": True}, "start"),
        ({"end": ...}, "end"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "20"}, "capacity"),
        ({"registration_deadline": "2027-05-13"}, "registration_deadline"),
        ({"registration_deadline": "2027-03-28T02:30"}, "registration_deadline"),
        ({"format": "telepathy"}, "format"),
        ({"format": "in_person", "venue": "", "address": ""}, "venue"),
        ({"organizer_email": "nicht-gueltig"}, "organizer_email"),
        ({"reminder_hours": 0}, "reminder_hours"),
        ({"series_id": 999}, "series_id"),
        ({"summary": "Text\x00"}, "summary"),
        ({"consent": True}, "consent"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(api, changes, field):
    body = {k: v for k, v in {**EVENT, **changes}.items() if v is not ...}
    response = api("POST", "/events", json=body)
    assert field in fields(response), response.get_json()
    assert count(Event) == 0 and count(EventSeries) == 0


def test_several_wrong_fields_are_named_together(api):
    body = {**EVENT, "title": "", "join_url": "ftp://x", "end": "2027-05-11T10:00"}
    response = api("POST", "/events", json=body, headers={"Accept-Language": "en"})
    problems = fields(response)
    assert {"title", "join_url", "end"} <= set(problems)
    assert response.get_json()["error"]["message"] == "Please check the fields named."


def test_not_json_is_a_400(api):
    response = api("POST", "/events", data="kind=fortbildung")
    assert fields(response, 400) == {}


# -- changes -------------------------------------------------------------------------------


def test_patch_changes_only_what_was_sent(api):
    event = new_event(api)
    api("POST", f"/events/{event['id']}/publish")
    response = api("PATCH", f"/events/{event['id']}", json={"title": "Gewaltprävention I"})
    assert response.status_code == 200, response.get_data(as_text=True)
    changed = response.get_json()
    assert changed["title"] == "Gewaltprävention I" and changed["notes"] == []
    unchanged = ("start", "end", "venue", "join_url", "registration", "organizer", "summary")
    assert all(changed[k] == event[k] for k in unchanged)
    assert changed["slug"] == event["slug"] and changed["sequence"] == 0

    moved = api(
        "PATCH",
        f"/events/{event['id']}",
        json={"start": "2027-05-19T09:00", "end": "2027-05-19T12:00", "capacity": None},
    ).get_json()
    assert (moved["start"], moved["end"]) == (
        "2027-05-19T09:00:00+02:00",
        "2027-05-19T12:00:00+02:00",
    )
    assert moved["sequence"] == 1 and moved["registration"]["capacity"] is None
    assert moved["registration"]["deadline"] == event["registration"]["deadline"]

    # the end keeps its day, the 19th: a later start alone does not fit
    late = api("PATCH", f"/events/{event['id']}", json={"all_day": True, "start": "2027-05-20"})
    assert set(fields(late)) == {"end"} and not stored(event["id"]).all_day
    whole_day = api(
        "PATCH", f"/events/{event['id']}", json={"all_day": True, "start": "2027-05-19"}
    )
    assert whole_day.status_code == 200, whole_day.get_data(as_text=True)
    assert (whole_day.get_json()["start"], whole_day.get_json()["end"]) == (
        "2027-05-19",
        "2027-05-19",
    )


def test_a_failed_patch_changes_nothing(api):
    event = new_event(api)
    response = api(
        "PATCH",
        f"/events/{event['id']}",
        json={"title": "Neuer Titel", "start": "2027-05-12T16:00"},
    )
    assert set(fields(response)) == {"end"}
    row = stored(event["id"])
    assert row.title == EVENT["title"]
    assert set(fields(api("PATCH", f"/events/{event['id']}", json={"start": None}))) == {"start"}
    assert set(fields(api("PATCH", f"/events/{event['id']}", json={"id": 3}))) == {"id"}
    assert fields(api("PATCH", "/events/999", json={"title": "x"}), 404) == {}


def test_delete_cancel_and_their_conflicts(api):
    draft = new_event(api)
    assert api("DELETE", f"/events/{draft['id']}").status_code == 204
    assert fields(api("GET", f"/events/{draft['id']}"), 404) == {}

    event = new_event(api)
    api("POST", f"/events/{event['id']}/publish")
    assert fields(api("DELETE", f"/events/{event['id']}"), 409) == {}
    response = api("POST", f"/events/{event['id']}/cancel")
    assert response.status_code == 200 and response.get_json()["status"] == "cancelled"
    assert response.get_json()["sequence"] == 1
    for method, path, body in (
        ("POST", "/cancel", None),
        ("POST", "/publish", None),
        ("PATCH", "", {"title": "Doch nicht"}),
        ("DELETE", "", None),
    ):
        response = api(method, f"/events/{event['id']}{path}", json=body)
        assert fields(response, 409) == {}, (method, path)
    assert stored(event["id"]).status == "cancelled" and count(Event) == 1


def test_copy_makes_another_date_in_the_series(api):
    event = new_event(api)
    response = api("POST", f"/events/{event['id']}/copy", json={"start": "2027-06-09"})
    assert response.status_code == 201, response.get_data(as_text=True)
    copy = response.get_json()
    assert copy["status"] == "draft" and copy["id"] != event["id"]
    assert copy["start"] == "2027-06-09T10:00:00+02:00"
    assert copy["registration"]["deadline"] == "2027-06-02T23:59:00+02:00"
    assert copy["series_id"] is not None and copy["title"] == event["title"]
    assert stored(event["id"]).series_id == copy["series_id"]

    series = api("GET", f"/series/{copy['series_id']}").get_json()
    assert [(e["id"], e["start"]) for e in series["events"]] == [
        (event["id"], event["start"]),
        (copy["id"], copy["start"]),
    ]
    assert series["title"] == event["title"]
    assert "start" in fields(api("POST", f"/events/{event['id']}/copy", json={"start": "x"}))
    assert "start" in fields(api("POST", f"/events/{event['id']}/copy", json={}))


def test_a_copy_onto_a_time_that_does_not_exist_stores_nothing(api):
    event = new_event(
        api, start="2027-03-21T02:30", end="2027-03-21T04:00", registration_deadline=...
    )
    response = api("POST", f"/events/{event['id']}/copy", json={"start": "2027-03-28"})
    assert set(fields(response)) == {"start"}
    assert stored(event["id"]).series_id is None
    assert count(EventSeries) == 0 and count(Event) == 1


# -- lists ---------------------------------------------------------------------------------


def test_events_come_in_pages_and_filter(api):
    ids = [
        new_event(api, title=f"Termin {n}", start=f"2027-05-1{n}T10:00", end=f"2027-05-1{n}T12:00")[
            "id"
        ]
        for n in range(5)
    ]
    training = new_event(
        api,
        kind="netzwerktreffen",
        start="2026-12-01T10:00",
        end="2026-12-01T12:00",
        registration_deadline=None,
    )
    api("POST", f"/events/{ids[1]}/publish")

    seen, after = [], 0
    while after is not None:
        page = api("GET", f"/events?limit=2&after={after}").get_json()
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        after = page["next_after"]
    assert seen == [*ids, training["id"]]

    def listed(query: str) -> list[int]:
        response = api("GET", f"/events?{query}")
        assert response.status_code == 200, response.get_data(as_text=True)
        return [e["id"] for e in response.get_json()["items"]]

    assert listed("status=published") == [ids[1]]
    assert listed("kind=netzwerktreffen") == [training["id"]]
    assert listed("kind=gibtsnicht") == []
    assert listed("from=2027-05-13") == ids[3:]
    assert listed("from=2027-05-12&status=draft") == [ids[2], *ids[3:]]

    copy = api("POST", f"/events/{ids[0]}/copy", json={"start": "2027-07-01"}).get_json()
    assert listed(f"series_id={copy['series_id']}") == [ids[0], copy["id"]]

    for query, field in (
        ("from=morgen", "from"),
        ("status=geplant", "status"),
        ("limit=0", "limit"),
        ("after=-1", "after"),
        ("color=blue", "color"),
    ):
        assert field in fields(api("GET", f"/events?{query}")), query


# -- kinds and series ----------------------------------------------------------------------


def test_kinds_are_listed_and_added(api, app):
    kinds = api("GET", "/event-kinds").get_json()["items"]
    assert [k["slug"] for k in kinds] == [
        "netzwerktreffen",
        "fortbildung",
        "infoveranstaltung",
        "gremiensitzung",
    ]
    assert kinds[1]["name"] == "Fortbildung" and kinds[1]["name_en"] == "Training"
    assert kinds[1]["calendar_url"] == app.config["KKP_BASE_URL"] + "/calendar/fortbildung.ics"

    response = api("POST", "/event-kinds", json={"name": "Fachtag", "name_en": "Conference"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["slug"] == "fachtag"
    assert new_event(api, kind="fachtag")["kind"] == "fachtag"

    assert "name" in fields(api("POST", "/event-kinds", json={"name": "Fachtag"}))
    assert "name" in fields(api("POST", "/event-kinds", json={"name": "Fach\ntag"}))
    assert "name" in fields(api("POST", "/event-kinds", json={"name_en": "Day"}))
    assert count(EventKind) == 5


def test_series_are_created_read_and_changed(api):
    response = api(
        "POST",
        "/series",
        json={"title": "Reihe Gewaltprävention", "description": "Vier Termine.\n\n**Dienstags**"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    series = response.get_json()
    assert series["slug"] == "reihe-gewaltpraevention" and series["events"] == []
    assert response.headers["Location"].endswith(f"/series/{series['id']}")
    assert series["url"].endswith("/events/series/reihe-gewaltpraevention")

    event = new_event(api, series_id=series["id"])
    assert event["series_id"] == series["id"]
    changed = api("PATCH", f"/series/{series['id']}", json={"title": "Reihe Prävention"})
    assert changed.status_code == 200
    body = changed.get_json()
    assert body["title"] == "Reihe Prävention" and body["description"].startswith("Vier")
    assert [e["slug"] for e in body["events"]] == [event["slug"]]

    page = api("GET", "/series").get_json()
    assert [s["id"] for s in page["items"]] == [series["id"]] and page["next_after"] is None
    assert "title" in fields(api("PATCH", f"/series/{series['id']}", json={"title": "a\rb"}))
    assert "title" in fields(api("POST", "/series", json={}))
    assert fields(api("GET", "/series/999"), 404) == {}
    assert fields(api("PATCH", "/series/999", json={"title": "x"}), 404) == {}


# -- the document and the token ------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/event-kinds"),
    ("POST", "/event-kinds"),
    ("GET", "/series"),
    ("POST", "/series"),
    ("GET", "/series/{series_id}"),
    ("PATCH", "/series/{series_id}"),
    ("GET", "/events"),
    ("POST", "/events"),
    ("GET", "/events/{event_id}"),
    ("PATCH", "/events/{event_id}"),
    ("DELETE", "/events/{event_id}"),
    ("POST", "/events/{event_id}/publish"),
    ("POST", "/events/{event_id}/cancel"),
    ("POST", "/events/{event_id}/copy"),
    ("POST", "/events/{event_id}/invitations"),
    ("GET", "/events/{event_id}/registrations"),
    ("POST", "/events/{event_id}/registrations"),
    ("GET", "/registrations/{registration_id}"),
    ("POST", "/registrations/{registration_id}/cancel"),
    ("POST", "/registrations/{registration_id}/move-up"),
]


def test_openapi_document_describes_the_event_endpoints(client):
    document = client.get(PREFIX + "/openapi.json").get_json()
    validate(document)
    for method, template in ENDPOINTS:
        operation = document["paths"][template][method.lower()]
        assert operation["summary"] and operation["responses"], (method, template)
        assert "401" in operation["responses"]
    for name in ("Event", "EventCreate", "EventUpdate", "EventSeries", "Registration"):
        assert name in document["components"]["schemas"]
    assert document["components"]["schemas"]["EventCreate"]["examples"]


def test_a_token_is_required(client, editor, make_event):
    event = make_event()
    for method, template in ENDPOINTS:
        path = re.sub(r"\{[^}]+\}", str(event.id), template)
        response = client.open(PREFIX + path, method=method, json={"title": "x"})
        assert response.status_code == 401, (method, path)
    assert count(Event) == 1 and stored(event.id).title == "Netzwerktreffen Nord"


def test_an_event_made_by_the_factory_reads_back(api, make_event):
    event = make_event(days=30)
    got = api("GET", f"/events/{event.id}").get_json()
    assert got["start"].startswith(day_in(30).isoformat() + "T10:00:00+0")
    assert got["kind"] == "netzwerktreffen" and got["status"] == "published"
