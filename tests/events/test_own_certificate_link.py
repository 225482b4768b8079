"""The holder finds her certificate of attendance on her own page, reached by the signed
link of her mails: the booking page of a course booked as a whole, the registration
page of a date booked on its own; the link there downloads the PDF."""

from __future__ import annotations

import re

from tests.events.test_certificates import course, pdf_text  # noqa: F401 (a fixture)


def _download_from(client, page_url: str) -> tuple[str, bytes]:
    """Open her page, find the certificate link, follow it: the link's text and the PDF."""
    page = client.get(page_url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    found = re.search(r'<p class="certificate-link"><a href="([^"]+)" download>([^<]+)</a>', html)
    assert found, "no certificate link on the page"
    pdf = client.get(found.group(1))
    assert pdf.status_code == 200
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    return found.group(2), pdf.data


def test_the_booking_page_links_the_courses_certificate(course, client):  # noqa: F811
    from events import certificates
    from events.course_models import CourseBooking
    from events.course_notices import token_for
    from kkp.extensions import db

    booking_id = course["book"]("Anna Beispiel", "anna@example.org", ["present"] * 3)
    booking = db.session.get(CourseBooking, booking_id)
    page_url = f"/events/booking/{token_for(booking)}"
    assert 'class="certificate-link"' not in client.get(page_url).get_data(as_text=True)

    certificate = certificates.issue(booking_id)
    db.session.commit()
    text, data = _download_from(client, page_url)
    assert text == "Ihre Teilnahmebescheinigung herunterladen (PDF)"
    flat = " ".join(pdf_text(data).split())
    assert "Anna Beispiel" in flat and certificate.number in flat
    assert "Deeskalation im Alltag" in flat


def test_the_registration_page_links_the_dates_certificate(ctx, make_event, client):
    from events import certificates, registrations
    from kkp.extensions import db
    from tests.events.course_factory import person

    event = make_event("Schulung Einbruchschutz", days=-7)
    registration = person(event.id, "Bernd Beispiel", attendance="present")
    other = person(event.id, "Carla Beispiel", attendance="present")
    db.session.commit()
    page_url = f"/registrations/{registrations.token_for(registration)}"
    assert 'class="certificate-link"' not in client.get(page_url).get_data(as_text=True)

    certificate = certificates.issue_for_registration(registration.id)
    certificates.issue_for_registration(other.id)
    db.session.commit()
    assert certificate.event_id == event.id and certificate.series_id is None
    _text, data = _download_from(client, page_url)
    flat = " ".join(pdf_text(data).split())
    assert "Bernd Beispiel" in flat and certificate.number in flat
    assert "Schulung Einbruchschutz" in flat
    assert "Carla" not in flat  # her own, not another's
