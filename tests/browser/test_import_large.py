"""The import wizard in Chromium with a file of 100,000 rows: the upload shows its first
rows at once, the columns are recognised, the progress bar moves while the worker
imports in the background, and the report counts every row, the broken ones with their
row numbers in the download."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from kkp.extensions import db
from newsletter.models import Subscriber
from tests.browser.conftest import assert_accessible
from tests.browser.test_admin_pages import log_in

#: runs in make test's PostgreSQL pass (the SQLite pass has most other browser tests)
pytestmark = pytest.mark.once_in_postgresql

ROWS = 100_000
#: one in a thousand rows has no usable address
BROKEN_EVERY = 1_000


def big_file(path) -> None:
    lines = ["E-Mail;Vorname;Nachname;Organisation"]
    for n in range(1, ROWS + 1):
        address = "kaputt" if n % BROKEN_EVERY == 0 else f"person{n}@netzwerk{n % 97}.example.org"
        lines.append(f"{address};Vorname{n};Nachname{n};Kommune {n % 400}")
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8-sig")


def test_a_file_of_100000_rows_through_the_wizard(page, editor, lists, drain, tmp_path):
    csv_file = tmp_path / "netzwerk-gross.csv"
    big_file(csv_file)
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, editor)
    page.goto("/admin/import")
    page.get_by_label("CSV-Datei").set_input_files(str(csv_file))
    page.get_by_role("button", name="Hochladen und erste Zeilen zeigen").click()

    page.wait_for_url(re.compile(r"/admin/import/\d+/setup$"))
    expect(page.locator("#import-preview")).to_contain_text("person1@netzwerk1.example.org")
    expect(page.get_by_label("E-Mail wird zu")).to_have_value("email")
    expect(page.get_by_label("Organisation wird zu")).to_have_value("organisation")
    page.get_by_label("Fortbildungen").check()
    page.get_by_label("Nachweis der Einwilligung (optional)").fill("Teilnehmerlisten 2019-2026")
    page.get_by_role("button", name="Import starten").click()

    page.wait_for_url(re.compile(r"/admin/import/\d+$"))
    bar = page.locator("#import-bar")
    expect(bar).to_have_attribute("max", str(ROWS))
    assert_accessible(page)
    drain(timeout=600)
    result = page.locator("#import-result")
    expect(result).to_be_visible(timeout=30_000)
    broken = ROWS // BROKEN_EVERY
    expect(result).to_contain_text(f"Neue Abonnent/innen: {ROWS - broken:,}".replace(",", "."))
    expect(result).to_contain_text(f"Abgelehnte Zeilen: {broken}")
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Liste als CSV-Datei herunterladen").click()
    lines = download.value.path().read_bytes().decode("utf-8-sig").splitlines()
    assert len(lines) == broken + 1
    assert lines[1].startswith(f"{BROKEN_EVERY + 1};")  # the header is row 1
    stored = db.session.scalar(sa.select(sa.func.count(Subscriber.id)))
    assert stored == ROWS - broken
