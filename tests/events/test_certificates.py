"""Certificates of attendance: who earns one, issuing, the PDF, the mail with the PDF,
the editors' page, the holder's download, public verification and the API."""

from __future__ import annotations

import io
import re
from datetime import time
from email import message_from_bytes, policy

import pytest
from pypdf import PdfReader

from tests.helpers import post_form

HOSTILE = "Zoë <b>O'Brien</b> & {{ 7*7 }}"


@pytest.fixture
def course(ctx, make_event):
    """A whole-course series "Deeskalation im Alltag" with four dates (three past, one
    to come; a cancelled past date does not count), 90 minutes each, teaching units on;
    and a maker of bookings with the attendance of each past date."""
    from events.course_models import CourseBooking
    from events.models import EventSeries, Registration, RegistrationScope
    from events.operations import cancel_event
    from kkp.extensions import db

    series = EventSeries(
        slug="deeskalation",
        title="Deeskalation im Alltag",
        registration_scope=RegistrationScope.COURSE,
        certificate_share=75,
        teaching_units=True,
        certificate_summary="Gesprächsführung, Konflikte erkennen, Rollenspiele",
        signer_name="Dr. Erika Muster",
        signer_role="Leiterin der Geschäftsstelle",
    )
    db.session.add(series)
    db.session.commit()
    past = [
        make_event(f"Deeskalation {n}", days=-30 + 7 * n, series_id=series.id, end_time=time(11, 30))
        for n in range(3)
    ]
    dropped = make_event("Deeskalation ausgefallen", days=-5, series_id=series.id)
    cancel_event(dropped)
    make_event("Deeskalation 4", days=7, series_id=series.id)
    db.session.commit()

    def book(name: str, email: str, attendance: list[str | None], **fields) -> int:
        booking = CourseBooking(
            series_id=series.id,
            email=email,
            name=name,
            status=fields.pop("status", "confirmed"),
            key="k" * 32,
            **fields,
        )
        db.session.add(booking)
        db.session.flush()
        for event in series.events:
            marked = attendance[past.index(event)] if event in past else None
            db.session.add(
                Registration(
                    event_id=event.id,
                    email=email,
                    name=name,
                    status=booking.status,
                    key="r" * 32,
                    booking_id=booking.id,
                    attendance=marked,
                )
            )
        db.session.commit()
        return booking.id

    return {"series_id": series.id, "book": book}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


# -- eligibility, issuing ------------------------------------------------------------------


def test_eligibility_and_the_reason_of_a_refusal(course):
    from events import certificates
    from events.errors import EventError
    from flask_babel import force_locale

    full = course["book"]("Anna Beispiel", "anna@example.org", ["present"] * 3)
    two = course["book"]("Bernd Beispiel", "bernd@example.org", ["present", "absent", "present"])
    one = course["book"]("Carla Beispiel", "carla@example.org", ["present", "excused", None])

    certificate = certificates.issue(full)
    assert re.fullmatch(r"\d{4}-0001-[2-9A-HJKMNP-Z]{4}", certificate.number)
    assert certificate.holder_name == "Anna Beispiel"
    assert certificate.title == "Deeskalation im Alltag"
    assert [d["minutes"] for d in certificate.dates] == [90, 90, 90]
    assert [d["units"] for d in certificate.dates] == [2.0, 2.0, 2.0]
    assert certificates.issue(full).id == certificate.id  # idempotent

    with force_locale("de"), pytest.raises(EventError) as refused:
        certificates.issue(two)  # 2 of 3 = 66 %
    assert str(refused.value) == "2 von 3 Terminen besucht (66 %), nötig sind 75 %"
    with force_locale("en"), pytest.raises(EventError) as refused:
        certificates.issue(one)
    assert str(refused.value) == "1 of 3 dates attended (33 %), 75 % are needed"
    assert certificates.certificate_for(two) is None


def test_numbers_count_up_and_stay_unique(course):
    from events import certificates

    numbers = [
        certificates.issue(
            course["book"](f"Person {n}", f"p{n}@example.org", ["present"] * 3)
        ).number
        for n in range(3)
    ]
    assert [n.split("-")[1] for n in numbers] == ["0001", "0002", "0003"]
    assert len(set(numbers)) == 3


# -- the PDF --------------------------------------------------------------------------------


def test_the_pdf_shows_what_the_certificate_says(course):
    from events import certificates
    from events.certificate_mail import document
    from kkp.extensions import db

    certificate = certificates.issue(course["book"](HOSTILE, "zoe@example.org", ["present"] * 3))
    db.session.commit()
    data = document(certificate, "de")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    text = pdf_text(data)
    flat = " ".join(text.split())
    assert "Teilnahmebescheinigung" in text
    assert HOSTILE in flat  # printed literally
    assert "Deeskalation im Alltag" in flat
    assert "Gesprächsführung, Konflikte erkennen, Rollenspiele" in flat
    assert "Dr. Erika Muster" in flat and "Leiterin der Geschäftsstelle" in flat
    assert certificate.number in flat
    assert f"http://kkp.test/certificates/{certificate.number}" in flat
    assert flat.count("10:00–11:30") == 3
    assert "1,5" in flat and "2,0" in flat  # hours, units of each date
    assert "4,5 Stunden" in flat and "6,0 Unterrichtseinheiten" in flat
