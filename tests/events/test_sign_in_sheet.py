"""The sign-in sheet PDF of a date, read back with pypdf: title, date, place, a row per
confirmed participant by name with the organisation, no addresses, hostile names
printed as they are, a second page with the header and "Seite x von y" when many
come; every page A4."""

from __future__ import annotations

import io

from pypdf import PdfReader

from events.models import Registration
from kkp.extensions import db
from tests.helpers import is_a4

HOSTILE = '<b>Eve</b> =HYPERLINK("x") **fett** {nb}'


def pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def add(event_id: int, name: str, email: str, organisation: str = "", status="confirmed"):
    db.session.add(
        Registration(
            event_id=event_id,
            name=name,
            email=email,
            organisation=organisation,
            status=status,
            key="k" * 32,
        )
    )


def test_the_sheet_of_a_date(logged_in, make_event):
    event = make_event("Kurs Prävention: Termin 2", days=5)
    add(event.id, "Zora Zimmer", "zora@example.org", "Landratsamt Nord")
    add(event.id, "Anna Berger", "anna@example.org", "Stadt Pirna")
    add(event.id, HOSTILE, "eve@example.org", "Gemeinde <script>")
    add(event.id, "Walter Warteliste", "walter@example.org", status="waiting")
    db.session.commit()

    response = logged_in.get(f"/admin/events/{event.id}/sign-in.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert is_a4(response.data)
    (text,) = pages(response.data)
    assert "Kurs Prävention: Termin 2" in text
    assert "Rathaus, Sitzungssaal, Markt 1, 01067 Dresden" in text
    assert "10:00" in text and "Uhr" in text
    assert "Seite 1 von 1" in text
    assert "Unterschrift" in text and "Organisation" in text
    assert text.index("Anna Berger") < text.index("Zora Zimmer")
    assert "Stadt Pirna" in text and "Landratsamt Nord" in text
    # printed as typed: no markup read, not even fpdf2's page-count alias
    assert f"1 {HOSTILE} Gemeinde <script>" in text.replace("\u200b", "")
    assert "Walter" not in text
    assert "@" not in text


def test_many_participants_take_two_pages_with_header_and_footer(logged_in, make_event):
    event = make_event("Netzwerktreffen Süd", days=5)
    for n in range(30):
        add(event.id, f"Person {n:02d}", f"p{n}@example.org", f"Amt {n:02d}")
    db.session.commit()

    data = logged_in.get(f"/admin/events/{event.id}/sign-in.pdf").data
    texts = pages(data)
    assert len(texts) == 2
    assert is_a4(data)  # both pages
    assert "Seite 1 von 2" in texts[0] and "Seite 2 von 2" in texts[1]
    for text in texts:
        # the page header (office, event, date) and the table's headings on every page
        assert "Netzwerktreffen Süd" in text
        assert "Unterschrift" in text and "Nr." in text
    assert "Person 00" in texts[0] and "Person 29" in texts[1]
