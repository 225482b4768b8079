"""Certificates of attendance: who earns one, issuing, the PDF, the mail with the PDF,
the editors' page, the holder's download, public verification and the API."""

from __future__ import annotations

import io
import re
from datetime import time, timedelta

import pytest
from pypdf import PdfReader

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
        make_event(
            f"Deeskalation {n}", days=-30 + 7 * n, series_id=series.id, end_time=time(11, 30)
        )
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
    from flask_babel import force_locale

    from events import certificates
    from events.errors import EventError

    full = course["book"]("Anna Beispiel", "anna@example.org", ["present"] * 3)
    two = course["book"]("Bernd Beispiel", "bernd@example.org", ["present", "absent", "present"])
    one = course["book"]("Carla Beispiel", "carla@example.org", ["present", "excused", None])

    certificate = certificates.issue(full)
    assert re.fullmatch(r"\d{4}-0001-[2-9A-HJKMNP-Z]{7}", certificate.number)
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


def test_two_sends_at_once_mail_once(course):
    """A double click, or an editor and the API at once: the second, which read the
    certificate before the first marked it sent, finds it done."""
    import sqlalchemy as sa

    from events import certificates
    from kkp.extensions import db
    from kkp.mail.models import Delivery

    certificate = certificates.issue(course["book"]("Anna", "anna@example.org", ["present"] * 3))
    db.session.commit()
    assert certificates.send(certificate, "anna@example.org")
    db.session.commit()
    db.session.refresh(certificate)
    db.session.expunge(certificate)  # the other request's copy, read before the first sent
    certificate.sent_at = None
    assert not certificates.send(certificate, "anna@example.org")
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 1


# -- the PDF --------------------------------------------------------------------------------


def test_the_pdf_shows_what_the_certificate_says(course):
    from events import certificates
    from events.certificate_mail import document
    from kkp.extensions import db
    from tests.helpers import is_a4

    certificate = certificates.issue(course["book"](HOSTILE, "zoe@example.org", ["present"] * 3))
    db.session.commit()
    data = document(certificate, "de")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert is_a4(data)
    text = pdf_text(data)
    flat = " ".join(text.split())
    assert "Teilnahmebescheinigung" in text
    assert HOSTILE in flat  # printed literally
    assert "Deeskalation im Alltag" in flat
    # every date was in the same place: printed once, above the dates
    assert "Veranstaltungsort: Rathaus, Sitzungssaal, Markt 1, 01067 Dresden" in flat
    assert "Gesprächsführung, Konflikte erkennen, Rollenspiele" in flat
    assert "Dr. Erika Muster" in flat and "Leiterin der Geschäftsstelle" in flat
    assert certificate.number in flat
    assert f"http://kkp.test/certificates/{certificate.number}" in flat
    assert flat.count("10:00–11:30") == 3
    assert "1,5" in flat and "2,0" in flat  # hours, units of each date
    assert "4,5 Stunden" in flat and "6,0 Unterrichtseinheiten" in flat


# -- the editors' page and sending to everyone ------------------------------------------


def test_send_to_everyone_eligible_once(course, logged_in, mail, drain):
    from events.course_models import Certificate
    from kkp.auth.models import AuditEntry
    from tests.helpers import links, parse_mail, post_form, row_count, text_of

    course["book"]("Anna Beispiel", "anna@example.org", ["present"] * 3)
    course["book"](HOSTILE, "zoe@example.org", ["present", "present", "present"], locale="en")
    course["book"]("Bernd Beispiel", "bernd@example.org", ["present", "absent", "present"])
    course["book"]("Dora Storniert", "dora@example.org", ["present"] * 3, status="cancelled")
    page_url = f"/admin/events/series/{course['series_id']}/certificates"
    send_url = page_url + "/send"

    page = logged_in.get(page_url).get_data(as_text=True)
    assert "2 von 3 Terminen besucht (66 %), nötig sind 75 %" in page
    assert "Dora" not in page
    assert 'data-confirm-form="send-form"' in page and 'id="send-dialog"' in page
    confirm = logged_in.get(send_url).get_data(as_text=True)
    assert "2 Personen" in confirm or "2 Teilnehmende" in confirm

    response = post_form(logged_in, send_url, {})
    assert response.status_code == 303
    drain()
    received = {item["to"][0]: parse_mail(item["data"]) for item in mail.wait_for(2)}
    assert set(received) == {"anna@example.org", "zoe@example.org"}
    for msg in received.values():
        (attachment,) = msg.iter_attachments()
        assert attachment.get_content_type() == "application/pdf"
        text = " ".join(pdf_text(attachment.get_content()).split())
        number = re.search(r"\d{4}-\d{4}-[A-Z0-9]{7}", text_of(msg)).group(0)
        assert number in text
        assert links(text_of(msg), "/certificates/") == [f"/certificates/{number}"]
    assert "Teilnahmebescheinigung" in received["anna@example.org"]["Subject"]
    filename = next(received["anna@example.org"].iter_attachments()).get_filename()
    assert re.fullmatch(r"teilnahmebescheinigung-\d{4}-0\d{3}-\w{7}\.pdf", filename)
    zoe = received["zoe@example.org"]
    assert "certificate of attendance" in zoe["Subject"]
    assert HOSTILE in " ".join(pdf_text(next(zoe.iter_attachments()).get_content()).split())
    assert row_count(Certificate) == 2
    assert row_count(AuditEntry, AuditEntry.action == "certificate.issue") == 2
    assert row_count(AuditEntry, AuditEntry.action == "certificate.send_all") == 1

    # again: nobody gets a second mail
    mail.clear()
    again = logged_in.get(send_url).get_data(as_text=True)
    assert "Ja, ausstellen und senden" not in again
    post_form(logged_in, send_url, {}, page=page_url)
    drain()
    assert mail.messages == []
    assert row_count(Certificate) == 2
    page = logged_in.get(page_url).get_data(as_text=True)
    assert page.count("/admin/events/certificates/") == 2
    assert 'id="all-sent"' in page and 'id="send-form"' not in page
    download = logged_in.get(re.search(r"/admin/events/certificates/\d+\.pdf", page).group(0))
    assert download.status_code == 200 and download.data.startswith(b"%PDF")


# -- the holder's download and the public check -------------------------------------------


def test_holder_downloads_by_signed_link(course, client, app):
    from events import certificates
    from kkp.extensions import db
    from kkp.tokens import TokenPurpose, make_token

    certificate = certificates.issue(
        course["book"]("Anna Beispiel", "a@example.org", ["present"] * 3)
    )
    db.session.commit()
    with app.test_request_context():
        html = app.jinja_env.get_template("events/_certificate_link.html").render(
            certificate=certificate
        )
    href = re.search(r'href="([^"]+)"', html).group(1)
    assert href.startswith("/events/certificate/") and href.endswith(".pdf")
    response = client.get(href)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert certificate.number in " ".join(pdf_text(response.data).split())

    forged = make_token(TokenPurpose.REGISTRATION, {"c": certificate.id, "n": certificate.number})
    assert client.get(f"/events/certificate/{forged}.pdf").status_code == 404
    assert client.get("/events/certificate/nonsense.pdf").status_code == 404
    # the editors' download needs a login
    assert client.get(f"/admin/events/certificates/{certificate.id}.pdf").status_code == 302


def test_public_check_of_number_and_name(course, client):
    from events import certificates
    from kkp.extensions import db
    from tests.helpers import post_form

    certificate = certificates.issue(course["book"](HOSTILE, "z@example.org", ["present"] * 3))
    db.session.commit()
    url = f"/certificates/{certificate.number}"

    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'id="certificate-valid"' in html and "Deeskalation im Alltag" in html
    assert "Zoë" not in html and "O&#39;Brien" not in html
    assert client.get(url.lower()).status_code == 200  # typed in lower case

    wrong = post_form(client, url, {"name": "Anna Beispiel"})
    assert 'id="name-result"' in wrong.get_data(as_text=True)
    assert "nicht auf diesen Namen" in wrong.get_data(as_text=True)
    # case and spacing do not matter; the name is never echoed from the database
    right = post_form(client, url, {"name": "  zoë <B>o'brien</B>   &  {{ 7*7 }} "})
    assert "wurde auf diesen Namen ausgestellt" in right.get_data(as_text=True)

    # still verifiable after the name went
    certificate.holder_name = ""
    db.session.commit()
    right = post_form(client, url, {"name": HOSTILE})
    assert "wurde auf diesen Namen ausgestellt" in right.get_data(as_text=True)

    unknown = client.get("/certificates/2026-9999-XXXX")
    assert unknown.status_code == 404
    assert 'id="certificate-unknown"' in unknown.get_data(as_text=True)
    assert client.post(url, data={"name": "x"}).status_code == 400  # no CSRF token


# -- the API -------------------------------------------------------------------------------


def test_api_issues_and_lists(course, api, mail, drain):
    from tests.helpers import parse_mail

    full = course["book"]("Anna Beispiel", "anna@example.org", ["present"] * 3)
    half = course["book"]("Bernd Beispiel", "bernd@example.org", ["present", None, None])

    issued = api("POST", f"/bookings/{full}/certificate", json={"send": True})
    assert issued.status_code == 200, issued.get_data(as_text=True)
    body = issued.get_json()
    assert body["booking_id"] == full and body["sent_at"]
    assert body["verify_url"] == f"http://kkp.test/certificates/{body['number']}"
    assert [d["units"] for d in body["dates"]] == [2.0, 2.0, 2.0]
    again = api("POST", f"/bookings/{full}/certificate")
    assert again.get_json()["number"] == body["number"]

    refused = api("POST", f"/bookings/{half}/certificate", json={})
    assert refused.status_code == 422
    assert "1 von 3 Terminen besucht (33 %)" in refused.get_json()["error"]["message"]
    assert api("POST", "/bookings/999/certificate").status_code == 404

    listed = api("GET", f"/series/{course['series_id']}/certificates").get_json()["items"]
    assert [c["number"] for c in listed] == [body["number"]]
    drain()
    (item,) = mail.wait_for(1)
    assert next(parse_mail(item["data"]).iter_attachments()).get_content().startswith(b"%PDF")


@pytest.mark.parametrize("locale", ["de", "en"])
def test_the_mail_matches_its_snapshot(course, locale):
    from events import certificates
    from events.certificate_mail import certificate_message
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from tests.mail_snapshots import assert_snapshot

    booking = course["book"]("Anna Beispiel", "anna@example.org", ["present"] * 3, locale=locale)
    certificate = certificates.issue(booking)
    certificate.number = "2026-0001-TEST"
    db.session.flush()
    delivery = Delivery(
        kind="certificate", recipient="anna@example.org", params={"certificate_id": certificate.id}
    )
    msg = certificate_message(delivery)
    assert [p.get_filename() for p in msg.iter_attachments()] == [
        "teilnahmebescheinigung-2026-0001-TEST.pdf"
        if locale == "de"
        else "certificate-2026-0001-TEST.pdf"
    ]
    assert_snapshot(f"certificate.{locale}", msg)


def test_a_single_event_without_series(make_event):
    from events import certificates
    from events.certificate_mail import document
    from events.errors import EventError
    from kkp.extensions import db
    from tests.events.conftest import register_confirmed
    from tests.helpers import is_a4

    event = make_event(
        "Vortrag Einbruchschutz", days=3, venue="Bürgerhaus Süd", address="Lindenweg 3, Pirna"
    )
    registration, _status = register_confirmed(
        event.id, name="Anna Beispiel", email="a@example.org"
    )
    db.session.commit()
    with pytest.raises(EventError):
        certificates.issue_for_registration(registration.id)  # not yet held
    event.starts_at -= timedelta(days=10)
    event.ends_at -= timedelta(days=10)
    registration.attendance = "present"
    certificate = certificates.issue_for_registration(registration.id)
    assert certificate.event_id == event.id and certificate.series_id is None
    assert certificate.dates[0]["minutes"] == 120 and certificate.dates[0]["units"] is None
    assert certificates.certificate_for_registration(registration.id) is certificate
    db.session.commit()
    data = document(certificate, "de")
    assert is_a4(data)
    flat = " ".join(pdf_text(data).split())
    assert "Anna Beispiel" in flat and "Vortrag Einbruchschutz" in flat
    assert "Veranstaltungsort: Bürgerhaus Süd, Lindenweg 3, Pirna" in flat


def test_the_pdf_shows_the_place_of_each_date_when_they_differ(course):
    from events import certificates
    from events.certificate_mail import document
    from events.models import EventSeries
    from kkp.extensions import db
    from tests.helpers import is_a4

    series = db.session.get(EventSeries, course["series_id"])
    series.events[0].venue, series.events[0].address = "Volkshochschule", "Am Markt 2, Meißen"
    db.session.commit()
    certificate = certificates.issue(course["book"]("Anna Beispiel", "a@x.org", ["present"] * 3))
    db.session.commit()
    data = document(certificate, "de")
    assert is_a4(data)
    flat = " ".join(pdf_text(data).split())
    assert "Veranstaltungsort:" not in flat  # a column instead
    assert "Veranstaltungsort" in flat
    assert flat.count("Volkshochschule, Am Markt 2, Meißen") == 1
    assert flat.count("Rathaus, Sitzungssaal, Markt 1, 01067 Dresden") == 2


def test_the_public_check_is_rate_limited(app, client):
    limit = int(app.config["KKP_PUBLIC_FORM_LIMIT"].split(" ")[0])
    answers = [client.get("/certificates/2026-0001-ABCD").status_code for _ in range(limit + 1)]
    assert answers[:limit] == [404] * limit and answers[-1] == 429


def test_the_letterhead_is_the_offices(course):
    from PIL import Image

    from events import certificates
    from events.certificate_mail import content_for, document
    from kkp.extensions import db
    from newsletter.branding import save_branding

    logo = io.BytesIO()
    Image.new("RGB", (300, 90), (11, 79, 138)).save(logo, "PNG")
    save_branding(
        office_name="Präventionsrat Musterstadt",
        postal_address="Markt 1\n01067 Musterstadt",
        accent_colour="",
        logo=logo.getvalue(),
        remove_logo=False,
    )
    certificate = certificates.issue(
        course["book"]("Anna Beispiel", "a@example.org", ["present"] * 3)
    )
    db.session.commit()
    content = content_for(certificate)
    assert content.logo == logo.getvalue()
    data = document(certificate)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1 and list(reader.pages[0].images)
    text = pdf_text(data)
    assert "Präventionsrat Musterstadt" in text and "01067 Musterstadt" in text
