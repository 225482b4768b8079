"""The anonymous feedback after an event or a course: the form by its signed link
(once only, every error at once, open only in its window, no name shown), answers that
lead to nobody, the invitation mail (never twice), the editors' summary, the CSV and
the API."""

from __future__ import annotations

import re
from datetime import time

import pytest

NAMES = ("Anna Beispiel", "Bernd Beispiel", "Carla Beispiel")


def _person(event_id: int, name: str, **fields):
    from events.models import Registration
    from kkp.extensions import db

    registration = Registration(
        event_id=event_id,
        email=name.split()[0].lower() + "@example.org",
        name=name,
        status=fields.pop("status", "confirmed"),
        key=(name[0] * 32),
        **fields,
    )
    db.session.add(registration)
    db.session.commit()
    return registration


@pytest.fixture
def held(ctx, make_event):
    """An event that took place yesterday with the typical feedback questions, three
    confirmed participants (Anna present) and one cancelled."""
    from events import feedback
    from kkp.extensions import db

    event = make_event("Netzwerktreffen Süd", days=-1)
    feedback.add_typical(event)
    db.session.commit()
    people = [_person(event.id, name) for name in NAMES]
    people[0].attendance = "present"
    _person(event.id, "Dora Storniert", status="cancelled")
    db.session.commit()
    questions = {q.kind: q for q in feedback.feedback_questions(event)}
    return {"event": event, "people": people, "questions": questions}


def _answers(held, rating="2", useful="Die Rollenspiele", recommend="yes") -> dict:
    from events.answers import field_name

    q = held["questions"]
    return {
        field_name(q["one_choice"]): rating,
        field_name(q["long_text"]): useful,
        field_name(q["yes_no"]): recommend,
    }


def _url(person) -> str:
    from events.feedback import token_for

    return f"/events/feedback/{token_for(person)}"


def test_form_once_only_every_error_at_once_and_nothing_leads_to_the_person(held, client):
    from events.feedback_models import FeedbackReceipt
    from events.question_models import Answer
    from kkp.extensions import db
    from tests.helpers import csrf_token, post_form, row_count

    anna = held["people"][0]
    url = _url(anna)
    page = client.get(url).get_data(as_text=True)
    assert "Netzwerktreffen Süd" in page and "anonym" in page
    assert "Anna" not in page and "anna@example.org" not in page
    assert page.count('name="q-') >= 7  # five ratings, two for yes/no, one text

    bad = post_form(client, url, _answers(held, rating="9", useful="=1+1", recommend="maybe"))
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert html.count('class="error"') == 2  # the rating and yes/no, at once
    assert "=1+1" in html  # the input is kept
    assert row_count(Answer) == 0 and row_count(FeedbackReceipt) == 0

    ok = post_form(client, url, _answers(held))
    assert ok.status_code == 200 and 'id="feedback-thanks"' in ok.get_data(as_text=True)
    assert row_count(Answer) == 3
    again = client.post(url, data={**_answers(held, rating="5"), "csrf_token": csrf_token(html)})
    assert 'id="feedback-thanks"' in again.get_data(as_text=True)
    assert 'id="feedback-thanks"' in client.get(url).get_data(as_text=True)
    assert row_count(Answer) == 3  # the second submit stored nothing

    # the tables: the answers name nobody and carry no time; the receipt no answer
    for answer in db.session.scalars(db.select(Answer)):
        assert answer.registration_id is None and answer.booking_id is None
        assert answer.created_at is None and answer.id >= 2**30
        assert "Anna" not in str(answer.value)
    (receipt,) = db.session.scalars(db.select(FeedbackReceipt))
    assert receipt.registration_id == anna.id and receipt.given_on is not None
    assert receipt.invited_at is None
    # her data export says THAT she answered, never what
    from events.personal_data import export, find

    (own,) = export(find("anna@example.org"))["registrations"]
    assert own["feedback"]["given_on"] == receipt.given_on.isoformat()
    assert own["answers"] == []
    assert {c.name for c in FeedbackReceipt.__table__.columns} == {
        "id",
        "registration_id",
        "booking_id",
        "invited_at",
        "given_on",
    }


def test_the_form_is_open_only_from_the_start_until_the_days_after(ctx, make_event, client):
    from events import feedback
    from events.errors import EventError
    from kkp.extensions import db

    coming = make_event("Kommt noch", days=3)
    gone = make_event("Lange vorbei", days=-40)
    for event in (coming, gone):
        feedback.add_typical(event)
    db.session.commit()
    for event in (coming, gone):
        url = _url(_person(event.id, "Anna Beispiel"))
        assert 'id="feedback-closed"' in client.get(url).get_data(as_text=True)
        with pytest.raises(EventError):
            feedback.submit(feedback.respondent_for_token(url.split("/")[-1]), {})
    assert client.get("/events/feedback/forged").status_code == 404


def test_invitation_goes_once_to_the_confirmed(held, logged_in, mail, drain):
    from events.feedback_models import FeedbackReceipt
    from events.models import EventMailKind
    from kkp.mail.models import Delivery
    from tests.helpers import links, parse_mail, post_form, row_count, text_of

    event = held["event"]
    page_url = f"/admin/events/{event.id}/feedback"
    invite_url = page_url + "/invite"
    page = logged_in.get(page_url).get_data(as_text=True)
    assert 'id="invite-all"' in page and 'id="invite-present"' in page
    assert "3" in logged_in.get(invite_url).get_data(as_text=True)

    assert post_form(logged_in, invite_url, {}).status_code == 303
    drain()
    received = {item["to"][0]: parse_mail(item["data"]) for item in mail.wait_for(3)}
    assert set(received) == {"anna@example.org", "bernd@example.org", "carla@example.org"}
    text = text_of(received["anna@example.org"])
    (link,) = links(text, "/events/feedback/")
    assert "Anna" in text and "anonym" in text
    assert 'id="feedback-thanks"' not in logged_in.get(link).get_data(as_text=True)
    assert row_count(FeedbackReceipt, FeedbackReceipt.invited_at.is_not(None)) == 3

    # again: nobody gets a second mail
    mail.clear()
    assert "Ja, Einladungen senden" not in logged_in.get(invite_url).get_data(as_text=True)
    post_form(logged_in, invite_url, {}, page=page_url)
    drain()
    assert mail.messages == []
    assert row_count(Delivery, Delivery.kind == EventMailKind.FEEDBACK) == 3
    assert 'id="all-invited"' in logged_in.get(page_url).get_data(as_text=True)


def test_summary_csv_and_api(held, logged_in, api):
    from events import feedback
    from kkp.extensions import db

    anna, bernd, carla = held["people"]
    for person, answers in (
        (anna, _answers(held, rating="1", useful="=HYPERLINK(1)")),
        (bernd, _answers(held, rating="1", useful="Die Pausen", recommend="no")),
        (carla, _answers(held, rating="3", useful="", recommend="yes")),
    ):
        assert feedback.submit(feedback.respondent_for_token(_url(person).split("/")[-1]), answers)
    db.session.commit()
    event = held["event"]
    page = logged_in.get(f"/admin/events/{event.id}/feedback").get_data(as_text=True)
    assert re.search(r"3 Personen haben geantwortet", page)
    assert "67 %" in page and "33 %" in page  # rating 1 twice, 3 once; yes 2 of 3
    assert "Die Pausen" in page and "=HYPERLINK(1)" in page
    assert "Anna" not in page.split('id="summary"')[1]

    csv = logged_in.get(f"/admin/events/{event.id}/feedback.csv")
    body = csv.get_data().decode("utf-8")
    assert body.startswith("\ufeff") and ";'=HYPERLINK(1)" in body
    assert "Anna" not in body and "anna@" not in body

    found = api("GET", f"/events/{event.id}/feedback").get_json()
    assert found["answered"] == 3
    rating = next(q for q in found["questions"] if q["kind"] == "one_choice")
    assert [s["count"] for s in rating["shares"]] == [2, 0, 1, 0, 0]
    assert [s["percent"] for s in rating["shares"]][:3] == [67, 0, 33]
    useful = next(q for q in found["questions"] if q["kind"] == "long_text")
    assert sorted(useful["texts"]) == ["=HYPERLINK(1)", "Die Pausen"]


def test_course_one_invitation_per_booking(ctx, make_event, logged_in, mail, drain):
    from events import feedback
    from events.course_models import CourseBooking
    from events.models import EventSeries, Registration, RegistrationScope
    from kkp.extensions import db
    from tests.helpers import links, parse_mail, post_form, text_of

    series = EventSeries(
        slug="kurs", title="Deeskalation im Alltag", registration_scope=RegistrationScope.COURSE
    )
    db.session.add(series)
    db.session.commit()
    dates = [
        make_event(f"Deeskalation {n}", days=-3 + n, series_id=series.id, end_time=time(11))
        for n in range(2)
    ]
    booking = CourseBooking(
        series_id=series.id, email="anna@example.org", name="Anna", status="confirmed", key="k" * 32
    )
    db.session.add(booking)
    db.session.flush()
    for event in dates:
        db.session.add(
            Registration(
                event_id=event.id,
                email=booking.email,
                name="Anna",
                status="confirmed",
                key="r" * 32,
                booking_id=booking.id,
            )
        )
    feedback.add_typical(series)
    db.session.commit()
    page_url = f"/admin/events/series/{series.id}/feedback"
    assert "feedback" in logged_in.get(f"/admin/events/series/{series.id}").get_data(as_text=True)
    post_form(logged_in, page_url + "/invite", {}, page=page_url)
    drain()
    (item,) = mail.wait_for(1)
    (link,) = links(text_of(parse_mail(item["data"])), "/events/feedback/")
    page = logged_in.get(link).get_data(as_text=True)
    assert 'name="q-' in page and "Deeskalation im Alltag" in page
    # open from the start of the course's last date
    assert feedback.window(series)[0] == dates[-1].starts_at
    # one invitation per booking, not one per date
    mail.clear()
    post_form(logged_in, page_url + "/invite", {}, page=page_url)
    drain()
    assert mail.messages == []


def test_editors_set_the_questions(ctx, make_event, logged_in):
    from events import feedback
    from events.questions import questions_of
    from tests.helpers import post_form

    event = make_event("Netzwerktreffen Ost", days=-1)
    page_url = f"/admin/events/{event.id}/feedback"
    assert 'aria-current="page"' in logged_in.get(page_url).get_data(as_text=True)
    post_form(logged_in, page_url + "/typical", {}, page=page_url)
    post_form(logged_in, page_url + "/typical", {}, page=page_url)  # nothing twice
    assert [q.kind for q in feedback.feedback_questions(event)] == [
        "one_choice",
        "long_text",
        "yes_no",
    ]
    assert questions_of(event) == []  # the registration form asks none of them

    bad = post_form(
        logged_in,
        page_url + "/questions",
        {"kind": "one_choice", "label": "", "choices": "a"},
        page=page_url,
    )
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert html.count('<li><a href="#') == 2  # the question and the choices, at once

    rating = feedback.feedback_questions(event)[0]
    edit_url = f"{page_url}/questions/{rating.id}"
    assert "1, 2, 3, 4, 5" in logged_in.get(edit_url).get_data(as_text=True)
    saved = post_form(
        logged_in,
        edit_url,
        {"kind": "one_choice", "label": "Note insgesamt?", "choices": "gut\nschlecht"},
    )
    assert saved.status_code == 303
    delete_url = f"{page_url}/questions/{rating.id}/delete"
    assert post_form(logged_in, delete_url, {}, page=page_url).status_code == 303
    assert [q.label for q in feedback.feedback_questions(event)][0] != "Note insgesamt?"
    assert len(feedback.feedback_questions(event)) == 2
