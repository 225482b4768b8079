"""Attendance per date through HTTP: marking on the editors' page without JavaScript
(and the JSON its script asks for) and through the API, the refusals (a date still to
come, a registration on the waiting list), the counts, the marks across a series'
dates, and the scans of the signed sheet (good, wrong type, too big, download,
delete)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from events.models import Event, Registration
from kkp.db import utcnow
from kkp.extensions import db
from tests.helpers import csrf_token, post_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64


@pytest.fixture
def english(logged_in):
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def started(event, hours: int = 1) -> None:
    """Move the event so that it began `hours` ago (events cannot be created so)."""
    begin = utcnow() - timedelta(hours=hours)
    db.session.execute(
        sa.update(Event)
        .where(Event.id == event.id)
        .values(starts_at=begin, ends_at=begin + timedelta(hours=2))
    )
    db.session.commit()


def people(event_id: int, *names: str) -> dict[str, int]:
    """Added by the office: a seat while there is one, else the waiting list."""
    from events.registrations import add_participant

    ids = {}
    for name in names:
        email = name.split()[0].lower() + "@example.org"
        registration, _status = add_participant(
            event_id, name=name, email=email, organisation=f"Stadt {name.split()[-1]}"
        )
        ids[name] = registration.id
    db.session.commit()
    return ids


def marks(event_id: int) -> dict[str, str | None]:
    db.session.rollback()
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Registration.name, Registration.attendance).where(
            Registration.event_id == event_id
        )
    )
    return dict(rows.all())


def test_marking_on_the_page_without_javascript(english, make_event):
    event = make_event(days=1)
    ids = people(event.id, "Anna Berger", "Ben Krüger", "Cem Yilmaz")
    started(event)
    url = f"/admin/events/{event.id}/attendance"

    page = english.get(url).get_data(as_text=True)
    assert page.count('aria-pressed="false"') == 9
    assert "Stadt Krüger" in page and "anna@example.org" not in page
    token = csrf_token(page)
    mark_url = f"{url}/{ids['Ben Krüger']}"
    response = english.post(mark_url, data={"csrf_token": token, "status": "present", "q": "kr"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{url}?q=kr#r-{ids['Ben Krüger']}")
    # the same again changes nothing, and is recorded once
    english.post(mark_url, data={"csrf_token": token, "status": "present"})
    english.post(f"{url}/{ids['Anna Berger']}", data={"csrf_token": token, "status": "excused"})
    assert marks(event.id) == {
        "Anna Berger": "excused",
        "Ben Krüger": "present",
        "Cem Yilmaz": None,
    }
    from kkp.auth.models import AuditEntry

    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.attendance")
    ).all()
    assert len(entries) == 2

    page = english.get(url + "?q=kr").get_data(as_text=True)
    assert "Ben Krüger" in page and "Anna Berger" not in page
    assert re.search(r'data-count="present">1<', page)
    row = re.search(rf'<li[^>]*id="r-{ids["Ben Krüger"]}".*?</li>', page, re.S).group(0)
    # the pressed button takes the mark back
    assert re.search(r'value="" data-mark="present"[^>]*aria-pressed="true"', row)

    # the page's script asks for JSON: the mark and the counts
    answer = english.post(
        f"{url}/{ids['Cem Yilmaz']}",
        data={"csrf_token": token, "status": "absent"},
        headers={"Accept": "application/json"},
    )
    assert answer.get_json()["attendance"] == "absent"
    assert answer.get_json()["counts"] == {"present": 1, "absent": 1, "excused": 1, "unmarked": 0}
    english.post(f"{url}/{ids['Cem Yilmaz']}", data={"csrf_token": token, "status": ""})
    assert marks(event.id)["Cem Yilmaz"] is None

    # nonsense is refused without a 500, and without the token nothing happens
    bad = english.post(f"{url}/{ids['Cem Yilmaz']}", data={"csrf_token": token, "status": "x"})
    assert bad.status_code == 303
    english.post(f"{url}/{ids['Cem Yilmaz']}", data={"status": "present"})
    assert marks(event.id)["Cem Yilmaz"] is None


def test_refused_before_the_day_and_for_the_waiting_list(english, make_event):
    event = make_event(days=3, capacity=1)
    ids = people(event.id, "Anna Berger", "Ben Krüger")  # Ben waits
    url = f"/admin/events/{event.id}/attendance"
    page = english.get(url).get_data(as_text=True)
    assert "Attendance can be marked from the day of the event on" in page
    assert "aria-pressed" not in page and "Ben Krüger" not in page

    response = post_form(
        english,
        f"{url}/{ids['Anna Berger']}",
        {"status": "present"},
        page=url,
        follow_redirects=True,
    )
    assert "Attendance can be marked from the day of the event on" in response.get_data(
        as_text=True
    )
    assert marks(event.id)["Anna Berger"] is None

    started(event)
    answer = english.post(
        f"{url}/{ids['Ben Krüger']}",
        data={
            "csrf_token": csrf_token(english.get(url).get_data(as_text=True)),
            "status": "present",
        },
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 409
    assert answer.get_json()["error"] == "Only confirmed participants can be marked."


def test_api_lists_and_marks(api, make_event):
    event = make_event(days=1)
    ids = people(event.id, "Anna Berger", "Ben Krüger")
    early = api(
        "PATCH", f"/registrations/{ids['Anna Berger']}/attendance", json={"attendance": "present"}
    )
    assert early.status_code == 409

    started(event)
    marked = api(
        "PATCH", f"/registrations/{ids['Anna Berger']}/attendance", json={"attendance": "present"}
    )
    assert marked.status_code == 200, marked.get_data(as_text=True)
    assert marked.get_json()["attendance"] == "present"
    assert (
        api(
            "PATCH", f"/registrations/{ids['Anna Berger']}/attendance", json={"attendance": "x"}
        ).status_code
        == 422
    )
    assert (
        api("PATCH", "/registrations/999999/attendance", json={"attendance": None}).status_code
        == 404
    )

    listed = api("GET", f"/events/{event.id}/attendance").get_json()
    assert [(p["name"], p["attendance"]) for p in listed["items"]] == [
        ("Anna Berger", "present"),
        ("Ben Krüger", None),
    ]
    assert listed["counts"] == {"present": 1, "absent": 0, "excused": 0, "unmarked": 1}
    api("PATCH", f"/registrations/{ids['Anna Berger']}/attendance", json={"attendance": None})
    assert marks(event.id)["Anna Berger"] is None


def test_marks_across_the_series_dates(ctx, make_event):
    from events import attendance
    from events.models import AttendanceStatus, EventSeries

    series = EventSeries(slug="kurs", title="Kurs")
    db.session.add(series)
    db.session.flush()
    dates = [make_event(f"Kurs {n}", days=1) for n in range(3)]
    later = make_event("Kurs später", days=7)
    for event in [*dates, later]:
        event.series_id = series.id
    db.session.commit()
    anna = [people(e.id, "Anna Berger")["Anna Berger"] for e in [*dates, later]]
    ben = people(dates[0].id, "Ben Krüger")["Ben Krüger"]
    for n, event in enumerate(dates):
        started(event, hours=48 - n)
    now = utcnow()
    attendance.mark(anna[0], AttendanceStatus.PRESENT, now)
    attendance.mark(anna[1], AttendanceStatus.PRESENT, now)
    attendance.mark(anna[2], AttendanceStatus.EXCUSED, now)
    attendance.mark(ben, AttendanceStatus.ABSENT, now)
    db.session.commit()
    assert attendance.attended([*anna, ben]) == {anna[0], anna[1]}
    assert attendance.counts(dates[0].id) == attendance.AttendanceCounts(present=1, absent=1)


def test_scans_upload_download_delete(english, make_event):
    from events.attendance_scans import MAX_BYTES
    from events.course_models import AttendanceScan
    from tests.helpers import row_count

    event = make_event(days=2)
    url = f"/admin/events/{event.id}/attendance"
    token = csrf_token(english.get(url).get_data(as_text=True))

    def upload(data: bytes, name: str):
        import io

        return english.post(
            url + "/scans",
            data={"csrf_token": token, "scan": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    assert upload(PDF, "../Liste 1.pdf").status_code == 303
    assert upload(PNG, "foto.jpg").status_code == 303  # the bytes decide, not the name
    wrong = upload(b"<html><script>alert(1)</script>", "liste.pdf")
    assert wrong.status_code == 422
    assert "Only PDF, JPEG and PNG files can be uploaded." in wrong.get_data(as_text=True)
    big = upload(PDF + b"0" * MAX_BYTES, "gross.pdf")
    assert big.status_code == 422
    assert "The file is larger than 10 MB." in big.get_data(as_text=True)
    assert row_count(AttendanceScan) == 2

    page = english.get(url).get_data(as_text=True)
    assert "Liste 1.pdf" in page and "foto.png" in page
    scan = db.session.scalars(sa.select(AttendanceScan).order_by(AttendanceScan.id)).first()
    download = english.get(f"{url}/scans/{scan.id}")
    assert download.data == PDF
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    ask = english.get(f"{url}/scans/{scan.id}/delete")
    assert "Delete the scan" in ask.get_data(as_text=True)
    gone = post_form(english, f"{url}/scans/{scan.id}/delete", {})
    assert gone.status_code == 303
    assert row_count(AttendanceScan) == 1
    assert english.get(f"{url}/scans/{scan.id}").status_code == 404
