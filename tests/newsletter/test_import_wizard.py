"""The import wizard step by step: upload, the first rows with a field per column and
the choice for people already subscribed, the job, the report and its download."""

from __future__ import annotations

import csv
import io
import re

import pytest
import sqlalchemy as sa
from flask import current_app

from kkp.extensions import db
from newsletter import import_batch, import_table, importer
from newsletter.models import ImportJob, Subscriber
from newsletter.operations import add_subscriber, suppress
from tests.helpers import csrf_token
from tests.newsletter.importing import finished, selected_fields, set_up, upload, upload_file

PEOPLE = (
    "E-Mail;Vorname;Nachname;Institution;Sprache;Notiz\r\n"
    "anna@example.org;Anna;Ahrens;Stadt Aachen;de;a\r\n"
    "ben@example.org;Ben;Bauer;Kreis Borken;en;b\r\n"
    "carla@example.org;Carla;Cordes;;;c\r\n"
    "dora@example.org;Dora;Dietz;;;d\r\n"
    "emil@example.org;Emil;Ernst;;;e\r\n"
    "franz@example.org;Franz;Fuchs;;;f\r\n"
)


def job() -> ImportJob:
    db.session.expire_all()
    return db.session.scalar(sa.select(ImportJob))


def person(email: str) -> Subscriber | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Subscriber).where(Subscriber.email == email))


def test_upload_keeps_the_file_and_shows_the_first_rows_with_suggested_fields(logged_in, lists):
    response = upload_file(logged_in, PEOPLE.encode("utf-8-sig"), filename="leute.csv")
    assert response.status_code == 303
    url = response.headers["Location"]
    stored = job()
    assert url == f"/admin/import/{stored.id}/setup"
    assert (stored.status, stored.filename, stored.total_rows) == ("uploaded", "leute.csv", 6)
    assert stored.data == PEOPLE.encode("utf-8-sig")
    # nothing runs before the editor has chosen; the job page leads back to the choices
    assert logged_in.get(f"/admin/import/{stored.id}").headers["Location"] == url

    html = logged_in.get(url).get_data(as_text=True)
    assert "Welche Spalte enthält was?" in html
    assert "<td>Kreis Borken</td>" in html and "<td>emil@example.org</td>" in html
    assert "franz@example.org" not in html  # the first five rows only
    assert selected_fields(html) == {
        "columns-0": "email",
        "columns-1": "first_name",
        "columns-2": "last_name",
        "columns-3": "organisation",
        "columns-4": "language",
        "columns-5": "",
    }
    assert '<option value="">ignorieren</option>' in html
    assert "style=" not in html and "<script>" not in html
    assert '<link rel="stylesheet" href="/static/import.css">' in html


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Die Datei ist leer."),
        (b"  \r\n", "Die Datei ist leer."),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "Excel-Datei"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 32)) * 200, "Binärdaten"),
        (b"E-Mail;Name\r\n;\r\n", "keine Personen"),
    ],
)
def test_unusable_uploads_are_refused_in_german(logged_in, lists, content, message):
    response = upload_file(logged_in, content)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="file-error"' in html and 'type="file"' in html
    assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_no_file_chosen(logged_in, lists):
    page = logged_in.get("/admin/import").get_data(as_text=True)
    response = logged_in.post("/admin/import", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Datei aus." in response.get_data(as_text=True)


def test_a_latin_1_file_is_read(logged_in, lists, drain):
    content = "E-Mail;Name\r\nguenter@example.org;Günter Öztürk\r\n".encode("latin-1")
    response = upload(logged_in, content, lists=[lists["kkp-kompakt"]], evidence="Liste")
    finished(logged_in, response, drain)
    assert person("guenter@example.org").name == "Günter Öztürk"


def _setup_url(client) -> str:
    return upload_file(client, PEOPLE.encode()).headers["Location"]


def test_no_address_column_and_doubled_fields_are_named_at_once_and_input_is_kept(logged_in, lists):
    url = _setup_url(logged_in)
    chosen = ["name", "organisation", "", "organisation", "language", "language"]
    response = set_up(
        logged_in,
        url,
        lists=[lists["fortbildungen"]],
        evidence="Fachtag 2026",
        existing="update",
        columns=chosen,
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Bitte wählen Sie die Spalte mit den E-Mail-Adressen." in html
    assert "„Organisation“ ist für mehr als eine Spalte gewählt" in html
    assert "„Sprache“ ist für mehr als eine Spalte gewählt" in html
    assert selected_fields(html) == {f"columns-{i}": f for i, f in enumerate(chosen)}
    assert "Fachtag 2026" in html
    assert _is_checked(html, "lists", lists["fortbildungen"])
    assert not _is_checked(html, "lists", lists["kkp-kompakt"])
    assert _is_checked(html, "existing", "update")
    assert job().status == "uploaded"


def _is_checked(html: str, name: str, value) -> bool:
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and f'value="{value}"' in tag:
            return "checked" in tag
    return False


def test_full_name_and_first_name_together_are_refused(logged_in, lists):
    url = _setup_url(logged_in)
    response = set_up(
        logged_in,
        url,
        lists=[lists["kkp-kompakt"]],
        columns=["email", "first_name", "name", "", "", ""],
    )
    assert response.status_code == 400
    assert "entweder eine Spalte mit dem vollständigen Namen" in response.get_data(as_text=True)


def test_lists_are_required_and_an_unknown_policy_is_refused(logged_in, lists):
    url = _setup_url(logged_in)
    response = set_up(logged_in, url, lists=[], existing="delete-everyone")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="lists-error"' in html and 'id="existing-error"' in html
    assert job().status == "uploaded"


def test_a_forged_column_field_is_refused(logged_in, lists):
    url = _setup_url(logged_in)
    response = set_up(
        logged_in, url, lists=[lists["kkp-kompakt"]], columns=["email", "password", "", "", "", ""]
    )
    assert response.status_code == 400
    assert "Bitte wählen Sie für jede Spalte ein Feld." in response.get_data(as_text=True)


def test_columns_chosen_by_hand_and_ignored_columns(logged_in, lists, drain):
    content = (
        b"Adresse;Wer;Wo\r\n"  # no name the import knows by itself
        b"hanna@example.org;Hanna Hertz;Amt Hamm\r\n"
    )
    response = upload_file(logged_in, content)
    url = response.headers["Location"]
    html = logged_in.get(url).get_data(as_text=True)
    assert selected_fields(html) == {"columns-0": "", "columns-1": "", "columns-2": ""}
    response = set_up(
        logged_in,
        url,
        lists=[lists["kkp-kompakt"]],
        evidence="Liste",
        columns=["email", "name", ""],
    )
    finished(logged_in, response, drain)
    hanna = person("hanna@example.org")
    assert (hanna.name, hanna.organisation) == ("Hanna Hertz", "")


def test_the_whole_wizard_with_languages_and_the_report(logged_in, lists, drain, mail):
    content = PEOPLE + "gustav@example.org;Gustav;;;klingonisch;g\r\nkaputt;K;;;;\r\n"
    response = upload(logged_in, content.encode(), lists=[lists["kkp-kompakt"]], evidence="Liste")
    url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["updated"], progress["skipped"]) == (6, 0, 0)
    assert progress["rejected"] == 2
    ben = person("ben@example.org")
    assert (ben.name, ben.organisation, ben.locale) == ("Ben Bauer", "Kreis Borken", "en")
    assert person("carla@example.org").locale == "de"

    html = logged_in.get(url).get_data(as_text=True)
    assert "Abgelehnte Zeilen: 2" in html
    assert 'aria-current="step"' in html

    download = logged_in.get(url + "/rejected.csv")
    assert download.mimetype == "text/csv"
    assert "attachment" in download.headers["Content-Disposition"]
    raw = download.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with the BOM
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Zeile", "Grund"]
    assert rows[1][0] == "8" and "Unbekannte Sprache" in rows[1][1]
    assert rows[2][0] == "9" and "Keine gültige E-Mail-Adresse" in rows[2][1]
    assert len(rows) == 3


def _known(lists) -> None:
    add_subscriber(
        email="anna@example.org",
        name="Anna Alt",
        organisation="Altes Amt",
        list_ids=[lists["intern"]],
        consent_evidence="Lenkungsgruppe",
    )
    suppress("ben@example.org", "unsubscribed")
    db.session.commit()


def _lists_of(email: str) -> list[str]:
    return sorted(s.mailing_list.slug for s in person(email).subscriptions)


@pytest.mark.parametrize(
    "existing, name, organisation, locale, lists_after, counts",
    [
        ("skip", "Anna Alt", "Altes Amt", "de", ["intern"], (4, 0, 1)),
        ("update", "Anna Ahrens", "Stadt Aachen", "de", ["intern"], (4, 1, 0)),
        ("add_lists", "Anna Alt", "Altes Amt", "de", ["fortbildungen", "intern"], (4, 1, 0)),
    ],
)
def test_what_happens_to_people_already_subscribed(
    logged_in, lists, drain, mail, existing, name, organisation, locale, lists_after, counts
):
    _known(lists)
    response = upload(
        logged_in,
        PEOPLE.encode(),
        lists=[lists["fortbildungen"]],
        evidence="Fachtag",
        existing=existing,
    )
    url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["updated"], progress["skipped"]) == counts
    assert progress["rejected"] == 1  # Ben unsubscribed: his choice outranks the file
    anna = person("anna@example.org")
    assert (anna.name, anna.organisation, anna.locale) == (name, organisation, locale)
    assert _lists_of("anna@example.org") == lists_after
    assert person("ben@example.org") is None
    html = logged_in.get(url).get_data(as_text=True)
    assert "Abgelehnte Zeilen: 1" in html


def test_updating_never_brings_back_a_suppressed_address(logged_in, lists, drain, mail):
    """An address that left everything stays suppressed, whatever the import is told."""
    add_subscriber(
        email="ben@example.org", name="Ben", list_ids=[lists["intern"]], consent_evidence="X"
    )
    db.session.commit()
    suppress("ben@example.org", "unsubscribed")
    db.session.commit()
    for existing in ("update", "add_lists"):
        response = upload(
            logged_in,
            PEOPLE.encode(),
            lists=[lists["fortbildungen"]],
            evidence="Fachtag",
            existing=existing,
        )
        finished(logged_in, response, drain)
        ben = person("ben@example.org")
        assert ben is None or (ben.name == "Ben" and "fortbildungen" not in _lists_of(ben.email))


def test_a_started_job_is_not_started_twice(logged_in, lists, drain):
    url = _setup_url(logged_in)
    page = logged_in.get(url).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        **selected_fields(page),
        "existing": "add_lists",
        "lists": [lists["kkp-kompakt"]],
        "consent_evidence": "X",
    }
    first = logged_in.post(url, data=data)
    assert first.status_code == 303
    again = logged_in.post(url, data=data)  # the back button, then "start" again
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert logged_in.get(url).status_code == 303
    finished(logged_in, first, drain)
    assert job().imported == 6


def test_without_javascript_the_progress_page_has_a_refresh_link(logged_in, lists):
    response = upload(logged_in, PEOPLE.encode(), lists=[lists["kkp-kompakt"]])
    html = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert '<progress id="import-bar"' in html
    assert f'<a href="{response.headers["Location"]}" id="import-refresh">Aktualisieren</a>' in html


def test_the_job_commits_once_per_batch(ctx, lists, editor, monkeypatch):
    """Bounded work per transaction: a small batch size shows the steps."""
    content = "Mail;Name\r\n" + "".join(f"p{i}@example.org;P {i}\r\n" for i in range(7))
    pending = ImportJob(
        filename="x.csv",
        data=content.encode(),
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Liste",
        editor_id=editor["id"],
        column_fields=["email", "name"],
        existing="add_lists",
    )
    db.session.add(pending)
    db.session.commit()
    monkeypatch.setitem(current_app.config, "KKP_IMPORT_BATCH_SIZE", 3)
    seen = []
    real = import_batch.sort_batch

    def watching(people):
        with db.engine.connect() as other:  # what the progress page sees meanwhile
            seen.append(other.scalar(sa.select(ImportJob.processed_rows)))
        return real(people)

    monkeypatch.setattr(import_batch, "sort_batch", watching)
    importer.run_import_job(pending.id)
    assert seen == [0, 3, 6]
    done = job()
    assert (done.status, done.processed_rows, done.imported, done.data) == ("done", 7, 7, None)


def test_past_imports_are_searched_sorted_and_paged(logged_in, monkeypatch):
    monkeypatch.setattr(import_table, "PAGE_SIZE", 2)
    logged_in.set_cookie("kkp_lang", "en")
    for filename, status, imported, rejected in [
        ("adressen.csv", "done", 5, 2),
        ("Bestand.csv", "failed", 0, 0),
        ("cluster.csv", "done", 9, 1),
    ]:
        db.session.add(
            ImportJob(
                filename=filename,
                status=status,
                imported=imported,
                rejected=[{"row": n + 2, "reason": "x"} for n in range(rejected)],
            )
        )
    db.session.commit()

    def table(address: str) -> str:
        page = logged_in.get(address).get_data(as_text=True)
        return page.split('id="result-count"')[1]

    page = table("/admin/import?q=best")
    assert "1 import." in page and "Bestand.csv" in page and "adressen.csv" not in page
    page = table("/admin/import?sort=file&dir=asc")
    assert page.index("adressen.csv") < page.index("Bestand.csv") and "cluster" not in page
    assert 'aria-sort="ascending"' in page
    assert 'href="/admin/import?sort=file&amp;dir=desc#imports"' in page
    assert 'rel="next" href="/admin/import?page=2&amp;sort=file&amp;dir=asc"' in page
    page = table("/admin/import?sort=file&dir=asc&page=2")
    assert "cluster.csv" in page and "adressen" not in page and "Page 2 of 2" in page
    page = table("/admin/import?sort=imported&dir=desc")
    assert page.index("cluster.csv") < page.index("adressen.csv") and "Bestand" not in page
    assert 'aria-sort="descending"' in page
    page = table("/admin/import?sort=rejected&dir=desc")  # counted in the database
    assert page.index("adressen.csv") < page.index("cluster.csv") and "Bestand" not in page
    assert "<td>2</td></tr>" in page
    page = table("/admin/import?sort=status&dir=asc&q=csv")
    assert "adressen.csv" in page and "cluster.csv" in page  # "done" before "failed"
    assert "Bestand" not in page
    assert "q=csv" in page.split('rel="next"')[1].split(">")[0]  # the search kept
    # the newest first without a choice; nonsense in the address is ignored
    response = logged_in.get("/admin/import?sort=nonsense&dir=up&page=x&q=%00")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert page.index("cluster.csv") < page.index("Bestand.csv") and "aria-sort" not in page
    assert "No imports match." in table("/admin/import?q=zzz")
