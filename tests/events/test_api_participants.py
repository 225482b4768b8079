"""The participants of a date or a course through the JSON API: the group, the chosen
columns, JSON rows checked against the document, CSV and XLSX files, bad input."""

from __future__ import annotations

import csv
import io

import openpyxl

from kkp.extensions import db
from tests.events.course_factory import booking, course, person
from tests.events.test_admin_bulk import audit_entries


def test_rows_of_a_date_as_json_csv_and_xlsx(api, make_event):
    event = make_event()
    person(event.id, "Anna Berger", organisation="Stadt Leipzig", attendance="present")
    person(event.id, "@SUM(A1)", email="evil@example.org")
    person(event.id, "Ben Cordes", "waiting")
    db.session.commit()
    url = f"/events/{event.id}/participants"

    response = api("GET", f"{url}?group=confirmed&columns=name,attendance,registered_at&lang=en")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [c["key"] for c in body["columns"]] == ["name", "registered_at", "attendance"]
    assert [r["name"] for r in body["rows"]] == ["Anna Berger", "@SUM(A1)"]
    assert body["rows"][0]["attendance"] == "present"
    assert body["rows"][0]["registered_at"].endswith("+00:00")

    default = api("GET", f"{url}?group=waiting").get_json()
    assert [r["name"] for r in default["rows"]] == ["Ben Cordes"]

    headers = {"Authorization": f"Bearer {api.secret}"}
    raw = api.client.get(f"/api/v1{url}?format=csv&columns=name&group=all", headers=headers)
    assert raw.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(raw.data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["Anna Berger", "'@SUM(A1)", "Ben Cordes"]
    xlsx = api.client.get(f"/api/v1{url}?format=xlsx&columns=name", headers=headers)
    table = openpyxl.load_workbook(io.BytesIO(xlsx.data)).active
    assert table["A3"].value == "'@SUM(A1)"
    assert len(audit_entries("registration.export")) == 4


def test_a_course_and_bad_input(api, make_event):
    series = course(make_event)
    booking(series, "Anna Berger", attendance=["present", "present"])
    db.session.commit()
    body = api("GET", f"/series/{series.id}/participants?columns=name,attended&lang=en").get_json()
    assert body["rows"] == [{"name": "Anna Berger", "attended": "2 of 3"}]

    bad = api("GET", f"/series/{series.id}/participants?columns=name,secret&group=nobody")
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["fields"]) == {"group"}
    unknown = api("GET", f"/series/{series.id}/participants?columns=name,secret")
    assert (
        unknown.status_code == 422 and "secret" in unknown.get_json()["error"]["fields"]["columns"]
    )
    assert api("GET", "/series/999/participants").status_code == 404
    assert api("GET", "/events/999/participants").status_code == 404
