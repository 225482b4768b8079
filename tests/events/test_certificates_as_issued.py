"""A certificate is a document: every download prints what it printed when issued,
whatever the series' summary and signer or the office's letterhead became later; the
migration gives certificates issued before it what their PDF showed until then."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.events.test_certificates import course, pdf_text  # noqa: F401 (a fixture)

#: what the course's certificate prints when issued, and after the editors' changes
AS_ISSUED = (
    "Gesprächsführung, Konflikte erkennen, Rollenspiele",
    "Dr. Erika Muster",
    "Leiterin der Geschäftsstelle",
    "Präventionsrat Altstadt",
    "01067 Altstadt",
)
CHANGED = (
    "Gewaltprävention an Schulen",
    "Jens Neumann",
    "Referent für Prävention",
    "Präventionsrat Neustadt",
    "04109 Neustadt",
)


def _flat(data: bytes) -> str:
    return " ".join(pdf_text(data).split())


def test_a_later_signer_and_summary_leave_an_issued_certificate_as_it_was(course, client):  # noqa: F811
    from events import certificates
    from events.certificate_mail import document
    from events.models import EventSeries
    from events.series_settings import SeriesSettings, save_settings
    from kkp.extensions import db
    from newsletter.branding import save_branding

    save_branding(
        office_name="Präventionsrat Altstadt",
        postal_address="Markt 1\n01067 Altstadt",
        accent_colour="",
        logo=None,
        remove_logo=False,
    )
    issued = certificates.issue(course["book"]("Anna Beispiel", "a@example.org", ["present"] * 3))
    db.session.commit()
    series = db.session.get(EventSeries, course["series_id"])
    changed = dataclasses.replace(
        SeriesSettings.of(series),
        certificate_summary="Gewaltprävention an Schulen",
        signer_name="Jens Neumann",
        signer_role="Referent für Prävention",
    )
    save_settings(series, changed)
    save_branding(
        office_name="Präventionsrat Neustadt",
        postal_address="Ring 5\n04109 Neustadt",
        accent_colour="",
        logo=None,
        remove_logo=False,
    )
    db.session.commit()

    # the holder downloads it again by her link: as issued
    response = client.get(f"/events/certificate/{certificates.token_for(issued)}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    old = _flat(response.data)
    assert [text for text in AS_ISSUED if text not in old] == []
    for changed_text in ("Gewaltprävention", "Jens Neumann", "Referent", "Neustadt"):
        assert changed_text not in old

    fresh = certificates.issue(course["book"]("Bernd Beispiel", "b@example.org", ["present"] * 3))
    db.session.commit()
    new = _flat(document(fresh))
    assert [text for text in CHANGED if text not in new] == []
    assert "Dr. Erika Muster" not in new and "Altstadt" not in new


def test_a_single_events_certificate_keeps_its_organiser_and_summary(make_event):
    from events import certificates
    from events.certificate_mail import document
    from kkp.extensions import db
    from tests.events.conftest import register_confirmed

    event = make_event("Vortrag Einbruchschutz", days=3)
    event.summary, event.organizer_name = "Türen und Fenster sichern", "Petra Lange"
    registration, _status = register_confirmed(
        event.id, name="Anna Beispiel", email="a@example.org"
    )
    event.starts_at -= timedelta(days=10)
    event.ends_at -= timedelta(days=10)
    registration.attendance = "present"
    certificate = certificates.issue_for_registration(registration.id)
    event.summary, event.organizer_name = "Ein anderes Thema", "Jemand anderes"
    db.session.commit()
    text = _flat(document(certificate))
    assert "Türen und Fenster sichern" in text and "Petra Lange" in text
    assert "anderes" not in text


def test_anonymising_clears_the_holder_and_keeps_what_verifies_the_number(course, client):  # noqa: F811
    from events import certificates
    from events.course_models import CourseBooking
    from events.retention import anonymise_booking
    from kkp.extensions import db

    booking_id = course["book"]("Anna Beispiel", "a@example.org", ["present"] * 3)
    certificate = certificates.issue(booking_id)
    db.session.commit()
    anonymise_booking(db.session.get(CourseBooking, booking_id))
    db.session.commit()
    db.session.refresh(certificate)
    assert certificate.holder_name == "" and certificate.anonymised_at is not None
    assert certificate.holder_check and certificate.title == "Deeskalation im Alltag"
    assert certificate.signer_name == "Dr. Erika Muster" and certificate.summary
    page = client.get(f"/certificates/{certificate.number}")
    assert page.status_code == 200 and "Deeskalation im Alltag" in page.get_data(as_text=True)
    assert certificates.name_matches(certificate, "anna  beispiel")


@pytest.mark.sqlite_only
def test_the_migration_gives_issued_certificates_what_their_pdf_showed(
    tmp_path, redis_url, smtp_server, app
):
    """338d5693d2c0: from the series, else the single event; the office's settings."""
    from flask_migrate import upgrade

    from events.models import Event, EventKind, EventSeries
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config

    other = create_app(test_config(f"sqlite:///{tmp_path / 'old.db'}", redis_url, smtp_server.port))
    try:
        with other.app_context():
            upgrade(revision="b7c4e2a9d051")
            engine = sa.create_engine(other.config["SQLALCHEMY_DATABASE_URI"])
            with engine.begin() as conn:
                _old_rows(conn, EventKind, EventSeries, Event)
            upgrade()
            with engine.connect() as conn:
                rows = conn.execute(
                    sa.text(
                        "SELECT number, summary, signer_name, signer_role, office_name,"
                        " office_address FROM certificate ORDER BY number"
                    )
                ).all()
            engine.dispose()
    finally:
        init_broker(app, app.extensions["dramatiq"])  # actors are process-wide: bind them back
    office = ("Präventionsrat Altstadt", "Markt 1\n01067 Altstadt")
    assert [tuple(r) for r in rows] == [
        ("2026-0001-AAAAAAA", "Konflikte lösen", "Dr. Erika Muster", "Leiterin", *office),
        ("2026-0002-BBBBBBB", "Türen sichern", "Petra Lange", "", *office),
        ("2026-0003-CCCCCCC", "", "", "", *office),
    ]


def _old_rows(conn, kind, series, event) -> None:
    """A series' certificate, a single event's, and one whose course was deleted; the
    office's settings as the editors left them."""
    kind_id = conn.scalar(sa.select(sa.func.min(kind.__table__.c.id)))  # the migration's four
    conn.execute(
        series.__table__.insert(),
        {
            "id": 1,
            "slug": "konflikte",
            "title": "Konflikte",
            "certificate_summary": "Konflikte lösen",
            "signer_name": "Dr. Erika Muster",
            "signer_role": "Leiterin",
        },
    )
    conn.execute(
        event.__table__.insert(),
        {
            "id": 1,
            "slug": "tueren",
            "uid": "tueren@kkp.test",
            "kind_id": kind_id,
            "title": "Türen",
            "summary": "Türen sichern",
            "organizer_name": "Petra Lange",
            "starts_at": datetime(2026, 1, 1, 9, tzinfo=UTC),
            "ends_at": datetime(2026, 1, 1, 11, tzinfo=UTC),
        },
    )
    for number, series_id, event_id in (
        ("2026-0001-AAAAAAA", 1, None),
        ("2026-0002-BBBBBBB", None, 1),
        ("2026-0003-CCCCCCC", None, None),
    ):
        conn.execute(
            sa.text(
                "INSERT INTO certificate (number, series_id, event_id, holder_name,"
                " holder_check, title, dates, issued_at) VALUES (:n, :s, :e, 'Anna', 'x',"
                " 'Kurs', :d, '2026-01-02 10:00:00')"
            ),
            {"n": number, "s": series_id, "e": event_id, "d": json.dumps([])},
        )
    for key, value in (
        ("office_name", "Präventionsrat Altstadt"),
        ("postal_address", " Markt 1 \n\n01067 Altstadt"),
    ):
        conn.execute(
            sa.text(
                "INSERT INTO office_setting (key, value, updated_at)"
                " VALUES (:k, :v, '2026-01-01 00:00:00')"
            ),
            {"k": key, "v": value},
        )
