"""The import wizard in Chromium: a small file through every step to the report, on a
phone's width and at 1280 px, with axe-core on each page; the column step with an
error keeps what was chosen."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kkp.extensions import db
from newsletter.operations import add_subscriber, suppress
from tests.browser.conftest import assert_accessible
from tests.browser.test_admin_pages import log_in

CONTENT = (
    "Adresse;Vorname;Nachname;Institution;Bemerkung mit einem sehr langen Spaltennamen\r\n"
    "anna@example.org;Anna;Ahrens;Stadt Aachen;eine lange Bemerkung, die nicht passt\r\n"
    "ben@example.org;Ben;Bauer;Kreis Borken;\r\n"
    "weg@example.org;Weg;Gegangen;;\r\n"
    "kaputt;K;;;\r\n"
)


def fits(page, width: int) -> None:
    """No sideways scrolling of the page itself at `width` pixels."""
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width, page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
            .map(e => e.tagName + '.' + e.className).slice(0, 8).join(' | ')"""
    )


@pytest.mark.parametrize("width", [375, 1280])
def test_the_wizard_from_upload_to_report(page, editor, lists, drain, tmp_path, width):
    add_subscriber(
        email="ben@example.org",
        name="Ben Alt",
        list_ids=[lists["intern"]],
        consent_evidence="Lenkungsgruppe",
    )
    suppress("weg@example.org", "unsubscribed")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 800})
    log_in(page, editor)
    page.goto("/admin/import")
    assert_accessible(page)
    fits(page, width)
    csv_file = tmp_path / "netzwerk.csv"
    csv_file.write_text(CONTENT, encoding="utf-8-sig")
    page.get_by_label("CSV-Datei").set_input_files(str(csv_file))
    page.get_by_role("button", name="Hochladen und erste Zeilen zeigen").click()

    # step 2: the first rows, a select per column
    page.wait_for_url(re.compile(r"/admin/import/\d+/setup$"))
    expect(page.locator("#import-preview")).to_contain_text("Kreis Borken")
    expect(page.get_by_label("Vorname")).to_have_value("first_name")
    expect(page.get_by_label("Institution")).to_have_value("organisation")
    address = page.get_by_label("Adresse")
    expect(address).to_have_value("")  # not a name the import knows by itself
    assert_accessible(page)
    fits(page, width)
    page.get_by_label("Fortbildungen").check()
    page.get_by_role("button", name="Import starten").click()
    expect(page.locator("#columns-error")).to_contain_text(
        "Bitte wählen Sie die Spalte mit den E-Mail-Adressen."
    )
    expect(page.get_by_label("Fortbildungen")).to_be_checked()  # kept
    assert_accessible(page)

    page.get_by_label("Adresse").select_option("email")
    page.get_by_label("Name, Organisation und Sprache aus der Datei übernehmen").check()
    page.get_by_label("Nachweis der Einwilligung (optional)").fill("Teilnehmerliste Fachtag")
    page.get_by_role("button", name="Import starten").click()

    # step 3: progress (moved on by import.js), then the report
    page.wait_for_url(re.compile(r"/admin/import/\d+$"))
    drain()
    expect(page.locator("#import-result")).to_be_visible(timeout=30_000)
    result = page.locator("#import-result")
    expect(result).to_contain_text("Neue Abonnent")
    expect(result).to_contain_text("aktualisiert: 1")
    expect(result).to_contain_text("Abgelehnte Zeilen: 2")
    expect(page.locator("#rejected tbody tr")).to_have_count(2)
    assert_accessible(page)
    fits(page, width)
    with page.expect_download() as download:
        page.get_by_role("link", name="Liste als CSV-Datei herunterladen").click()
    text = download.value.path().read_bytes().decode("utf-8-sig")
    assert text.startswith("Zeile;Grund\r\n")
