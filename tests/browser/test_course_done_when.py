"""Issue 13's "Done when", in Chromium: the four-date course from the seeds' newsletter
run end to end. The editor (logged in through the page) sets it up as a whole course
with seats, a deadline and a required question and publishes it; two people book it on
a phone with their answers and confirm by the link in their mail, a third lands on the
waiting list. Time passes (the dates are moved into the past in the database); the
editor marks attendance on a 375 px page, issues and sends the certificates (the PDF
attachment read back with pypdf), exports an XLSX (read with openpyxl), and the nightly
retention job anonymises the course: names gone, counts kept, the certificate number
still verifies."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from events.models import Event, EventSeries
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from tests.browser.test_event_admin import EDIT, event_id, kinds, log_in, publish  # noqa: F401
from tests.browser.test_layout import overflow, widest
from tests.events.conftest import day_in
from tests.helpers import links, parse_mail, text_of

#: runs in make test's PostgreSQL pass (the SQLite pass has most other browser tests)
pytestmark = pytest.mark.once_in_postgresql

TITLE = "Fortbildung Kinderschutz im Quartier"
QUESTION = "Für welche Kommune sind Sie tätig?"
PEOPLE = {
    "anna@example.org": ("Anna Berger", "Stadt Weinsheim"),
    "bernd@example.org": ("Bernd Kunz", "Gemeinde Bachtal"),
    "cem@example.org": ("Cem Ay", "Landkreis Ost"),
}


def _fits(page) -> None:
    page.evaluate("() => document.fonts.ready")  # measured in the page's own font
    assert overflow(page) == 0, (page.url, widest(page))


def _mail_with(mail, address: str, path: str) -> str:
    """The newest link starting with `path` in a mail to `address`."""
    for item in reversed(mail.messages):
        if address in item["to"]:
            found = links(text_of(parse_mail(item["data"])), path)
            if found:
                return found[0]
    raise AssertionError(f"no mail to {address} with {path}")


def _set_up_the_course(page, kinds) -> tuple[int, list[int]]:  # noqa: F811
    page.goto("/admin/events/new")
    page.locator("#kind_id").select_option(str(kinds["fortbildung"]))
    page.locator("#title").fill(TITLE)
    page.locator("#summary").fill("Vier Termine, kostenfrei, begrenzte Plätze.")
    page.locator("#venue").fill("Rathaus, Saal 2")
    page.locator("#address").fill("Markt 1, 01067 Dresden")
    page.locator("#start_day").fill(day_in(20).isoformat())
    page.locator("#start_time").fill("09:00")
    page.locator("#end_time").fill("12:00")
    page.locator("#save").click()
    page.wait_for_url(EDIT)
    dates = [event_id(page)]
    publish(page)
    for days in (27, 34, 41):
        page.locator("#copy_day").fill(day_in(days).isoformat())
        page.locator("#add-date").click()
        page.wait_for_url(EDIT)
        dates.append(event_id(page))
        publish(page)
    db.session.expire_all()
    series_id = db.session.scalars(sa.select(EventSeries.id)).one()

    page.goto(f"/admin/events/series/{series_id}")
    page.locator("input[name=registration_scope][value=course]").check()
    page.locator("#capacity").fill("2")
    page.locator("#deadline_day").fill(day_in(15).isoformat())
    page.locator("#signer_name").fill("Dr. Petra Lang")
    page.locator("#signer_role").fill("Leiterin der Koordinierungsstelle")
    page.locator("#retention_months").fill("1")
    page.locator("main form button[type=submit]").last.click()
    expect(page.locator(".flash-success")).to_be_visible()

    page.goto(f"/admin/events/series/{series_id}/questions")
    page.locator("#label").fill(QUESTION)
    page.locator("#kind").select_option("short_text")
    page.locator("#required").check()
    page.get_by_role("button", name="Frage speichern").click()
    expect(page.get_by_text(QUESTION).first).to_be_visible()
    return series_id, dates


def _book(page, mail, drain, address: str, waiting: bool) -> None:
    name, town = PEOPLE[address]
    slug = db.session.scalar(sa.select(EventSeries.slug))
    page.goto(f"/events/series/{slug}")
    form = page.locator("#course-booking form")
    form.locator("#name").fill(name)
    form.locator("#email").fill(address)
    form.get_by_label(QUESTION).fill(town)
    form.locator("#consent").check()
    _fits(page)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/booked(#.*)?$"))
    drain()
    page.goto(_mail_with(mail, address, "/events/booking/confirm/"))
    page.locator("button[autofocus]").click()
    if waiting:
        expect(page.locator(".flash").first).to_contain_text("Warteliste")
    else:
        expect(page.locator(".flash-success")).to_be_visible()
    _fits(page)


def _mark(page, date_id: int, marks: dict[str, str]) -> None:
    page.goto(f"/admin/events/{date_id}/attendance")
    for name, mark in marks.items():
        row = page.locator(".attendance-row", has_text=name)
        button = row.locator(f"button[data-mark={mark}]")
        button.click()
        expect(button).to_have_attribute("aria-pressed", "true")
    _fits(page)


def test_the_four_date_course_end_to_end(page, editor, kinds, lists, mail, drain):  # noqa: F811
    log_in(page, editor)
    series_id, dates = _set_up_the_course(page, kinds)

    # -- announced and booked once, on a phone -------------------------------------------
    page.set_viewport_size({"width": 375, "height": 800})
    _book(page, mail, drain, "anna@example.org", waiting=False)
    _book(page, mail, drain, "bernd@example.org", waiting=False)
    _book(page, mail, drain, "cem@example.org", waiting=True)
    page.goto(f"/admin/events/series/{series_id}/participants")
    expect(page.locator("#confirmed-table tbody tr")).to_have_count(2)
    expect(page.locator("#waiting-table tbody tr")).to_have_count(1)
    expect(page.locator("#waiting-table")).to_contain_text("Cem Ay")

    # -- time passes: every date lies in the past ----------------------------------------
    shift = timedelta(days=50)
    db.session.expire_all()
    for event in db.session.scalars(sa.select(Event)):
        event.starts_at, event.ends_at = event.starts_at - shift, event.ends_at - shift
    db.session.commit()

    # -- attendance at the door, 375 px wide: Anna 3 of 4, Bernd 1 of 4 -----------------
    for n, date_id in enumerate(dates):
        _mark(
            page,
            date_id,
            {
                "Anna Berger": "absent" if n == 2 else "present",
                "Bernd Kunz": "present" if n == 0 else "absent",
            },
        )
    expect(page.locator("[data-count='present']")).to_have_text("1")

    # -- certificates: only Anna's 75 % earn one; Bernd's row says why ---------------------
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"/admin/events/series/{series_id}/certificates")
    bernd_row = page.locator("#certificates tbody tr", has_text="Bernd Kunz")
    expect(bernd_row).to_contain_text("1 von 4 Terminen besucht (25 %), nötig sind 75 %")
    page.locator("#send-certificates").click()
    page.locator("#send-dialog [data-dialog-confirm]").click()
    expect(page.locator("#all-sent")).to_be_visible()
    anna_row = page.locator("#certificates tbody tr", has_text="Anna Berger")
    number = anna_row.locator("a[download]").inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{4}-\w+", number), number
    expect(bernd_row.locator("a[download]")).to_have_count(0)

    drain()
    sent = [
        parse_mail(m["data"])
        for m in mail.messages
        if "anna@example.org" in m["to"] and any(parse_mail(m["data"]).iter_attachments())
    ]
    pdfs = [
        a.get_content()
        for msg in sent
        for a in msg.iter_attachments()
        if a.get_content_type() == "application/pdf"
    ]
    assert len(pdfs) == 1
    text = " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdfs[0])).pages).split()
    )
    attended = [db.session.get(Event, dates[n]).starts_at.astimezone(BERLIN) for n in (0, 1, 3)]
    days = [d.strftime("%d.%m.%Y") for d in attended]
    for expected in ("Anna Berger", TITLE, number, "Dr. Petra Lang", "09:00–12:00", *days):
        assert expected in text, (expected, text)
    missed = db.session.get(Event, dates[2]).starts_at.astimezone(BERLIN).strftime("%d.%m.%Y")
    assert missed not in text
    assert not any(
        a.get_content_type() == "application/pdf"
        for m in mail.messages
        for a in parse_mail(m["data"]).iter_attachments()
        if "bernd@example.org" in m["to"]
    )

    # -- export: an XLSX with the answers and the attendance -----------------------------
    page.goto(f"/admin/events/series/{series_id}/export")
    for box in page.locator("#export-form input[name=columns]").all():
        box.check()
    page.locator("input[name=export_format][value=xlsx]").check()
    with page.expect_download() as download:
        page.locator("#export-download").click()
    sheet = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    heading, body = rows[0], rows[1:]
    assert QUESTION in heading, heading
    by_name = {row[heading.index("Name")]: dict(zip(heading, row, strict=False)) for row in body}
    assert by_name["Anna Berger"][QUESTION] == "Stadt Weinsheim"
    assert by_name["Bernd Kunz"][QUESTION] == "Gemeinde Bachtal"
    assert by_name["Anna Berger"]["Besuchte Termine"] == "3 von 4"
    assert by_name["Bernd Kunz"]["Besuchte Termine"] == "1 von 4"
    days = [c for c in heading if re.fullmatch(r"\d\d\.\d\d\.\d{4}", str(c))]
    assert [by_name["Anna Berger"][c] for c in days] == (
        ["anwesend", "anwesend", "abwesend", "anwesend"]
    )

    # -- the retention period ends: the nightly job anonymises -------------------------
    from events.retention import anonymise_due

    assert sorted(anonymise_due(utcnow() + timedelta(days=70))) == sorted(dates)
    page.goto(f"/admin/events/series/{series_id}/participants")
    expect(page.locator("#confirmed-table tbody tr")).to_have_count(2)
    for address, (name, _town) in PEOPLE.items():
        expect(page.locator("main")).not_to_contain_text(name)
        expect(page.locator("main")).not_to_contain_text(address)
    page.goto(f"/admin/events/{dates[0]}/attendance")
    expect(page.locator("[data-count='present']")).to_have_text("2")
    expect(page.locator("main")).not_to_contain_text("Anna Berger")
    page.goto(f"/certificates/{number}")
    expect(page.locator("#certificate-valid")).to_contain_text(number)
    expect(page.locator("main")).to_contain_text(TITLE)
    expect(page.locator("main")).not_to_contain_text("Anna Berger")
