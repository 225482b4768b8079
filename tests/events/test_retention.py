"""Retention: which events are due, what anonymising keeps and removes, the nightly job."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import sqlalchemy as sa

from tests.events.conftest import register_confirmed


def _at(day: date, hour: int = 12) -> datetime:
    from kkp.i18n import BERLIN

    return datetime(day.year, day.month, day.day, hour, tzinfo=BERLIN)


def test_months_are_calendar_months():
    from events.retention import add_months

    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 5, 12), 12) == date(2027, 5, 12)


def test_due_after_the_last_date_plus_the_months(ctx, app, make_event):
    from events.retention import due_events
    from kkp.extensions import db

    event = make_event(days=3)
    own = make_event("Eigene Frist", days=3, retention_months=2)
    last = event.last_day
    db.session.commit()
    assert app.config["KKP_RETENTION_MONTHS"] == 12
    assert due_events(_at(date(last.year + 1, last.month, last.day))) == [own.id]
    next_day = date(last.year + 1, last.month, last.day) + timedelta(days=1)
    assert due_events(_at(next_day, 0)) == [event.id, own.id]


def test_a_series_date_waits_for_the_series_last_date(ctx, make_event):
    from events.models import EventSeries
    from events.retention import due_events
    from kkp.extensions import db

    series = EventSeries(slug="kurs", title="Kurs", retention_months=1)
    db.session.add(series)
    db.session.flush()
    first = make_event("Termin 1", days=3, series_id=series.id)
    second = make_event("Termin 2", days=80, series_id=series.id)
    assert due_events(_at(first.last_day + timedelta(days=40))) == []
    assert due_events(_at(second.last_day + timedelta(days=40))) == [first.id, second.id]


def _answers_and_consents(registration_id: int) -> None:
    from events.question_models import Answer, ConsentOffer, ConsentRecord, Question
    from kkp.extensions import db

    registration = db.session.get(__import__("events.models").models.Registration, registration_id)
    question = Question(event_id=registration.event_id, kind="short_text", label="Funktion")
    offer = ConsentOffer(event_id=registration.event_id, text="Fotos")
    db.session.add_all([question, offer])
    db.session.flush()
    db.session.add_all(
        [
            Answer(question_id=question.id, registration_id=registration_id, value="Leitung"),
            ConsentRecord(
                consent_id=offer.id,
                registration_id=registration_id,
                text="Fotos",
                source="form",
                ip="198.51.100.4",
            ),
        ]
    )
    db.session.flush()


def test_anonymising_keeps_the_counts_and_removes_the_person(ctx, make_event):
    from events.certificates import holder_check, name_matches
    from events.course_models import AttendanceScan, Certificate
    from events.models import Event, Registration
    from events.question_models import Answer, ConsentRecord
    from events.retention import anonymise_due, placeholder
    from kkp.auth.models import AuditEntry
    from kkp.extensions import db
    from kkp.mail.models import Delivery, OutboxMessage

    event = make_event(days=3)
    people = [
        register_confirmed(event.id, name=f"Person {i}", email=f"p{i}@example.org")[0]
        for i in range(3)
    ]
    people[0].attendance = "present"
    people[1].attendance = "absent"
    _answers_and_consents(people[0].id)
    certificate = Certificate(
        number="2026-0001-AB12",
        event_id=event.id,
        registration_id=people[0].id,
        holder_name="Person 0",
        holder_check=holder_check("Person 0"),
        title=event.title,
    )
    db.session.add(certificate)
    db.session.flush()
    # the confirmations and the certificate went out; another mail to the same address
    # stays as it is
    db.session.add_all(
        [
            Delivery(
                kind="certificate",
                recipient="p0@example.org",
                params={"certificate_id": certificate.id},
                message_id="<c1@kkp>",
                last_error="550 <p0@example.org> mailbox full",
            ),
            Delivery(kind="preferences_link", recipient="p0@example.org", params={}),
            # the local outbox kept the certificate's whole message
            OutboxMessage(
                envelope_from="b@kkp",
                recipients="p0@example.org",
                message_id="<c1@kkp>",
                raw=b"Person 0",
            ),
            # the signed sheet: names and signatures
            AttendanceScan(
                event_id=event.id,
                filename="liste.pdf",
                content_type="application/pdf",
                size=4,
                data=b"%PDF",
            ),
        ]
    )
    db.session.commit()
    ids, keys = [p.id for p in people], [p.key for p in people]
    later = _at(event.last_day + timedelta(days=400))

    assert anonymise_due(later) == [event.id]

    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(Registration).where(Registration.id.in_(ids)).order_by(Registration.id)
    ).all()
    assert [r.status for r in rows] == ["confirmed"] * 3
    assert [r.attendance for r in rows] == ["present", "absent", None]
    assert [r.email for r in rows] == [placeholder("", i) for i in ids]
    assert {r.name for r in rows} == {""} and {r.organisation for r in rows} == {""}
    assert not {r.key for r in rows} & set(keys)
    assert all(r.anonymised_at for r in rows)
    assert db.session.scalar(sa.select(sa.func.count(Answer.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ConsentRecord.id))) == 0
    certificate = db.session.scalar(sa.select(Certificate))
    assert (certificate.number, certificate.holder_name) == ("2026-0001-AB12", "")
    assert name_matches(certificate, "person 0") and not name_matches(certificate, "Person 1")
    recipients = db.session.execute(sa.select(Delivery.kind, Delivery.recipient)).all()
    assert sorted(set(recipients)) == [
        ("certificate", ""),
        ("event_confirmation", ""),
        ("preferences_link", "p0@example.org"),
        ("registration_request", ""),
    ]
    assert (
        db.session.scalar(sa.select(Delivery.last_error).where(Delivery.kind == "certificate"))
        is None
    )
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AttendanceScan.id))) == 0
    assert db.session.get(Event, event.id).anonymised_at is not None
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "event.anonymise"))
    assert entry.object_id == event.id
    assert entry.details["registrations"] == 3 and entry.details["answers"] == 1
    assert entry.details["scans"] == 1
    assert "Person" not in str(entry.details)

    # idempotent: nothing more, audited once
    assert anonymise_due(later) == []
    count = sa.select(sa.func.count()).where(AuditEntry.action == "event.anonymise")
    assert db.session.scalar(count.select_from(AuditEntry)) == 1


def test_the_nightly_job_runs_once_a_berlin_day(ctx, make_event):
    from events.models import Event
    from kkp.extensions import db
    from service.schedule import anonymise_nightly

    event = make_event(days=3)
    register_confirmed(event.id, name="Anna", email="anna@example.org")
    db.session.commit()
    day = event.last_day + timedelta(days=400)
    assert anonymise_nightly(_at(day, 1)) is None  # before the night's hour
    assert anonymise_nightly(_at(day, 3)) == [event.id]
    assert anonymise_nightly(_at(day, 4)) is None  # the day's run happened
    assert anonymise_nightly(_at(day + timedelta(days=1), 3)) == []
    assert db.session.get(Event, event.id).anonymised_at is not None


def test_the_command(app, ctx, make_event):
    event = make_event(days=-1000)
    result = app.test_cli_runner().invoke(args=["anonymise-due"])
    assert result.exit_code == 0, result.output
    assert f"1 events anonymised: {event.id}" in result.output


def test_the_editor_sets_the_months_and_sees_when_it_happened(logged_in, kinds, make_event):
    from events.retention import anonymise_event
    from kkp.extensions import db
    from tests.events.test_admin_events import form_data
    from tests.helpers import post_form

    logged_in.set_cookie("kkp_lang", "en")
    event = make_event(days=3)
    url = f"/admin/events/{event.id}/edit"
    assert 'name="retention_months"' in logged_in.get(url).get_data(as_text=True)
    data = form_data(kinds, title=event.title, retention_months="500")
    response = post_form(logged_in, url, data)
    assert response.status_code == 422
    assert "Keep data: 1 to 120 months" in response.get_data(as_text=True)
    response = post_form(logged_in, url, {**data, "retention_months": "6", "confirmed": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)
    db.session.expire_all()
    assert event.retention_months == 6
    anonymise_event(event.id)
    db.session.commit()
    page = logged_in.get(url).get_data(as_text=True)
    assert "data was anonymised on" in page


def test_a_course_booking_goes_with_the_series_last_date(ctx, make_event):
    from events.course_models import Certificate, CourseBooking
    from events.models import EventSeries, Registration
    from events.retention import anonymise_event, placeholder
    from kkp.extensions import db

    series = EventSeries(slug="kurs", title="Kurs", registration_scope="course")
    db.session.add(series)
    db.session.flush()
    dates = [make_event(f"Termin {n}", days=3 + 7 * n, series_id=series.id) for n in range(2)]
    booking = CourseBooking(
        series_id=series.id, email="anna@example.org", name="Anna", status="confirmed", key="k" * 32
    )
    db.session.add(booking)
    db.session.flush()
    for event in dates:
        db.session.add(
            Registration(
                event_id=event.id,
                email="anna@example.org",
                name="Anna",
                status="confirmed",
                key="r" * 32,
                booking_id=booking.id,
                attendance="present",
            )
        )
    db.session.add(
        Certificate(
            number="2026-0002-CD34",
            series_id=series.id,
            booking_id=booking.id,
            holder_name="Anna",
            holder_check="d" * 64,
            title="Kurs",
        )
    )
    db.session.commit()

    first = anonymise_event(dates[0].id)
    assert (first.registrations, first.bookings) == (1, 0)  # the course still runs
    assert booking.name == "Anna"
    second = anonymise_event(dates[1].id)
    assert (second.registrations, second.bookings, second.certificates) == (1, 1, 1)
    db.session.commit()
    db.session.expire_all()
    assert booking.email == placeholder("booking-", booking.id) and booking.name == ""
    assert [r.attendance for r in booking.registrations] == ["present", "present"]
    certificate = db.session.scalar(sa.select(Certificate))
    assert (certificate.number, certificate.holder_name) == ("2026-0002-CD34", "")
    assert certificate.holder_check == "d" * 64
    assert anonymise_event(dates[1].id) is None


def test_the_api_sets_and_shows_the_retention(api):
    from tests.events.test_api_events import new_event

    event = new_event(api, retention_months=6)
    assert (event["retention_months"], event["anonymised_at"]) == (6, None)
    kept = api("PATCH", f"/events/{event['id']}", json={"title": "Neu"}).get_json()
    assert kept["retention_months"] == 6
    refused = api("PATCH", f"/events/{event['id']}", json={"retention_months": 0})
    assert refused.status_code == 422
