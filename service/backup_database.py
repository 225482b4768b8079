"""The database's part of a backup: a consistent copy while the service writes, and its
way back into an empty database (docs/backup.md).

SQLite: the online backup API copies every page in one step under a read lock, so the
copy is one moment of the database however the workers write meanwhile (WAL mode lets
them go on). PostgreSQL: ``pg_dump --format=custom`` reads in one snapshot
(repeatable read); ``pg_restore --no-owner`` puts it back. The two programs come with
the Debian package ``postgresql-client``; pg_dump must be at least as new as the server.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

SQLITE = "sqlite"
POSTGRESQL = "postgresql"
#: the database's file in the archive, by kind
ARCHIVE_NAMES = {SQLITE: "database.sqlite3", POSTGRESQL: "database.pgdump"}


class BackupError(Exception):
    """What stops a backup or a restore, in words for the operator."""


def kind_of(url: str) -> str:
    """The kind, sqlite or postgresql; another database is refused."""
    backend = make_url(url).get_backend_name()
    if backend not in ARCHIVE_NAMES:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {backend}")
    return backend


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL (an in-memory database has none to back up)."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(database).resolve()


def revision(url: str) -> str | None:
    """The alembic revision the database is at; None without the alembic_version table."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return None
            return conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        engine.dispose()


def tables(url: str) -> list[str]:
    """The tables the database holds (a missing SQLite file holds none)."""
    if kind_of(url) == SQLITE and not sqlite_path(url).exists():
        return []
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return sa.inspect(conn).get_table_names()
    finally:
        engine.dispose()


# -- SQLite --------------------------------------------------------------------------------


def _sqlite_copy(source: Path, target: Path) -> None:
    """`source` into `target` by the online backup API, every page in one step."""
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # pages=-1: all at once, one consistent moment
        finally:
            dst.close()
    src.close()


def dump_sqlite(url: str, target: Path) -> None:
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"the SQLite database {source} does not exist")
    _sqlite_copy(source, target)


def restore_sqlite(url: str, source: Path) -> None:
    target = sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT, 0o600)  # created owner-only
    os.close(fd)
    _sqlite_copy(source, target)


# -- PostgreSQL ----------------------------------------------------------------------------


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The URL as libpq reads it, without the password, and the environment that
    carries the password (never on a command line, where `ps` shows it)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    plain = URL.create(
        "postgresql",
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    )
    return plain.render_as_string(hide_password=False), env


def server_major(url: str) -> int:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
    finally:
        engine.dispose()


def client_tool(name: str, needed_major: int) -> tuple[str, int]:
    """The path and major version of pg_dump or pg_restore; :class:`BackupError` when
    missing or older than `needed_major`."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not on PATH: install the Debian package postgresql-client "
            f"(its version {needed_major} or newer, e.g. postgresql-client-{needed_major})"
        )
    output = subprocess.run(
        [found, "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    major = int(match.group(1)) if match else 0
    if major < needed_major:
        raise BackupError(
            f"{found} is version {major or 'unknown'}, older than {needed_major}: install "
            f"postgresql-client-{needed_major} (or newer) and put it first on PATH"
        )
    return found, major


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        # the tools' messages name tables and options, never the password
        raise BackupError(f"{what} failed: {result.stderr.strip()[-2000:]}")


def dump_postgresql(url: str, target: Path) -> int:
    """pg_dump in its custom format into `target`; returns pg_dump's major version."""
    pg_dump, major = client_tool("pg_dump", server_major(url))
    dbname, env = _libpq(url)
    _run(
        [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={target}",
         f"--dbname={dbname}"],
        env,
        "pg_dump",
    )  # fmt: skip
    os.chmod(target, 0o600)
    return major


def restore_postgresql(url: str, source: Path, dumped_by: int) -> None:
    """pg_restore into the (empty) database of `url`, all or nothing; it reads the
    archives of its own and older versions of pg_dump."""
    pg_restore, _major = client_tool("pg_restore", dumped_by)
    dbname, env = _libpq(url)
    _run(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         f"--dbname={dbname}", str(source)],
        env,
        "pg_restore",
    )  # fmt: skip


def dump(url: str, target: Path) -> dict[str, object]:
    """The database of `url` into `target`; what the manifest says about it."""
    kind = kind_of(url)
    if kind == SQLITE:
        dump_sqlite(url, target)
        return {"kind": kind, "sqlite_version": sqlite3.sqlite_version}
    return {"kind": kind, "pg_dump_major": dump_postgresql(url, target)}


def restore(url: str, source: Path, about: dict[str, object]) -> None:
    if kind_of(url) == SQLITE:
        restore_sqlite(url, source)
    else:
        restore_postgresql(url, source, int(about.get("pg_dump_major") or 0))
