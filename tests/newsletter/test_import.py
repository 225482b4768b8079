"""CSV import end to end: upload through HTTP, the job through Redis and the real
Dramatiq worker, confirmation mail through the real SMTP server."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from flask import current_app

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from newsletter import csvfile, import_batch, importer
from newsletter.models import ConsentEvent, ImportJob, Subscriber, Subscription
from newsletter.operations import add_subscriber, subscriber_token, suppress
from tests.helpers import parse_mail
from tests.newsletter.importing import finished, upload

MB = 1024 * 1024


def job() -> ImportJob:
    db.session.expire_all()
    return db.session.scalar(sa.select(ImportJob))


def rejected(job: ImportJob) -> dict[int, str]:
    return {entry["row"]: entry["code"] for entry in job.rejected}


@pytest.fixture
def english(logged_in):
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def test_utf8_with_bom_and_semicolons_with_evidence(logged_in, lists, mail, drain):
    add_subscriber(
        email="bekannt@example.org",
        name="Bekannt",
        list_ids=[lists["intern"]],
        consent_evidence="Lenkungsgruppe",
    )
    db.session.commit()
    content = (
        "\ufeffE-Mail;Name;Organisation\r\n"
        "lena@example.org;Lena Groß;Präventionsrat Süd\r\n"
        "Bekannt@Example.org;;Stadt Überlingen\r\n"
    ).encode()
    response = upload(
        logged_in,
        content,
        lists=[lists["kkp-kompakt"], lists["fortbildungen"]],
        evidence="Teilnehmerliste Fachtag 2026",
    )
    url, progress = finished(logged_in, response, drain)
    assert (
        progress["status"],
        progress["imported"],
        progress["updated"],
        progress["rejected"],
    ) == ("done", 1, 1, 0)
    assert progress["processed_rows"] == progress["total_rows"] == 2
    assert mail.messages == []  # consent documented: nobody gets a confirmation mail

    lena = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == "lena@example.org"))
    assert (lena.name, lena.organisation, lena.status, lena.source) == (
        "Lena Groß",
        "Präventionsrat Süd",
        "confirmed",
        "import",
    )
    assert {s.status for s in lena.subscriptions} == {"confirmed"}
    [event] = lena.consent_events
    assert (event.action, event.source, event.details["evidence"]) == (
        "added",
        "import",
        "Teilnehmerliste Fachtag 2026",
    )
    known = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.email == "bekannt@example.org")
    )
    # she keeps what she gave, even an empty field; the lists are added
    assert (known.name, known.organisation) == ("Bekannt", "")
    assert len(known.subscriptions) == 3

    done = job()
    assert done.status == "done" and done.finished_at is not None and done.data is None
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["import.create", "import.finish"]
    html = logged_in.get(url).get_data(as_text=True)
    assert 'id="import-result"' in html and "<progress" not in html


def test_windows_1252_with_commas_and_first_and_last_names(logged_in, lists, mail, drain):
    content = (
        "Vorname,Nachname,Behörde,E-Mail-Adresse,Telefon\r\n"
        "Jürgen,Weiß,Ordnungsamt Gößnitz,juergen.weiss@example.org,0341 123\r\n"
        'Änne,Möller,"Polizei, Revier Süd",aenne@example.org,\r\n'
    ).encode("cp1252")
    response = upload(logged_in, content, lists=[lists["netzwerktreffen"]])
    _url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["rejected"]) == (2, 0)
    people = {s.email: s for s in db.session.scalars(sa.select(Subscriber))}
    assert people["juergen.weiss@example.org"].name == "Jürgen Weiß"
    assert people["juergen.weiss@example.org"].organisation == "Ordnungsamt Gößnitz"
    assert people["aenne@example.org"].name == "Änne Möller"
    assert people["aenne@example.org"].organisation == "Polizei, Revier Süd"
    assert {p.status for p in people.values()} == {"pending"}
    # Without consent evidence every person gets the confirmation mail.
    received = mail.wait_for(2)
    assert sorted(m["to"][0] for m in received) == sorted(people)
    assert (
        "Netzwerktreffen"
        in parse_mail(received[0]["data"]).get_body(preferencelist=("plain",)).get_content()
    )


def hostile_file() -> bytes:
    rows = [
        "E-Mail;Name;Organisation",  # 1
        "anna@example.org;Anna Ärger;Stadt Köln",  # 2 imported
        "bernd@example.org;Bernd \x01\x02\x7f;Amt",  # 3 control characters
        'carla@example.org;"=HYPERLINK(""http://böse.example"";""Klick"")";Jugendamt Löbau',  # 4
        "dora@example.org;" + "D" * 5000 + ";Amt",  # 5 too long
        'emil@example.org;"Emil\r\nZweizeilig";Amt',  # 6 line break in a field
        "frieda@example.org;Frieda Weiß;Schulamt Größenwahn",  # 7 imported
        "ANNA@example.org;Anna Doppelt;Amt",  # 8 duplicate of row 2
        "kein-at-zeichen;Niemand;Amt",  # 9 invalid
        "gustav@example;Gustav;Amt",  # 10 invalid
        ";Ohne Adresse;Amt",  # 11 no address
        "hans@example.org;Hans;Amt;Extra;Mehr",  # 12 too many fields
        "weg@example.org;Weg;Amt",  # 13 suppressed
        "ines@example.org;Ines @@;Amt",  # 14 unreadable bytes
        "",  # 15 empty: skipped
        "jana@example.org;Jana;Amt;",  # 16 imported
    ]
    return "\r\n".join(rows).encode().replace(b"@@", b"\xff\xfe") + b"\r\n"


def test_hostile_file(english, lists, mail, drain):
    suppress("weg@example.org", "unsubscribed")
    db.session.commit()
    response = upload(
        english, hostile_file(), lists=[lists["kkp-kompakt"]], evidence="Anmeldebögen"
    )
    url, progress = finished(english, response, drain)
    assert progress["status"] == "done"
    assert (progress["total_rows"], progress["imported"], progress["updated"]) == (14, 4, 0)
    done = job()
    assert rejected(done) == {
        3: "control_characters",
        5: "too_long",
        6: "control_characters",
        8: "duplicate",
        9: "invalid_email",
        10: "invalid_email",
        11: "no_email",
        12: "too_many_columns",
        13: "suppressed",
        14: "unreadable",
    }
    assert next(e for e in done.rejected if e["row"] == 8)["first_row"] == 2
    # Nothing of a rejected row was stored, not even half of it.
    people = {s.email: s for s in db.session.scalars(sa.select(Subscriber))}
    assert sorted(people) == [
        "anna@example.org",
        "carla@example.org",
        "frieda@example.org",
        "jana@example.org",
    ]
    assert people["carla@example.org"].name == '=HYPERLINK("http://böse.example";"Klick")'
    assert people["frieda@example.org"].organisation == "Schulamt Größenwahn"
    assert people["anna@example.org"].name == "Anna Ärger"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 4
    assert db.session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 4
    # The report: every rejected row with its number and reason, no addresses.
    html = english.get(url).get_data(as_text=True)
    table = html.split('id="rejected"')[1]
    assert "<td>8</td><td>The same address appears earlier in the file (row 2).</td>" in table
    assert "<td>13</td><td>This address has unsubscribed" in table
    assert "weg@example.org" not in html and "kein-at-zeichen" not in html
    csv_text = english.get(url + "/rejected.csv").get_data(as_text=True)
    assert csv_text.startswith("\ufeffRow;Reason\r\n") and "\r\n14;" in csv_text
    assert mail.messages == []


def test_a_file_without_an_email_column_is_refused(english, lists):
    """The wizard lets the editor choose the address column; without one nothing starts."""
    content = b"Name;Organisation\r\nAnna;Amt\r\n"
    response = upload(english, content, lists=[lists["kkp-kompakt"]])
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="columns-error"' in html
    assert "Please choose the column with the e-mail addresses." in html
    assert job().status == "uploaded"
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_a_job_with_an_unusable_file_fails_clearly(ctx, lists, editor):
    """Should a file get past the upload check (older version, changed rules), the job
    fails with the reason and keeps no data."""
    bad = ImportJob(
        filename="x.csv",
        data=b"Name\r\nAnna\r\n",
        list_ids=[lists["kkp-kompakt"]],
        editor_id=editor["id"],
    )
    db.session.add(bad)
    db.session.commit()
    importer.run_import_job(bad.id)
    failed = job()
    assert failed.status == "failed" and failed.data is None and failed.finished_at
    assert failed.error
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


@pytest.mark.parametrize(
    "content, message",
    [
        (b"E-Mail;Name\r\nanna@example.org;\x00\x00\x01\x02", "binary data"),
        (b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 4, "Excel file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(1, 32)) * 200, "binary data"),
        (b"", "The file is empty."),
        (b"  \r\n", "The file is empty."),
        (b"E-Mail;Name\r\n;\r\n", "no people below it"),
    ],
)
def test_unusable_files_are_refused(english, lists, content, message):
    response = upload(english, content, lists=[lists["kkp-kompakt"]])
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_upload_size_limits(english, lists, app):
    assert app.config["MAX_CONTENT_LENGTH"] == 20 * MB
    over_ten = b"E-Mail\r\n" + b"a@example.org\r\n" * (10 * MB // 15 + 10)
    response = upload(english, over_ten, lists=[lists["kkp-kompakt"]])
    assert response.status_code == 400
    assert "larger than 10 MB" in response.get_data(as_text=True)
    # Above Flask's own limit the request is cut off before our view runs; the form
    # still says what is wrong.
    response = upload(english, b"x" * (21 * MB), lists=[lists["kkp-kompakt"]])
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "larger than 10 MB" in html and 'type="file"' in html
    assert db.session.scalar(sa.select(sa.func.count(ImportJob.id))) == 0


def test_lists_are_required(english, lists):
    response = upload(english, b"E-Mail\r\na@example.org\r\n", lists=[])
    assert response.status_code == 400
    assert 'id="lists-error"' in response.get_data(as_text=True)


def test_progress_page_polls_without_inline_script(english, lists):
    """No worker runs here: the job waits, and the page shows its progress."""
    content = ("E-Mail\r\n" + "".join(f"p{i}@example.org\r\n" for i in range(1200))).encode()
    response = upload(english, content, lists=[lists["kkp-kompakt"]])
    assert response.status_code == 303
    html = english.get(response.headers["Location"]).get_data(as_text=True)
    assert '<progress id="import-bar" class="progress" max="1200" value="0">' in html
    assert "0 of 1,200 rows" in html
    assert '<script src="/static/import.js" defer></script>' in html
    assert "<script>" not in html and "onclick" not in html
    assert f'data-url="{response.headers["Location"]}.json"' in html
    progress = english.get(response.headers["Location"] + ".json").get_json()
    assert progress == {
        "status": "queued",
        "total_rows": 1200,
        "processed_rows": 0,
        "imported": 0,
        "updated": 0,
        "skipped": 0,
        "rejected": 0,
        "finished": False,
        "text": "0 of 1,200 rows",
    }
    assert english.get("/static/import.js").status_code == 200


def test_progress_is_committed_in_batches_and_a_crashed_job_resumes(
    ctx, lists, editor, monkeypatch
):
    rows = [f"person{i}@example.org;Person {i}" for i in range(1, 11)]
    rows[8] = "person2@example.org;Doppelt"  # row 10 repeats row 3, from before the crash
    content = ("E-Mail;Name\r\n" + "\r\n".join(rows)).encode()
    pending = ImportJob(
        filename="x.csv",
        data=content,
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Papierliste",
        editor_id=editor["id"],
        total_rows=10,
    )
    db.session.add(pending)
    db.session.commit()
    job_id = pending.id
    monkeypatch.setitem(current_app.config, "KKP_IMPORT_BATCH_SIZE", 3)
    real_add = import_batch.insert_new_people

    def crash_at_person8(people, **kwargs):  # new people with evidence go in bulk
        if any(p.email == "person8@example.org" for p in people):
            raise RuntimeError("worker killed")
        return real_add(people, **kwargs)

    monkeypatch.setattr(import_batch, "insert_new_people", crash_at_person8)
    with pytest.raises(RuntimeError):
        importer.run_import_job(job_id)
    db.session.rollback()
    crashed = job()
    assert (crashed.status, crashed.processed_rows, crashed.imported) == ("running", 6, 6)
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 6

    monkeypatch.setattr(import_batch, "insert_new_people", real_add)
    importer.run_import_job(job_id)
    resumed = job()
    assert (resumed.status, resumed.processed_rows, resumed.imported, resumed.updated) == (
        "done",
        10,
        9,
        0,
    )
    assert rejected(resumed) == {10: "duplicate"}
    assert resumed.rejected[0]["first_row"] == 3
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 9

    importer.run_import_job(job_id)  # done: nothing happens twice
    again = job()
    assert (again.imported, again.updated, len(again.rejected)) == (9, 0, 1)
    assert db.session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 9


@pytest.mark.parametrize(
    "header, expected",
    [
        ("E-Mail;Name;Organisation", {"email": 0, "name": 1, "organisation": 2}),
        ("Email,Institution", {"email": 0, "organisation": 1}),
        ("Vorname;Name;Mail", {"first_name": 0, "last_name": 1, "email": 2}),
        ("Nachname;Vorname;E-Mail-Adresse", {"last_name": 0, "first_name": 1, "email": 2}),
        ('"Behörde";"email"', {"organisation": 0, "email": 1}),
        ("e_mail;organisation", {"email": 0, "organisation": 1}),
        ("Nachname;EMAIL", {"last_name": 0, "email": 1}),
    ],
)
def test_columns_are_found_by_german_and_english_names(header, expected):
    csv_file = csvfile.read_csv((header + "\r\nx@example.org\r\n").encode())
    assert csv_file.columns == expected


def test_the_separator_is_sniffed(ctx):
    semicolon = csvfile.read_csv("E-Mail;Name\na@example.org;Müller, Anna\n".encode())
    assert semicolon.delimiter == ";"
    comma = csvfile.read_csv(b'E-Mail,Name\na@example.org,"Anna; die Erste"\n')
    assert comma.delimiter == ","
    person = csvfile.check_row(semicolon, next(semicolon.rows())[1])
    assert person == csvfile.Person("a@example.org", "Müller, Anna", "")
    surname_only = csvfile.read_csv("Nachname;E-Mail\nMüller;a@example.org\n".encode())
    assert csvfile.check_row(surname_only, next(surname_only.rows())[1]).name == "Müller"


def test_confirmation_mails_are_enqueued_only_after_their_rows_commit(
    ctx, lists, editor, broker, monkeypatch
):
    """A SAVEPOINT release is no commit: a mail enqueued then would reach the worker
    before its delivery row is visible, and be skipped for good."""
    from kkp.mail.models import Delivery

    visible = []
    real_enqueue = broker.enqueue

    def enqueue(message, *, delay=None):
        if message.actor_name == "send_delivery":
            with db.engine.connect() as other:  # what the worker would see now
                visible.append(
                    other.scalar(
                        sa.select(sa.func.count(Delivery.id)).where(Delivery.id == message.args[0])
                    )
                )
        return real_enqueue(message, delay=delay)

    monkeypatch.setattr(broker, "enqueue", enqueue)
    content = "E-Mail\r\n" + "".join(f"p{i}@example.org\r\n" for i in range(7))
    pending = ImportJob(
        filename="x.csv",
        data=content.encode(),
        list_ids=[lists["kkp-kompakt"]],
        editor_id=editor["id"],
    )
    db.session.add(pending)
    db.session.commit()
    monkeypatch.setitem(current_app.config, "KKP_IMPORT_BATCH_SIZE", 3)
    importer.run_import_job(pending.id)
    assert job().imported == 7
    assert visible == [1] * 7


def test_an_import_that_keeps_crashing_ends_as_failed(ctx, broker, lists, editor):
    """run_import carries an on_failure callback; when Dramatiq gives up, the job says so."""
    import json

    import sqlalchemy as sa

    from kkp.auth.models import Editor
    from kkp.extensions import db
    from newsletter.importer import create_import_job
    from newsletter.models import ImportJob
    from newsletter.tasks import import_failed

    job = create_import_job(
        b"E-Mail;Name\r\na@example.org;A\r\n",
        filename="x.csv",
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="",
        editor=db.session.get(Editor, editor["id"]),
    )
    db.session.commit()
    [raw] = broker.client.hvals(f"{broker.namespace}:default.msgs")
    message = json.loads(raw)
    assert message["actor_name"] == "run_import"
    assert message["options"]["on_failure"] == "import_failed"
    db.session.execute(sa.update(ImportJob).values(status="running"))
    db.session.commit()
    import_failed({"args": [job.id]}, {"type": "OperationalError", "message": "x"})
    db.session.expire_all()
    stored = db.session.get(ImportJob, job.id)
    assert stored.status == "failed"
    assert "unerwarteten Fehlers" in stored.error
    assert stored.data is None


# -- no upload holds a web process long -----------------------------------------------------


def sniffer_worst_case(size: int = 64 * 1024) -> bytes:
    """64 KB that keep `csv.Sniffer` busy for about 20 seconds: many apostrophes (to the
    Sniffer quotation marks) that open a value but never close one, so each of its
    patterns searches the rest of the file from every one of them. To the CSV reader
    they are ordinary characters: the file is a good one."""
    header = "E-Mail;Name;Organisation;" + ";".join(f"Notiz {n}" for n in range(1, 30))
    lines, length = [header], len(header)
    while True:
        line = f"\r\nperson{len(lines)}@example.org;" + ";".join(f"'{n}x" for n in range(31))
        if length + len(line) > size:
            return ("".join(lines) + "\r\n").encode()
        lines.append(line)
        length += len(line)


def test_separator_detection_takes_linear_time():
    data = sniffer_worst_case()
    assert 63 * 1024 < len(data) <= 64 * 1024
    started = time.perf_counter()
    assert csvfile.detect_delimiter(data.decode()) == ";"
    assert csvfile.check_upload(data) == 389
    assert time.perf_counter() - started < 0.5


def test_the_upload_only_checks_the_start_and_stores_the_job(english, lists):
    """No worker runs here: the request returns at once and the job waits for one."""
    data = sniffer_worst_case()
    started = time.perf_counter()
    response = upload(english, data, lists=[lists["kkp-kompakt"]], evidence="Fachtag")
    assert time.perf_counter() - started < 2, "the upload held the web process"
    assert response.status_code == 303
    stored = job()
    assert (stored.status, stored.total_rows, stored.processed_rows) == ("queued", 389, 0)
    assert stored.data == data


def test_the_sniffer_worst_case_is_imported_by_the_worker(english, lists, mail, drain):
    response = upload(english, sniffer_worst_case(), lists=[lists["kkp-kompakt"]], evidence="X")
    url, progress = finished(english, response, drain)
    assert (progress["status"], progress["imported"], progress["rejected"]) == ("done", 389, 0)
    html = english.get(url).get_data(as_text=True)
    assert "New subscribers: 389" in html
    person = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.email == "person7@example.org")
    )
    assert (person.name, person.organisation) == ("'0x", "'1x")


def test_a_large_file_is_checked_by_its_start_and_counted_by_the_job(english, lists, drain):
    """Past the first 64 KB only the job reads the file: too many rows fail the job,
    with the reason on its page."""
    content = ("E-Mail\r\n" + "a@example.org\r\n" * 200_001).encode()
    response = upload(english, content, lists=[lists["kkp-kompakt"]])
    assert response.status_code == 303
    assert job().total_rows == 200_001  # estimated from the line breaks
    url, progress = finished(english, response, drain)
    assert progress["status"] == "failed"
    html = english.get(url).get_data(as_text=True)
    assert "mehr als 200.000 Zeilen" in html  # written by the worker, in German
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


@pytest.mark.parametrize(
    "content, delimiter",
    [
        ("E-Mail\tName\r\na@example.org\tMüller, Anna; Amt\r\n", "\t"),
        ('E-Mail,Name\r\na@example.org,"Müller; Anna"\r\nb@example.org,B\r\n', ","),
        ('"E-Mail;Adresse";Name\r\na@example.org;"Anna, ""die Erste"""\r\n', ";"),
        ("E-Mail;Name\r\n", ";"),
        ("E-Mail\r\na@example.org\r\n", ";"),
    ],
)
def test_the_separator_is_the_one_outside_quotation_marks(content, delimiter):
    assert csvfile.detect_delimiter(content) == delimiter


# -- an import never overrides what a person chose ------------------------------------------


def subscribed(lists, email: str, slugs, **details) -> Subscriber:
    subscriber, _created = add_subscriber(
        email=email,
        list_ids=[lists[s] for s in slugs],
        consent_evidence="Anmeldebogen",
        **details,
    )
    db.session.commit()
    return subscriber


def test_an_existing_subscriber_keeps_her_name_and_organisation(logged_in, lists, mail, drain):
    subscribed(lists, "anna@example.org", ["kkp-kompakt"], name="Anna Alt", organisation="Amt A")
    content = b"E-Mail;Name;Organisation\r\nanna@example.org;Anna Neu;Amt Neu\r\n"
    response = upload(
        logged_in, content, lists=[lists["kkp-kompakt"], lists["fortbildungen"]], evidence="X"
    )
    url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["updated"], progress["rejected"]) == (0, 1, 0)
    db.session.expire_all()
    anna = db.session.scalar(sa.select(Subscriber))
    assert (anna.name, anna.organisation) == ("Anna Alt", "Amt A")
    assert {s.mailing_list.slug: s.status for s in anna.subscriptions} == {
        "kkp-kompakt": "confirmed",
        "fortbildungen": "confirmed",
    }
    html = logged_in.get(url).get_data(as_text=True)
    skipped = html.split('id="import-skipped"')[1].split("</ul>")[0]
    assert (
        "Anderer Name oder andere Organisation in der Datei: die gespeicherten Angaben "
        "bleiben: 1" in skipped
    )


def test_a_list_she_left_herself_is_not_added_again(app, logged_in, lists, mail, drain):
    olga = subscribed(lists, "olga@example.org", ["kkp-kompakt", "fortbildungen"], name="Olga")
    token = subscriber_token(olga, "unsubscribe", l=lists["fortbildungen"])
    response = app.test_client().post(
        f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    subscribed(lists, "paul@example.org", ["kkp-kompakt", "fortbildungen"])
    content = (
        b"E-Mail;Name\r\n"
        b"olga@example.org;Olga\r\n"  # left Fortbildungen herself
        b"paul@example.org;Paul\r\n"  # on both lists already
        b"weg@example.org;Weg\r\n"  # left everything: suppressed
        b"neu@example.org;Neu\r\n"
    )
    suppress("weg@example.org", "unsubscribed")
    db.session.commit()
    chosen = [lists["kkp-kompakt"], lists["fortbildungen"], lists["netzwerktreffen"]]
    response = upload(logged_in, content, lists=chosen, evidence="Fachtag")
    url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["updated"], progress["rejected"]) == (1, 2, 1)

    db.session.expire_all()
    olga = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == "olga@example.org"))
    assert sorted(s.mailing_list.slug for s in olga.subscriptions) == [
        "kkp-kompakt",
        "netzwerktreffen",
    ]
    # her consent history: her own leaving, then the import that did not undo it
    history = [(e.action, e.source, e.lists) for e in olga.consent_events]
    assert history[-3:] == [
        ("list_removed", "one-click", ["Fortbildungen"]),
        ("added", "import", ["Netzwerktreffen"]),
        ("import_skipped", "import", ["Fortbildungen"]),
    ]
    assert olga.consent_events[-1].details == {
        "reason": "left_herself",
        "import_job": job().id,
    }
    page = logged_in.get(f"/admin/subscribers/{olga.id}").get_data(as_text=True)
    assert "Durch einen Import nicht wieder eingetragen" in page
    assert f"der Import Nr. {job().id} hat sie nicht wieder eingetragen" in page

    html = logged_in.get(url).get_data(as_text=True)
    skipped = html.split('id="import-skipped"')[1].split("</ul>")[0]
    assert "Hat eine gewählte Liste selbst abbestellt: dort nicht wieder eingetragen: 1" in skipped
    assert "Steht auf der Sperrliste (abgemeldet oder gelöscht): nicht importiert: 1" in skipped
    assert "Schon auf allen gewählten Listen" not in skipped  # Paul got Netzwerktreffen
    assert mail.messages == []


def test_people_on_every_chosen_list_are_counted_and_left_alone(logged_in, lists, mail, drain):
    paul = subscribed(lists, "paul@example.org", ["kkp-kompakt"], name="Paul")
    events_before = len(paul.consent_events)
    content = b"E-Mail;Name\r\npaul@example.org;Paulchen\r\n"
    response = upload(logged_in, content, lists=[lists["kkp-kompakt"]])
    url, progress = finished(logged_in, response, drain)
    assert (progress["imported"], progress["updated"]) == (0, 0)
    assert job().skipped == {"already_subscribed": 1, "other_details": 1}
    db.session.expire_all()
    paul = db.session.scalar(sa.select(Subscriber))
    assert paul.name == "Paul" and len(paul.consent_events) == events_before
    skipped = logged_in.get(url).get_data(as_text=True).split('id="import-skipped"')[1]
    assert "Schon auf allen gewählten Listen: nichts geändert: 1" in skipped
    assert mail.messages == []  # no confirmation mail either


def test_a_pending_sign_up_gets_no_second_confirmation_mail_from_an_import(
    logged_in, lists, mail, drain
):
    add_subscriber(email="lea@example.org", list_ids=[lists["kkp-kompakt"]])
    db.session.commit()
    mail.wait_for(1)
    mail.clear()
    content = b"E-Mail\r\nlea@example.org\r\n"
    response = upload(logged_in, content, lists=[lists["kkp-kompakt"]])
    _url, progress = finished(logged_in, response, drain)
    assert job().skipped == {"already_subscribed": 1}
    assert mail.messages == []


def test_lists_left_before_their_ids_were_recorded_are_found_by_name(ctx, lists):
    from newsletter.operations import lists_left_herself

    olga = subscribed(lists, "olga@example.org", ["kkp-kompakt"])
    db.session.add_all(
        [
            ConsentEvent(
                subscriber=olga,
                action="list_removed",
                lists=["Fortbildungen"],
                source="preferences",
            ),
            ConsentEvent(
                subscriber=olga, action="list_removed", lists=["Netzwerktreffen"], source="editor"
            ),
        ]
    )
    db.session.commit()
    assert lists_left_herself(olga) == {lists["fortbildungen"]}


def test_a_pending_sign_up_for_a_list_she_left_is_not_confirmed_by_evidence(
    app, logged_in, lists, mail, drain
):
    """She left a list herself; then somebody typed her address into the sign-up form
    for it (anybody can). An import with consent evidence must not confirm that: only
    her click on the confirmation link does."""
    from newsletter.operations import current_consent_text, request_subscription

    eva = subscribed(lists, "eva@example.org", ["kkp-kompakt", "fortbildungen"], name="Eva")
    token = subscriber_token(eva, "unsubscribe", l=lists["fortbildungen"])
    app.test_client().post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    request_subscription(
        email="eva@example.org",
        list_ids=[lists["fortbildungen"]],
        consent_version=current_consent_text().version,
    )
    db.session.commit()
    content = b"E-Mail;Name\r\neva@example.org;Eva\r\n"
    response = upload(logged_in, content, lists=[lists["fortbildungen"]], evidence="Fachtag")
    finished(logged_in, response, drain)
    db.session.expire_all()
    eva = db.session.scalar(sa.select(Subscriber).where(Subscriber.email == "eva@example.org"))
    status = {s.mailing_list.slug: s.status for s in eva.subscriptions}
    assert status == {"kkp-kompakt": "confirmed", "fortbildungen": "pending"}
