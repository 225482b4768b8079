"""Materials in the JSON API, as the editors' page has them: links of an event and of a
course (series), their order, deleting; a file uploaded as multipart/form-data (the
page's checks, German refusals) and its download; the follow-up mail, once per person."""

from __future__ import annotations

import io

import sqlalchemy as sa

from events.material_models import EventMaterial
from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.api_client import PREFIX, error_fields
from tests.events.test_materials import PDF, office_file, started

LINK = {"title": "Folien", "url": "https://example.org/folien"}


def _upload(api, path: str, data: bytes, filename: str, **fields):
    return api(
        "POST",
        path + "/files",
        data={**fields, "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


def test_api_lists_adds_and_deletes_links(api, make_event):
    event = make_event()
    path = f"/events/{event.id}/materials"
    response = api("POST", path, json={"title": "Folien", "url": "https://example.org/f"})
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["kind"] == "link" and created["url"] == "https://example.org/f"
    fields = error_fields(api("POST", path, json={"title": "X", "url": "javascript:alert(1)"}))
    assert set(fields) == {"url"}
    items = api("GET", path).get_json()["items"]
    assert [m["title"] for m in items] == ["Folien"]
    assert api("DELETE", f"{path}/{created['id']}").status_code == 204
    assert api("DELETE", f"{path}/{created['id']}").status_code == 404
    assert api("GET", "/events/999999/materials").status_code == 404


def test_a_course_has_its_links_in_order(api, kinds):
    from tests.events.course_helpers import make_course

    series = make_course(kinds)
    path = f"/series/{series.id}/materials"
    first = api("POST", path, json=LINK).get_json()
    second = api("POST", path, json={"title": "Literatur", "url": "http://example.org/l"})
    assert second.status_code == 201
    second = second.get_json()

    moved = api("POST", f"{path}/{second['id']}/move", json={"to": "up"})
    assert moved.status_code == 200
    assert [m["title"] for m in moved.get_json()["items"]] == ["Literatur", "Folien"]
    assert [m["title"] for m in api("GET", path).get_json()["items"]] == ["Literatur", "Folien"]
    assert set(error_fields(api("POST", f"{path}/{first['id']}/move", json={"to": "oben"}))) == {
        "to"
    }
    assert api("POST", f"{path}/999999/move", json={"to": "up"}).status_code == 404

    # the course's own, not one of its dates'
    assert db.session.get(EventMaterial, first["id"]).series_id == series.id
    assert api("GET", f"/events/{series.events[0].id}/materials").get_json()["items"] == []
    assert api("DELETE", f"{path}/{first['id']}").status_code == 204
    assert api("GET", "/series/999999/materials").status_code == 404


def test_a_file_is_uploaded_checked_and_downloaded(api, make_event, kinds, monkeypatch):
    from events import materials
    from tests.events.course_helpers import make_course

    event = make_event()
    path = f"/events/{event.id}/materials"
    response = _upload(api, path, PDF, "../Handout final.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["kind"] == "file" and created["title"] == "Handout final.pdf"
    assert created["filename"] == "Handout final.pdf" and created["size"] == len(PDF)
    assert created["content_type"] == "application/pdf"
    file_path = f"{PREFIX}{path}/{created['id']}/file"
    assert created["url"].endswith(file_path)

    download = api.client.get(file_path, headers={"Authorization": f"Bearer {api.secret}"})
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert api.client.get(file_path).status_code == 401  # the token is needed
    link = api("POST", path, json=LINK).get_json()
    assert api("GET", f"{path}/{link['id']}/file").status_code == 404

    # a course's file: an office document whatever its name says, under a title
    course = make_course(kinds)
    docx = office_file("word/document.xml")
    response = _upload(api, f"/series/{course.id}/materials", docx, "notes.bin", title="Mappe")
    assert response.status_code == 201
    mappe = response.get_json()
    assert mappe["filename"] == "notes.docx" and mappe["title"] == "Mappe"
    series_file = f"/series/{course.id}/materials/{mappe['id']}/file"
    assert mappe["url"].endswith(series_file)
    assert api("GET", f"/series/{course.id}/materials/{created['id']}/file").status_code == 404

    # refused as the page refuses: in German, on the field, nothing stored
    def refused(data: bytes, filename: str, **fields) -> dict:
        return error_fields(_upload(api, path, data, filename, **fields))

    assert refused(b"MZ\x90\x00 not a document", "a.pdf") == {
        "file": "Nur PDF-, Word-, Excel-, PowerPoint-, OpenDocument-, PNG- und JPEG-Dateien "
        "können hochgeladen werden."
    }
    assert refused(office_file("readme.txt"), "a.docx").keys() == {"file"}
    assert refused(b"", "leer.pdf") == {"file": "Bitte wählen Sie eine Datei aus."}
    assert set(refused(PDF, "a.pdf", title="x" * 201)) == {"title"}
    assert set(refused(PDF, "a.pdf", colour="rot")) == {"colour"}
    no_file = api("POST", path + "/files", data={"title": "X"}, content_type="multipart/form-data")
    assert error_fields(no_file) == {"file": "Dieses Feld ist erforderlich."}
    monkeypatch.setattr(materials, "MAX_BYTES", 100)
    assert refused(PDF + b"0" * 100, "gross.pdf") == {"file": "Die Datei ist größer als 20 MB."}
    titles = db.session.scalars(sa.select(EventMaterial.title).order_by(EventMaterial.id)).all()
    assert titles == ["Handout final.pdf", "Folien", "Mappe"]


def test_the_follow_up_mail_goes_once_per_person(api, make_event, kinds):
    from events.materials import add_link
    from events.models import AttendanceStatus, EventMailKind, Registration
    from tests.events.conftest import register_confirmed
    from tests.events.course_factory import booking
    from tests.events.course_helpers import make_course

    event = make_event()
    path = f"/events/{event.id}/materials/follow-up"
    anna, _status = register_confirmed(event.id, name="Anna Berger", email="a@example.org")
    register_confirmed(event.id, name="Ben Krüger", email="ben@example.org")
    db.session.commit()

    def conflict() -> str:
        response = api("POST", path)
        assert response.status_code == 409
        return response.get_json()["error"]["message"]

    assert conflict().startswith("Die Nachbereitungs-Mail kann gesendet werden, sobald")
    started(event)
    assert conflict().startswith("Bitte fügen Sie Materialien hinzu")
    add_link(event, "Folien", "https://example.org/folien")
    db.session.execute(
        sa.update(Registration)
        .where(Registration.id == anna.id)
        .values(attendance=AttendanceStatus.PRESENT)
    )
    db.session.commit()

    assert api("POST", path, json={"present_only": True}).get_json() == {"queued": 1}
    assert api("POST", path, json={}).get_json() == {"queued": 1}  # Ben
    assert api("POST", path).get_json() == {"queued": 0}
    assert set(error_fields(api("POST", path, json={"present_only": "ja"}))) == {"present_only"}

    course = make_course(kinds)
    add_link(course, "Literatur", "https://example.org/liste")
    booking(course, "Carla Beispiel")
    db.session.commit()
    started(course.events[0])
    series_path = f"/series/{course.id}/materials/follow-up"
    assert api("POST", series_path).get_json() == {"queued": 1}
    assert api("POST", series_path).get_json() == {"queued": 0}
    follow_ups = db.session.scalars(
        sa.select(Delivery.recipient).where(Delivery.kind == EventMailKind.FOLLOW_UP)
    ).all()
    assert sorted(follow_ups) == ["a@example.org", "ben@example.org", "carla@example.org"]
