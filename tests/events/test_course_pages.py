"""Booking a whole course through the public pages, end to end: the form on the
series' page, the mail asking to confirm, the confirm page, one confirmation listing
every date and a calendar REQUEST per date (read back with Python's `email` parser and
`vobject`); cancelling frees every date at once and the waiting list moves up."""

from __future__ import annotations

import io

import sqlalchemy as sa
import vobject

from events.course_models import CourseBooking
from events.models import Registration
from kkp.extensions import db
from tests.events.course_helpers import make_course
from tests.helpers import csrf_token, links, parse_mail, post_form, text_of


def _book(client, series, name: str, email: str):
    page = f"/events/series/{series.slug}"
    html = client.get(page).get_data(as_text=True)
    return client.post(
        f"{page}/book",
        data={
            "name": name,
            "email": email,
            "consent": "y",
            "consent_version": "",
            "csrf_token": csrf_token(html),
        },
    )


def _calendar(msg):
    (part,) = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    return part.get_param("method"), vobject.readOne(io.StringIO(part.get_content()))


def test_book_the_course_once_for_every_date(app, client, kinds, worker, drain, mail):
    series = make_course(kinds, capacity=1)
    uids = [e.uid for e in series.events]
    html = client.get(f"/events/series/{series.slug}").get_data(as_text=True)
    assert "Kurs buchen" in html or "Book the course" in html
    assert html.count("<li><time") == 4
    # the date's own page points to the course; its form is refused
    date_html = client.get(f"/events/{series.events[2].slug}").get_data(as_text=True)
    assert f"/events/series/{series.slug}#course-booking" in date_html

    response = _book(client, series, "Anna Berger", "anna@example.org")
    assert response.status_code == 303, response.get_data(as_text=True)
    drain()
    (request,) = [parse_mail(m["data"]) for m in mail.wait_for(1)]
    (confirm,) = links(text_of(request), "/events/booking/confirm/")
    mail.clear()
    assert client.get(confirm).status_code == 200  # a GET changes nothing
    assert db.session.scalar(sa.select(CourseBooking.status)) == "pending"
    response = post_form(client, confirm, {})
    assert response.status_code == 303
    drain()
    messages = [parse_mail(m["data"]) for m in mail.wait_for(5)]
    assert len(messages) == 5
    requests = {}
    course_mail = []
    for msg in messages:
        if any(p.get_content_type() == "text/calendar" for p in msg.walk()):
            method, calendar = _calendar(msg)
            assert method == "REQUEST" and calendar.method.value == "REQUEST"
            requests[calendar.vevent.uid.value] = msg
        else:
            course_mail.append(msg)
    assert sorted(requests) == sorted(uids)
    (confirmation,) = course_mail
    text = text_of(confirmation)
    assert series.title in confirmation["Subject"]
    assert text.count("Rathaus, Markt 1, 01067 Dresden") == 4
    (manage,) = set(links(text, "/events/booking/"))
    page = client.get(manage).get_data(as_text=True)
    assert "Anna Berger" in page and page.count("<li><time") == 4

    # Bernd waits; Anna cancels the course: every date freed, Bernd moves up
    mail.clear()
    assert _book(client, series, "Bernd Carl", "bernd@example.org").status_code == 303
    bernd = db.session.scalar(sa.select(CourseBooking).where(CourseBooking.email.like("bernd%")))
    assert bernd.status == "pending_waiting"
    from events.courses import confirm_booking

    confirm_booking(bernd)
    db.session.commit()
    assert bernd.status == "waiting"
    response = client.get(f"{manage}?cancel=ask")
    assert response.status_code == 200
    response = client.post(
        manage, data={"action": "cancel", "csrf_token": csrf_token(response.get_data(as_text=True))}
    )
    assert response.status_code == 303
    db.session.expire_all()
    statuses = dict(
        db.session.execute(
            sa.select(Registration.email, sa.func.count())
            .where(Registration.status == "confirmed")
            .group_by(Registration.email)
        ).all()
    )
    assert statuses == {"bernd@example.org": 4}
    drain()
    # Anna: a CANCEL per date and one mail; Bernd one mail and a REQUEST per date
    got = [parse_mail(m["data"]) for m in mail.wait_for(10)]
    # (Bernd's earlier mails may have gone before the cancellation, or been dropped as
    # outdated)
    anna = [m for m in got if "anna@" in m["To"]]
    methods = sorted(_calendar(m)[0] for m in anna if _has_calendar(m))
    assert methods == ["CANCEL"] * 4 and len(anna) == 5
    bernd = [m for m in got if "bernd@" in m["To"]]
    assert sorted(_calendar(m)[0] for m in bernd if _has_calendar(m)) == ["REQUEST"] * 4
    assert (
        len([m for m in bernd if "Sie haben einen Platz" in m["Subject"] or "seat" in m["Subject"]])
        == 1
    )


def _has_calendar(msg) -> bool:
    return any(p.get_content_type() == "text/calendar" for p in msg.walk())


def test_bad_input_keeps_the_form(app, client, kinds):
    series = make_course(kinds)
    page = f"/events/series/{series.slug}"
    html = client.get(page).get_data(as_text=True)
    response = client.post(
        f"{page}/book",
        data={"name": "<b>Anna</b>", "email": "nicht-gueltig", "csrf_token": csrf_token(html)},
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "&lt;b&gt;Anna&lt;/b&gt;" in body and 'class="error"' in body
    assert body.count('class="error"') >= 2  # the address and the consent at once


def test_editor_sets_the_course_up_and_manages_its_participants(logged_in, kinds):
    from events.models import EventSeries

    client = logged_in
    series = make_course(kinds, capacity=None)
    series.registration_scope = "dates"
    db.session.commit()
    page = f"/admin/events/series/{series.id}"
    form = {
        "title": series.title,
        "description": "Vier Termine.",
        "registration_scope": "course",
        "capacity": "1",
        "deadline_day": "",
        "deadline_time": "",
        "certificate_share": "80",
        "teaching_units": "y",
        "certificate_summary": "Grundlagen",
        "signer_name": "Dr. Maria Muster",
        "signer_role": "Leiterin",
        "retention_months": "x",
    }
    response = post_form(client, page, form)
    assert response.status_code == 422  # every error at once, the input kept
    body = response.get_data(as_text=True)
    assert "Dr. Maria Muster" in body and 'class="error"' in body
    response = post_form(client, page, {**form, "retention_months": "12"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    stored = db.session.get(EventSeries, series.id)
    assert (stored.registration_scope, stored.capacity, stored.certificate_share) == (
        "course",
        1,
        80,
    )
    assert stored.teaching_units and stored.retention_months == 12

    people = f"{page}/participants"
    for name in ("Anna", "Bernd"):
        response = post_form(
            client,
            f"{people}/add",
            {"name": name, "email": f"{name.lower()}@example.org"},
            page=people,
        )
        assert response.status_code == 303
    html = client.get(people).get_data(as_text=True)
    assert 'id="confirmed-table"' in html and 'id="waiting-table"' in html
    anna = db.session.scalar(sa.select(CourseBooking).where(CourseBooking.name == "Anna"))
    remove = f"{page}/bookings/{anna.id}/remove"
    response = post_form(client, remove, {})
    assert response.status_code == 303
    db.session.expire_all()
    statuses = dict(db.session.execute(sa.select(CourseBooking.name, CourseBooking.status)).all())
    assert statuses == {"Anna": "cancelled", "Bernd": "confirmed"}
    # a single date of the course: the editor is pointed to the course
    date = stored.events[0]
    response = post_form(
        client,
        f"/admin/events/{date.id}/participants/add",
        {"name": "Carla", "email": "carla@example.org"},
        page=f"/admin/events/{date.id}/participants",
    )
    assert response.status_code == 409
