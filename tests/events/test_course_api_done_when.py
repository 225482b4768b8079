"""Issue 13's "Done when" through the JSON API alone: a series booked as a whole course,
its four dates, a required question and a consent, bookings with answers (two seats,
one on the waiting list), attendance marked per date once the dates lie in the past,
certificates issued (one refused with the reason), the participants as JSON and XLSX,
every call checked against the generated /api/v1/openapi.json (tests/api_client.py)."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import sqlalchemy as sa

from events.models import Event
from kkp.extensions import db
from tests.api_client import error_fields
from tests.events.conftest import day_in

QUESTION = "Für welche Kommune sind Sie tätig?"


def _ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_a_course_runs_through_the_api(api):
    series = _ok(
        api(
            "POST",
            "/series",
            json={"title": "Fortbildung Kinderschutz", "registration_scope": "course"},
        ),
        201,
    )
    dates = []
    for n in range(4):
        day = day_in(20 + 7 * n).isoformat()
        event = _ok(
            api(
                "POST",
                "/events",
                json={
                    "kind": "fortbildung",
                    "title": "Fortbildung Kinderschutz",
                    "format": "in_person",
                    "venue": "Rathaus",
                    "start": f"{day}T09:00",
                    "end": f"{day}T12:00",
                    "series_id": series["id"],
                },
            ),
            201,
        )
        _ok(api("POST", f"/events/{event['id']}/publish"))
        dates.append(event["id"])
    settings = _ok(
        api(
            "PATCH",
            f"/series/{series['id']}",
            json={"capacity": 2, "registration_deadline": day_in(15).isoformat()},
        )
    )
    assert (settings["registration_scope"], settings["capacity"]) == ("course", 2)
    question = _ok(
        api(
            "POST",
            f"/series/{series['id']}/questions",
            json={"kind": "short_text", "label": QUESTION, "required": True},
        ),
        201,
    )
    consent = _ok(
        api("POST", f"/series/{series['id']}/consents", json={"text": "Fotos von mir"}), 201
    )
    bad = api("POST", f"/series/{series['id']}/questions", json={"kind": "nope", "label": ""})
    assert bad.status_code in (400, 422)
    elsewhere = api(
        "POST",
        f"/events/{dates[0]}/questions",
        json={"kind": "yes_no", "label": "Vor Ort?", "shown_if_question_id": question["id"]},
    )
    assert "shown_if_question_id" in error_fields(elsewhere)  # the course's, not the date's

    def book(name: str, town: str | None, **extra) -> dict:
        body = {"name": name, "email": name.split()[0].lower() + "@example.org", **extra}
        if town is not None:
            body["answers"] = {str(question["id"]): town}
        return api("POST", f"/series/{series['id']}/bookings", json=body)

    missing = book("Zoe Ohne", None)
    assert f"answers.{question['id']}" in missing.get_json()["error"]["fields"]
    anna = _ok(book("Anna Berger", "Weinsheim", consents=[consent["id"]]), 201)
    bernd = _ok(book("Bernd Kunz", "Bachtal"), 201)
    cem = _ok(book("Cem Ay", "Ostkreis"), 201)
    assert [b["status"] for b in (anna, bernd, cem)] == ["confirmed", "confirmed", "waiting"]

    # the dates lie in the past: marking is possible
    early = _ok(api("GET", f"/events/{dates[0]}/attendance"))
    assert len(early["items"]) == 2
    shift = timedelta(days=50)
    for event in db.session.scalars(sa.select(Event).where(Event.id.in_(dates))):
        event.starts_at, event.ends_at = event.starts_at - shift, event.ends_at - shift
    db.session.commit()
    for n, date_id in enumerate(dates):
        items = _ok(api("GET", f"/events/{date_id}/attendance"))["items"]
        for item in items:
            present = n != 2 if item["name"] == "Anna Berger" else n == 0
            mark = {"attendance": "present" if present else "absent"}
            _ok(api("PATCH", f"/registrations/{item['id']}/attendance", json=mark))
    counts = _ok(api("GET", f"/events/{dates[2]}/attendance"))["counts"]
    assert (counts["present"], counts["absent"]) == (0, 2)

    issued = _ok(api("POST", f"/bookings/{anna['id']}/certificate", json={"send": True}))
    assert issued["holder_name"] == "Anna Berger" and len(issued["dates"]) == 3
    refused = api("POST", f"/bookings/{bernd['id']}/certificate")
    assert refused.status_code == 422 and "25" in refused.get_json()["error"]["message"]
    listed = _ok(api("GET", f"/series/{series['id']}/certificates"))["items"]
    assert [c["number"] for c in listed] == [issued["number"]]

    rows = _ok(api("GET", f"/series/{series['id']}/participants"))
    keys = {c["label"]: c["key"] for c in rows["columns"]}
    by_name = {r["name"]: r for r in rows["rows"]}
    assert by_name["Anna Berger"][keys[QUESTION]] == "Weinsheim"
    assert set(by_name) == {"Anna Berger", "Bernd Kunz"}
    xlsx = api.client.get(  # a file, not JSON: past the document's JSON check
        f"/api/v1/series/{series['id']}/participants?format=xlsx",
        headers={"Authorization": f"Bearer {api.secret}"},
    )
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.get_data())).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    heading = table[0]
    bernd_row = dict(zip(heading, next(r for r in table if r[0] == "Bernd Kunz"), strict=False))
    assert bernd_row[QUESTION] == "Bachtal"
    assert "1" in str(bernd_row[next(h for h in heading if "Termine" in str(h))])

    # every path the flow used is in the generated document
    paths = set(api.client.get("/api/v1/openapi.json").get_json()["paths"])
    for used in (
        "/series",
        "/series/{series_id}",
        "/events",
        "/events/{event_id}/publish",
        "/series/{series_id}/questions",
        "/series/{series_id}/consents",
        "/series/{series_id}/bookings",
        "/events/{event_id}/attendance",
        "/registrations/{registration_id}/attendance",
        "/bookings/{booking_id}/certificate",
        "/series/{series_id}/certificates",
        "/series/{series_id}/participants",
    ):
        assert used in paths, used
