"""`kkp backup` while an issue is being sent, `kkp restore` into an empty instance: the
rows agree with each other, the secret key still verifies what it signed, the
uploaded picture is there; a non-empty target and a tampered archive are refused."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import threading
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests import services
from tests.conftest import BACKEND
from tests.newsletter.conftest import add_confirmed, send_now

SUBSCRIBERS = 120


def png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


class Gate:
    """The SMTP server takes `open_for` messages, then holds the next one until
    released: the send is surely under way, and not done, while the backup runs."""

    def __init__(self, open_for: int):
        self.open_for = open_for
        self.count = 0
        self.reached = threading.Event()
        self.released = threading.Event()

    def __call__(self, envelope):
        self.count += 1
        if self.count > self.open_for:
            self.reached.set()
            self.released.wait(timeout=20)
        return None


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with no table: a new SQLite file, or a new PostgreSQL database."""
    if BACKEND == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        services.require("pg_dump and pg_restore are not on PATH (make postgresql-client)")
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path / 'restored' / 'kkp.db'}"
        return
    admin_url = services.postgresql_admin_url()
    if admin_url is None:
        services.require("PostgreSQL is not reachable (KKP_TEST_POSTGRESQL_URL)")
    name = f"kkp_restore_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@contextmanager
def instance_app(app, database_url: str, folder: Path):
    """An app on another database and instance folder, its secret key read from there
    as at a start; the actors bound back to the test app afterwards."""
    from kkp.config import load_secret_key
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config

    config = test_config(database_url, app.config["KKP_BROKER_URL"], 0)
    config.update(KKP_INSTANCE_PATH=str(folder), SECRET_KEY=load_secret_key(folder))
    try:
        other = create_app(config)
        yield other
        with other.app_context():
            from kkp.extensions import db

            db.session.remove()
            db.engine.dispose()
    finally:
        init_broker(app, app.extensions["dramatiq"])  # actors are process-wide


def orphans(conn, metadata) -> dict[str, int]:
    """Rows whose foreign key names a row that does not exist, by constraint."""
    found = {}
    for table in metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            local = [c.name for c in fk.columns]
            remote = fk.referred_table
            join = " AND ".join(f'r."{e.column.name}" = t."{e.parent.name}"' for e in fk.elements)
            present = " AND ".join(f't."{c}" IS NOT NULL' for c in local)
            count = conn.scalar(
                sa.text(
                    f'SELECT count(*) FROM "{table.name}" t WHERE {present} AND NOT EXISTS '
                    f'(SELECT 1 FROM "{remote.name}" r WHERE {join})'
                )
            )
            if count:
                found[f"{table.name}.{'/'.join(local)}"] = count
    return found


def test_a_backup_during_a_send_restores_into_an_empty_instance(
    app, ctx, lists, mail, worker, drain, tmp_path, empty_database_url
):
    from kkp.extensions import db
    from kkp.tokens import make_token, read_token
    from newsletter import issues
    from newsletter.models import Image

    picture = issues.store_image(png())
    db.session.commit()
    picture_id, picture_sha = picture.id, picture.sha256
    token = make_token("unsubscribe", {"s": 7})
    add_confirmed([lists["kkp-kompakt"]], SUBSCRIBERS)
    issue = issues.create_issue(
        number="1/2026", title="Gesichert", intro="Text.", list_ids=[lists["kkp-kompakt"]]
    )
    issues.add_article(issue, title="Bild", body=f"![Ein Bild]({picture.path})")
    db.session.commit()
    issue_id = issue.id
    app.config["KKP_ISSUE_BATCH_SIZE"] = 25
    app.config["KKP_ISSUE_CHUNK_SIZE"] = 10
    gate = Gate(open_for=15)
    mail.answer = gate
    archive = tmp_path / "kkp.tar.gz"
    try:
        send_now(issue_id)
        assert gate.reached.wait(timeout=20), "the send did not start"
        result = app.test_cli_runner().invoke(args=["backup", "--output", str(archive)])
    finally:
        gate.released.set()
        app.config["KKP_ISSUE_BATCH_SIZE"] = 1000
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100
    assert result.exit_code == 0, result.output
    mail.wait_for(SUBSCRIBERS)
    drain()
    assert archive.stat().st_mode & 0o777 == 0o600

    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["format"] == 1 and manifest["secret_key"] is True
    assert manifest["database"]["kind"] == BACKEND
    assert manifest["alembic_revision"]
    assert {"secret_key", f"database.{'pgdump' if BACKEND == 'postgresql' else 'sqlite3'}"} <= {
        entry["name"] for entry in manifest["files"]
    }

    folder = tmp_path / "instance"
    with instance_app(app, empty_database_url, folder) as target:
        fresh_key = target.config["SECRET_KEY"]  # made at its first start, signs nothing yet
        with target.app_context():  # the command's app (the test's context is the source's)
            result = target.test_cli_runner().invoke(args=["restore", str(archive)])
            assert result.exit_code == 0, result.output
            assert "restored the backup of" in result.output
            assert "kkp db upgrade" not in result.output  # the same revision
            again = target.test_cli_runner().invoke(args=["restore", str(archive)])
            assert again.exit_code != 0 and "not empty" in again.output
    assert (folder / "secret_key").stat().st_mode & 0o777 == 0o600

    with instance_app(app, empty_database_url, folder) as restarted:
        assert restarted.config["SECRET_KEY"] == app.config["SECRET_KEY"] != fresh_key
        with restarted.app_context():
            assert read_token("unsubscribe", token) == {"s": 7}
            restored = db.session.get(Image, picture_id)
            assert restored is not None and restored.sha256 == picture_sha
            assert restored.data == png()
            with db.engine.connect() as conn:
                assert orphans(conn, db.metadata) == {}
                check_the_send_as_it_was(conn, issue_id)


def check_the_send_as_it_was(conn, issue_id: int) -> None:
    """Mid-send: the issue sending; its delivery rows exactly those of the batches it
    recorded as written (rows and the issue's keyset move in one transaction)."""
    issue = conn.execute(
        sa.text("SELECT status, last_subscriber_id FROM issue WHERE id = :i"), {"i": issue_id}
    ).one()
    assert issue.status == "sending"
    counts = conn.execute(
        sa.text(
            "SELECT count(*) AS rows, count(CASE WHEN subscriber_id > :last THEN 1 END) AS beyond, "
            "count(CASE WHEN status = 'sent' THEN 1 END) AS sent "
            "FROM delivery WHERE issue_id = :i"
        ),
        {"i": issue_id, "last": issue.last_subscriber_id},
    ).one()
    written = conn.scalar(
        sa.text("SELECT count(*) FROM subscriber WHERE id <= :last"),
        {"last": issue.last_subscriber_id},
    )
    assert counts.beyond == 0
    assert counts.rows == written
    assert 0 < counts.rows and counts.sent < SUBSCRIBERS
    assert conn.scalar(sa.text("SELECT count(*) FROM subscriber")) == SUBSCRIBERS


def test_restore_refuses_a_tampered_archive_and_a_database_with_tables(
    app, ctx, tmp_path, empty_database_url
):
    from service.backup import Instance, create_backup, restore_backup
    from service.backup_database import BackupError

    source = Instance.of(app)
    archive = create_backup(source, tmp_path / "a.tar.gz", secret_key=app.config["SECRET_KEY"])
    with pytest.raises(BackupError, match="not empty"):
        restore_backup(source, archive)

    tampered = tmp_path / "b.tar.gz"
    with tarfile.open(archive) as old, tarfile.open(tampered, "w:gz") as new:
        for member in old:
            data = old.extractfile(member).read()
            if member.name == "secret_key":
                data = b"someone-else's-key" + data[18:]
            member.size = len(data)
            new.addfile(member, io.BytesIO(data))
    target = Instance(empty_database_url, tmp_path / "target")
    with pytest.raises(BackupError, match="secret_key differs from its checksum"):
        restore_backup(target, tampered)
    assert not (tmp_path / "target" / "secret_key").exists()

    with pytest.raises(BackupError, match="exists already"):
        create_backup(source, archive, secret_key=app.config["SECRET_KEY"])


def test_pg_dump_missing_or_too_old_names_the_debian_package(monkeypatch, tmp_path):
    from service.backup_database import BackupError, client_tool

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="install the Debian package postgresql-client"):
        client_tool("pg_dump", 15)
    old = tmp_path / "pg_dump"
    old.write_text("#!/bin/sh\necho 'pg_dump (PostgreSQL) 13.14'\n")
    old.chmod(0o755)
    with pytest.raises(
        BackupError, match="version 13, older than 16: install postgresql-client-16"
    ):
        client_tool("pg_dump", 16)
    assert client_tool("pg_dump", 13) == (str(old), 13)


def test_restore_says_what_the_revision_asks_for():
    from service.backup import _advice, head_revision

    same = {"alembic_revision": head_revision(), "secret_key": True}
    assert _advice(same) == ""
    older = {"alembic_revision": "b7c4e2a9d051", "secret_key": True}
    assert "run `kkp db upgrade`" in _advice(older)
    newer = {"alembic_revision": "ffffffffffff", "secret_key": True}
    assert "a newer version made the backup" in _advice(newer)
    assert "KKP_SECRET_KEY" in _advice({**same, "secret_key": False})


def test_the_instance_folders_own_files_go_along(app, ctx, tmp_path, empty_database_url):
    """A key kept in the instance folder comes back; the private Redis, the font cache
    and the archive itself, written into the folder, stay out."""
    from service.backup import Instance, create_backup, restore_backup

    folder = tmp_path / "source"
    (folder / "dkim").mkdir(parents=True)
    (folder / "dkim" / "key.pem").write_text("-----BEGIN PRIVATE KEY-----\n")
    (folder / "secret_key").write_text("k" * 40)
    (folder / "redis").mkdir()
    (folder / "redis" / "dump.rdb").write_bytes(b"queues")
    (folder / "fonts").mkdir()
    (folder / "fonts" / "FiraSans.ttf").write_bytes(b"font")
    source = Instance(app.config["SQLALCHEMY_DATABASE_URI"], folder)
    archive = create_backup(source, folder / "inside.tar.gz", secret_key="k" * 40)
    with tarfile.open(archive) as tar:
        names = sorted(tar.getnames())
    assert names[-3:] == ["files/dkim/key.pem", "manifest.json", "secret_key"]
    assert len(names) == 4 and names[0].startswith("database.")

    target = Instance(empty_database_url, tmp_path / "target")
    restored = restore_backup(target, archive)
    assert (tmp_path / "target" / "dkim" / "key.pem").read_text().startswith("-----BEGIN")
    assert (tmp_path / "target" / "dkim" / "key.pem").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "target" / "secret_key").read_text() == "k" * 40
    assert restored.advice == ""
    assert sorted(p.name for p in (tmp_path / "target").iterdir()) == ["dkim", "secret_key"]
