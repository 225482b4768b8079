"""Certificates of attendance for a date booked on its own (a single event, or a date
of a series whose dates are booked each alone): the editors' page, reached from the
date's attendance page; issuing one; issuing and sending to everyone present, once.
A date of a course booked as a whole leads to the course's certificates, whose page
issues one as well."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest


@pytest.fixture
def held_event(ctx, make_event):
    """A training that took place last week: Anna and Bernd present, Carla absent,
    Dora not marked; Emil cancelled (and marked present)."""
    from kkp.extensions import db
    from tests.events.course_factory import person

    event = make_event("Schulung Einbruchschutz", days=-7)
    ids = {
        name.split()[0]: person(event.id, name, status, attendance=mark).id
        for name, status, mark in [
            ("Anna Beispiel", "confirmed", "present"),
            ("Bernd Beispiel", "confirmed", "present"),
            ("Carla Beispiel", "confirmed", "absent"),
            ("Dora Beispiel", "confirmed", None),
            ("Emil Storniert", "cancelled", "present"),
        ]
    }
    db.session.commit()
    return event, ids


def test_issue_one_then_send_to_everyone_present_once(held_event, logged_in, mail, drain):
    from events.course_models import Certificate
    from kkp.auth.models import AuditEntry
    from tests.helpers import parse_mail, post_form, row_count, text_of

    event, ids = held_event
    page_url = f"/admin/events/{event.id}/certificates"
    attendance = logged_in.get(f"/admin/events/{event.id}/attendance").get_data(as_text=True)
    assert f'href="{page_url}"' in attendance

    page = logged_in.get(page_url).get_data(as_text=True)
    assert "Schulung Einbruchschutz" in page and 'class="cards"' in page
    assert "Emil" not in page
    assert page.count("Nicht als anwesend eingetragen") == 2  # Carla, Dora
    assert "An 2 berechtigte Personen ausstellen und senden" in page

    # one issued by its button, not mailed
    issue_url = f"{page_url}/{ids['Anna']}/issue"
    assert f'action="{issue_url}"' in page
    response = post_form(logged_in, issue_url, {}, page=page_url, follow_redirects=True)
    number = re.search(r"Bescheinigung (\d{4}-\d{4}-\w{7}) ausgestellt", response.text).group(1)
    anna = Certificate.query.filter_by(registration_id=ids["Anna"]).one()
    assert anna.number == number and anna.event_id == event.id and anna.sent_at is None
    # refused for someone absent, with the reason
    refused = post_form(
        logged_in, f"{page_url}/{ids['Carla']}/issue", {}, page=page_url, follow_redirects=True
    )
    assert "nicht als anwesend eingetragen" in refused.text
    # another date's registration is not found here
    other = f"/admin/events/{event.id + 1000}/certificates/{ids['Bernd']}/issue"
    assert post_form(logged_in, other, {}, page=page_url).status_code == 404

    # everyone present gets it, Anna the one already issued
    post_form(logged_in, page_url + "/send", {}, page=page_url)
    drain()
    received = {item["to"][0]: parse_mail(item["data"]) for item in mail.wait_for(2)}
    assert set(received) == {"anna@example.org", "bernd@example.org"}
    assert number in text_of(received["anna@example.org"])
    assert row_count(Certificate) == 2
    assert row_count(AuditEntry, AuditEntry.action == "certificate.issue") == 2
    assert row_count(AuditEntry, AuditEntry.action == "certificate.send_all") == 1

    # again: nobody gets a second mail
    mail.clear()
    post_form(logged_in, page_url + "/send", {}, page=page_url)
    drain()
    assert mail.messages == []
    page = logged_in.get(page_url).get_data(as_text=True)
    assert 'id="all-sent"' in page and page.count("/admin/events/certificates/") == 2


def test_a_date_of_a_course_leads_to_the_courses_certificates(ctx, make_event, logged_in):
    from events.course_models import Certificate
    from kkp.extensions import db
    from tests.events.course_factory import booking, course
    from tests.helpers import post_form

    series = course(make_event, dates=2)
    for event in series.events:
        event.starts_at -= timedelta(days=30)
        event.ends_at -= timedelta(days=30)
    anna = booking(series, "Anna Beispiel", attendance=("present", "present"))
    booking(series, "Bernd Beispiel", attendance=("present", "absent"))
    db.session.commit()
    first = series.events[0]
    course_url = f"/admin/events/series/{series.id}/certificates"

    attendance = logged_in.get(f"/admin/events/{first.id}/attendance").get_data(as_text=True)
    assert f'href="{course_url}"' in attendance
    page = logged_in.get(f"/admin/events/{first.id}/certificates").get_data(as_text=True)
    assert 'id="course-certificates"' in page and f'href="{course_url}"' in page
    assert 'id="send-certificates"' not in page

    page = logged_in.get(course_url).get_data(as_text=True)
    issue_buttons = re.findall(r"/certificates/(\d+)/issue", page)
    assert issue_buttons == [str(anna.id)]  # Bernd attended 1 of 2
    post_form(logged_in, f"{course_url}/{anna.id}/issue", {}, page=course_url)
    certificate = Certificate.query.filter_by(booking_id=anna.id).one()
    assert certificate.series_id == series.id and certificate.sent_at is None
