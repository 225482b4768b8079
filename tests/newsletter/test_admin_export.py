"""CSV export of subscribers: the file German spreadsheets open, and back in again."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from newsletter.export import ExportRow, spreadsheet_safe, subscriber_row
from newsletter.models import Subscriber
from newsletter.operations import add_subscriber
from tests.newsletter.test_import import finished, job, upload

HEADER = ["E-Mail", "Name", "Organisation", "Status", "Listen", "Angemeldet am", "Bestätigt am"]


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))


@pytest.fixture
def people(lists):
    add_subscriber(
        email="juergen@example.org",
        name="Jürgen Weiß",
        organisation="Ordnungsamt Gößnitz",
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Anmeldebogen",
    )
    add_subscriber(
        email="formel@example.org",
        name="=SUMME(A1:A9)",
        organisation="@Amt",
        list_ids=[lists["kkp-kompakt"], lists["fortbildungen"]],
        consent_evidence="Anmeldebogen",
    )
    add_subscriber(
        email="offen@example.org",
        name='-Minus; mit "Zitat"',
        organisation="+49 30 123",
        list_ids=[lists["fortbildungen"]],
    )
    db.session.commit()
    return {s.email: s for s in db.session.scalars(sa.select(Subscriber))}


def test_export_for_spreadsheets(logged_in, lists, people):
    response = logged_in.get("/admin/subscribers/export.csv")
    assert response.status_code == 200
    assert response.is_streamed
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="abonnenten-')
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.count(b"\r\n") == 4 and data.replace(b"\r\n", b"").count(b"\n") == 0
    rows = parse(data)
    assert rows[0] == HEADER
    by_email = {r[0]: r for r in rows[1:]}
    assert list(by_email) == ["juergen@example.org", "formel@example.org", "offen@example.org"]

    juergen = by_email["juergen@example.org"]
    created = people["juergen@example.org"].created_at.astimezone(ZoneInfo("Europe/Berlin"))
    assert juergen == [
        "juergen@example.org",
        "Jürgen Weiß",
        "Ordnungsamt Gößnitz",
        "bestätigt",
        "KKP Kompakt",
        created.strftime("%d.%m.%Y %H:%M"),
        created.strftime("%d.%m.%Y %H:%M"),
    ]
    # Formulas arrive as text, never as something a spreadsheet runs.
    assert by_email["formel@example.org"][1:3] == ["'=SUMME(A1:A9)", "'@Amt"]
    assert by_email["formel@example.org"][4] == "KKP Kompakt, Fortbildungen"
    offen = by_email["offen@example.org"]
    assert offen[1:5] == [
        '\'-Minus; mit "Zitat"',
        "'+49 30 123",
        "unbestätigt",
        "Fortbildungen (unbestätigt)",
    ]
    assert offen[6] == ""

    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "subscriber.export"))
    assert entry.editor_id is not None and "@" not in str(entry.details)


def test_export_keeps_the_filter(logged_in, lists, people):
    fortbildungen = lists["fortbildungen"]
    rows = parse(
        logged_in.get(
            f"/admin/subscribers/export.csv?list={fortbildungen}&status=pending"
        ).get_data()
    )
    assert [r[0] for r in rows[1:]] == ["offen@example.org"]
    rows = parse(logged_in.get("/admin/subscribers/export.csv?q=g%C3%B6%C3%9F").get_data())
    assert [r[0] for r in rows[1:]] == ["juergen@example.org"]
    rows = parse(logged_in.get("/admin/subscribers/export.csv?q=niemand").get_data())
    assert rows == [HEADER]


def test_export_in_batches_is_complete(logged_in, lists, monkeypatch):
    from newsletter import search

    for i in range(7):
        add_subscriber(
            email=f"p{i}@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="Liste"
        )
    db.session.commit()
    real = search.export_batches
    monkeypatch.setattr(search, "export_batches", lambda flt: real(flt, size=3))
    rows = parse(logged_in.get("/admin/subscribers/export.csv").get_data())
    assert [r[0] for r in rows[1:]] == [f"p{i}@example.org" for i in range(7)]


def test_an_exported_file_imports_again(logged_in, lists, people, drain):
    exported = logged_in.get("/admin/subscribers/export.csv").get_data()
    response = upload(logged_in, exported, lists=[lists["kkp-kompakt"]], evidence="Rückimport")
    _url, progress = finished(logged_in, response, drain)
    # the two on KKP Kompakt already are left as they are, the third gets the list
    assert (progress["imported"], progress["updated"], progress["rejected"]) == (0, 1, 0)
    assert job().skipped == {"already_subscribed": 2}
    db.session.expire_all()
    names = {s.email: (s.name, s.organisation) for s in db.session.scalars(sa.select(Subscriber))}
    assert names["formel@example.org"] == ("=SUMME(A1:A9)", "@Amt")
    assert names["juergen@example.org"] == ("Jürgen Weiß", "Ordnungsamt Gößnitz")
    assert names["offen@example.org"] == ('-Minus; mit "Zitat"', "+49 30 123")


@pytest.mark.parametrize(
    "value, safe",
    [
        ("=1+1", "'=1+1"),
        ("+49", "'+49"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Anna", "Anna"),
        ("", ""),
        ("a=b", "a=b"),
    ],
)
def test_spreadsheet_safe(value, safe):
    assert spreadsheet_safe(value) == safe


@pytest.mark.parametrize(
    "utc, berlin",
    [
        (datetime(2026, 3, 29, 0, 59, tzinfo=UTC), "29.03.2026 01:59"),  # before the DST gap
        (datetime(2026, 3, 29, 1, 0, tzinfo=UTC), "29.03.2026 03:00"),  # after it
        (datetime(2026, 10, 25, 0, 30, tzinfo=UTC), "25.10.2026 02:30"),  # ambiguous hour, CEST
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), "25.10.2026 02:30"),  # ambiguous hour, CET
        (datetime(2028, 2, 29, 23, 30, tzinfo=UTC), "01.03.2028 00:30"),  # leap day, next day
    ],
)
def test_times_are_berlin_time(utc, berlin):
    row = ExportRow(
        email="a@example.org",
        name="",
        organisation="",
        status="confirmed",
        lists=(),
        created_at=utc,
        confirmed_at=None,
    )
    assert subscriber_row(row)[5] == berlin
