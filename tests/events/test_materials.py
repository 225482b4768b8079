"""Materials of an event or a course: the editors' page (a link, a file whose type is
read from its bytes, the refusals in German, order, delete), the participant's page
before and after the start, the download by her signed token, the follow-up mail
(through the SMTP server, read back with Python's `email` parser, once only). The API:
test_api_materials.py."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import pytest
import sqlalchemy as sa

from events.course_models import CourseBooking
from events.material_models import EventMaterial
from events.models import Event, Registration
from kkp.db import utcnow
from kkp.extensions import db
from tests.events.conftest import register_confirmed
from tests.helpers import csrf_token, links, parse_mail, post_form, row_count, text_of

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64


def office_file(part: str, mimetype: str | None = None) -> bytes:
    """A ZIP like an office file: OOXML by its main `part`, ODF by `mimetype`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if mimetype:
            archive.writestr("mimetype", mimetype)
        else:
            archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
    return buffer.getvalue()


def started(*events, hours: int = 1) -> None:
    """Move the events so that they began `hours` ago."""
    begin = utcnow() - timedelta(hours=hours)
    for event in events:
        db.session.execute(
            sa.update(Event)
            .where(Event.id == event.id)
            .values(starts_at=begin, ends_at=begin + timedelta(hours=2))
        )
    db.session.commit()


def upload(client, url: str, data: bytes, filename: str, title: str = ""):
    page = client.get(url).get_data(as_text=True)
    return client.post(
        url + "/files",
        data={
            "csrf_token": csrf_token(page),
            "upload-title": title,
            "upload-file": (io.BytesIO(data), filename),
        },
        content_type="multipart/form-data",
    )


# -- the editors' page ----------------------------------------------------------------


def test_link_and_files_added_in_order(logged_in, make_event):
    from events.materials import sniffed

    event = make_event()
    url = f"/admin/events/{event.id}/materials"
    page = logged_in.get(url).get_data(as_text=True)
    assert 'aria-current="page">Materialien' in page

    response = post_form(
        logged_in,
        url + "/links",
        {"link-title": "Folien online", "link-url": "https://example.org/folien"},
        page=url,
    )
    assert response.status_code == 303
    assert upload(logged_in, url, PDF, "../Handout final.pdf").status_code == 303
    docx = office_file("word/document.xml")
    assert upload(logged_in, url, docx, "notes.bin", "Mitschrift").status_code == 303

    rows = db.session.scalars(sa.select(EventMaterial).order_by(EventMaterial.position)).all()
    assert [(m.title, m.kind) for m in rows] == [
        ("Folien online", "link"),
        ("Handout final.pdf", "file"),
        ("Mitschrift", "file"),
    ]
    assert rows[1].filename == "Handout final.pdf" and rows[1].content_type == "application/pdf"
    assert rows[2].filename == "notes.docx" and rows[2].content_type.endswith(".document")
    assert sniffed(office_file("xl/workbook.xml"))[1] == "xlsx"
    assert sniffed(office_file("ppt/presentation.xml"))[1] == "pptx"
    assert sniffed(office_file("content.xml", "application/vnd.oasis.opendocument.text")) == (
        "application/vnd.oasis.opendocument.text",
        "odt",
    )
    assert sniffed(b"\xff\xd8\xff\xe0JFIF")[1] == "jpg"

    # up and down, then delete after a confirm page
    page = logged_in.get(url).get_data(as_text=True)
    token = csrf_token(page)
    logged_in.post(f"{url}/{rows[2].id}/move", data={"csrf_token": token, "to": "up"})
    titles = db.session.scalars(
        sa.select(EventMaterial.title).order_by(EventMaterial.position)
    ).all()
    assert titles == ["Folien online", "Mitschrift", "Handout final.pdf"]
    confirm = logged_in.get(f"{url}/{rows[0].id}/delete").get_data(as_text=True)
    assert "„Folien online“ löschen?" in confirm
    response = post_form(logged_in, f"{url}/{rows[0].id}/delete", {})
    assert response.status_code == 303
    assert row_count(EventMaterial) == 2
    download = logged_in.get(f"{url}/{rows[1].id}")
    assert download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_bad_link_and_files_refused_in_german(logged_in, make_event, monkeypatch):
    from events import materials

    event = make_event()
    url = f"/admin/events/{event.id}/materials"
    for address in ("javascript:alert(1)", "ftp://example.org/x", "https://", "example.org"):
        response = post_form(
            logged_in, url + "/links", {"link-title": "", "link-url": address}, page=url
        )
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "Bitte geben Sie einen Titel ein." in page
        assert "Bitte geben Sie eine Adresse ein, die mit https:// oder http:// beginnt." in page
        assert f'value="{address}"' in page  # the input is kept
    plain_zip = office_file("readme.txt")
    for data in (b"MZ\x90\x00 not a document", plain_zip, b"PK\x03\x04 broken"):
        page = upload(logged_in, url, data, "a.pdf").get_data(as_text=True)
        assert "Nur PDF-, Word-, Excel-, PowerPoint-, OpenDocument-, PNG- und JPEG-Dateien" in page
    page = upload(logged_in, url, b"", "").get_data(as_text=True)
    assert "Bitte wählen Sie eine Datei aus." in page
    monkeypatch.setattr(materials, "MAX_BYTES", 100)
    response = upload(logged_in, url, PDF + b"0" * 100, "gross.pdf", "Groß")
    assert response.status_code == 422
    assert "Die Datei ist größer als 20 MB." in response.get_data(as_text=True)
    assert row_count(EventMaterial) == 0


def test_a_course_has_its_own_page(logged_in, kinds):
    from tests.events.course_helpers import make_course

    series = make_course(kinds)
    edit = logged_in.get(f"/admin/events/series/{series.id}").get_data(as_text=True)
    url = f"/admin/events/series/{series.id}/materials"
    assert url in edit
    response = post_form(
        logged_in,
        url + "/links",
        {"link-title": "Literatur", "link-url": "http://example.org/liste"},
        page=url,
    )
    assert response.status_code == 303
    (material,) = db.session.scalars(sa.select(EventMaterial)).all()
    assert material.series_id == series.id and material.event_id is None


# -- the participant's page and her download ------------------------------------------


def _event_with_materials(make_event):
    from events.materials import add_file, add_link

    event = make_event()
    add_link(event, "Folien", "https://example.org/folien")
    handout = add_file(event, "Handout", "handout.pdf", PDF)
    registration, status = register_confirmed(event.id, name="Anna Berger", email="a@example.org")
    assert status == "confirmed"
    db.session.commit()
    return event, registration, handout


def test_participant_sees_materials_once_begun(client, make_event):
    from events.registrations import token_for

    event, registration, handout = _event_with_materials(make_event)
    token = token_for(registration)
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    assert "Handout" not in page and "Folien" not in page
    assert client.get(f"/registrations/{token}/materials/{handout.id}").status_code == 404

    started(event)
    page = client.get(f"/registrations/{token}").get_data(as_text=True)
    assert "Materialien" in page and 'href="https://example.org/folien"' in page
    # the page signs its links anew: the same registration, maybe the next second's stamp
    payload = re.escape(token.split(".")[0])
    assert re.search(rf'href="/registrations/{payload}\.[^"/]+/materials/{handout.id}"', page)
    file_url = f"/registrations/{token}/materials/{handout.id}"
    response = client.get(file_url)
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"

    # a wrong token, someone else's material, a cancelled registration: 404
    assert client.get(f"/registrations/{token}x/materials/{handout.id}").status_code == 404
    other = make_event("Anderes Treffen")
    from events.materials import add_file

    foreign = add_file(other, "Fremd", "fremd.pdf", PDF)
    db.session.commit()
    started(other)
    assert client.get(f"/registrations/{token}/materials/{foreign.id}").status_code == 404
    db.session.execute(
        sa.update(Registration).where(Registration.id == registration.id).values(status="cancelled")
    )
    db.session.commit()
    assert client.get(file_url).status_code == 404


def test_course_materials_on_the_booking_page(client, kinds):
    from events.course_notices import token_for
    from events.materials import add_file
    from tests.events.course_factory import booking
    from tests.events.course_helpers import make_course

    series = make_course(kinds)
    course_file = add_file(series, "Kursmappe", "mappe.pdf", PDF)
    date_file = add_file(series.events[1], "Termin 2", "termin2.pdf", PDF)
    anna = booking(series, "Anna Berger")
    db.session.commit()
    token = token_for(anna)
    page = client.get(f"/events/booking/{token}").get_data(as_text=True)
    assert "Kursmappe" not in page

    started(series.events[0])
    page = client.get(f"/events/booking/{token}").get_data(as_text=True)
    assert "Kursmappe" in page and "Termin 2" not in page
    response = client.get(f"/events/booking/{token}/materials/{course_file.id}")
    assert response.data == PDF and "attachment" in response.headers["Content-Disposition"]
    assert client.get(f"/events/booking/{token}/materials/{date_file.id}").status_code == 404
    assert client.get(f"/events/booking/x{token}/materials/{course_file.id}").status_code == 404


# -- the follow-up mail ---------------------------------------------------------------


def test_follow_up_mail_once_per_registration(logged_in, make_event, mail, drain):
    from events.models import AttendanceStatus
    from events.registrations import add_participant

    event, anna, _handout = _event_with_materials(make_event)
    ben, _status = add_participant(event.id, name="Ben Krüger", email="ben@example.org")
    db.session.commit()
    url = f"/admin/events/{event.id}/materials"
    page = logged_in.get(url).get_data(as_text=True)
    assert "sobald die Veranstaltung begonnen hat" in page
    started(event)
    db.session.execute(
        sa.update(Registration)
        .where(Registration.id == anna.id)
        .values(attendance=AttendanceStatus.PRESENT)
    )
    db.session.commit()
    drain()  # the confirmations of the registrations
    mail.clear()

    page = logged_in.get(url).get_data(as_text=True)
    assert "Noch nicht angeschrieben: 2 bestätigte Teilnehmende, davon 1 als anwesend" in page
    confirm = logged_in.get(url + "/follow-up?present=1").get_data(as_text=True)
    assert "1 Person erhält sie" in confirm
    response = post_form(logged_in, url + "/follow-up", {"present": "1"}, page=url)
    assert response.status_code == 303
    drain()
    (item,) = mail.wait_for(1)
    msg = parse_mail(item["data"])
    assert msg["To"].endswith("<a@example.org>")
    assert "Materialien" in msg["Subject"]
    text = text_of(msg)
    assert "- Folien" in text and "- Handout" in text
    (own_page,) = links(text, "/registrations/")
    assert "Folien" in logged_in.get(own_page).get_data(as_text=True)
    assert not list(msg.iter_attachments())

    # to all now: only Ben is left; a second click mails nobody
    mail.clear()
    confirm = logged_in.get(url + "/follow-up").get_data(as_text=True)
    assert "1 Person erhält sie" in confirm
    post_form(logged_in, url + "/follow-up", {}, page=url)
    post_form(logged_in, url + "/follow-up", {}, page=url)
    drain()
    (item,) = mail.wait_for(1)
    assert item["to"] == ["ben@example.org"]
    assert "niemand" in logged_in.get(url + "/follow-up").get_data(as_text=True).lower()


def test_follow_up_mail_per_booking(ctx, kinds, mail, drain):
    from events.course_notices import booking_for_token
    from events.follow_up import send_follow_up
    from events.materials import add_link
    from tests.events.course_factory import booking
    from tests.events.course_helpers import make_course

    series = make_course(kinds)
    add_link(series, "Literatur", "https://example.org/liste")
    booking(series, "Anna Berger")
    booking(series, "Ben Krüger", status="waiting")
    db.session.commit()
    with pytest.raises(Exception, match="begonnen"):
        send_follow_up(series, utcnow())
    db.session.rollback()
    drain()
    mail.clear()
    started(series.events[0])
    assert send_follow_up(series, utcnow()) == 1
    db.session.commit()
    assert send_follow_up(series, utcnow()) == 0
    drain()
    (item,) = mail.wait_for(1)
    text = text_of(parse_mail(item["data"]))
    assert item["to"] == ["anna@example.org"] and "- Literatur" in text
    (page,) = links(text, "/events/booking/")
    anna = db.session.scalars(sa.select(CourseBooking).where(CourseBooking.name == "Anna Berger"))
    # her booking's page (the token is signed with the time, so compare what it names)
    assert booking_for_token(page.removeprefix("/events/booking/")).id == anna.one().id


# -- the mail's words -----------------------------------------------------------------


@pytest.mark.parametrize("locale", ["de", "en"])
def test_the_follow_up_mail_matches_its_snapshot(make_event, locale):
    from events.follow_up import follow_up_message
    from events.materials import add_file, add_link
    from kkp.mail.models import Delivery
    from tests.mail_snapshots import assert_snapshot

    event = make_event("Fachtag Prävention")
    add_link(event, "Folien <Teil 1> & mehr", "https://example.org/folien?a=1&b=2")
    add_file(event, "Handout", "handout.pdf", PDF)
    registration, _status = register_confirmed(
        event.id, name="Anna Beispiel", email="anna@example.org", locale=locale
    )
    delivery = Delivery(
        kind="event_follow_up",
        recipient="anna@example.org",
        params={"registration_id": registration.id},
    )
    assert_snapshot(f"event_follow_up.{locale}", follow_up_message(delivery))
