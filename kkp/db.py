"""Database helpers: UTC-aware datetimes, SQLite pragmas, the common clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Engine

from kkp.config import private_file
from kkp.extensions import db


def utcnow() -> datetime:
    """The current time, UTC-aware; the only clock the domain code uses."""
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """A datetime stored as UTC and returned UTC-aware on every database."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use kkp.db.utcnow() or an aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL lets readers run beside the writer; the busy timeout lets writers queue."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    files = [row[2] for row in cursor.execute("PRAGMA database_list") if row[1] == "main"]
    cursor.close()
    if files and files[0]:
        _owner_only(files[0])


def _owner_only(database: str) -> None:
    """The database file and its WAL and shared-memory files: for their owner only.

    SQLite creates the -wal and -shm files with the mode of the database file, so once
    that is 0600 they follow; the first connection may find them made already.
    """
    for suffix in ("", "-wal", "-shm", "-journal"):
        private_file(database + suffix)


@event.listens_for(Engine, "savepoint")
def _sqlite_begin_before_savepoint(connection, name) -> None:
    """pysqlite opens a transaction at the first write, but not for SAVEPOINT: a
    SAVEPOINT first would start its own transaction, and releasing it would commit.

    Not SQLAlchemy's recipe (BEGIN at the first statement): under WAL a transaction
    that read first and writes later fails at once with "database is locked" when
    another process committed meanwhile. Beginning at the first write, as pysqlite
    does, takes the write lock through the busy timeout instead.
    """
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if not raw.in_transaction:
        raw.execute("BEGIN")


def contains_pattern(text: str) -> str:
    """A LIKE pattern (with ``escape="\\"``) for `text` anywhere: its ``%`` and ``_``
    are taken as they are."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class NumberedPage:
    rows: list[Any]
    total: int
    #: the page shown, from 1
    number: int
    pages: int


def numbered_page(
    model,
    conditions: list,
    *,
    size: int,
    asked: int | None,
    order: list | None = None,
    options: tuple = (),
) -> NumberedPage:
    """The rows of `model` that match `conditions`, newest (highest id) first unless
    `order` (ORDER BY clauses) says otherwise, on page `asked` (from 1; out of range: the
    nearest page there is); `options`: loader options for the rows."""
    total = db.session.scalar(sa.select(sa.func.count(model.id)).where(*conditions)) or 0
    pages = max(1, -(-total // size))
    number = min(max(asked or 1, 1), pages)
    rows = db.session.scalars(
        sa.select(model)
        .where(*conditions)
        .options(*options)
        .order_by(*(order or [model.id.desc()]))
        .limit(size)
        .offset((number - 1) * size)
    ).all()
    return NumberedPage(list(rows), total, number, pages)


#: bound parameters per IN list: under SQLite's limit (999 before 3.32), and few
#: enough round trips for PostgreSQL
IN_CHUNK = 900


def one_of(column: sa.ColumnElement, values: Iterable) -> sa.ColumnElement[bool]:
    """``column IN (values)`` as a condition whose text does not grow with the values: on
    PostgreSQL ``column = ANY(array)`` with the values as one parameter. psycopg parses
    a statement longer than 4 KB anew each time (an IN of a hundred ids is), and the
    server cannot prepare it once; elsewhere a plain IN."""
    values = list(values)
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.literal(values, postgresql.ARRAY(column.type)))
    return column.in_(values)


def one_of_param(column: sa.ColumnElement, name: str, dialect: str) -> sa.ColumnElement[bool]:
    """:func:`one_of` with the values left to a bound parameter `name` (a list), for a
    statement built once and run many times: ``= ANY(:name)`` on PostgreSQL, an
    expanding ``IN`` elsewhere."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def among(query: sa.Select, column: sa.ColumnElement, values: Iterable, *, chunk: int = IN_CHUNK):
    """The rows of `query` (of columns) whose `column` is one of `values`, in a few statements
    however many values: on PostgreSQL one ``column = ANY(array)`` with the values as
    one parameter (a short statement, which psycopg prepares and need not parse
    again), elsewhere one ``IN`` query per `chunk` values.

    An ORDER BY or FOR UPDATE of `query` holds within each statement.
    """
    values = list(dict.fromkeys(values))
    if not values:
        return []
    db.session.flush()  # run through the session's connection: no autoflush there
    connection = db.session.connection()  # Core rows: no ORM loading per row
    if connection.dialect.name == "postgresql":
        array = sa.bindparam("among_values", values, type_=postgresql.ARRAY(column.type))
        return connection.execute(query.where(column == sa.any_(array))).all()
    rows: list[sa.Row] = []
    for start in range(0, len(values), chunk):
        rows.extend(connection.execute(query.where(column.in_(values[start : start + chunk]))))
    return rows


def insert_rows(model, rows: list[dict]) -> None:
    """Insert `rows` (dicts with the same keys) into `model`'s table in bulk: on
    PostgreSQL with one ``COPY ... FROM STDIN`` (psycopg 3's :meth:`Cursor.copy`, the
    bulk-load path: no statement per row), elsewhere with one executemany (sqlite3
    runs it in C). Columns left out get their Python-side defaults, as an INSERT
    through SQLAlchemy would give them. No RETURNING: look new ids up with
    :func:`among`.

    Through the table, not the ORM class: the ORM's bulk insert works row by row in
    Python and splits the rows wherever a value is None.
    """
    if not rows:
        return
    table = model.__table__
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    given = list(rows[0])
    columns = [table.c[name] for name in given] + [
        c for c in table.c if c.name not in given and c.default is not None
    ]
    dialect = connection.dialect
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    defaults = [_default(c) for c in columns[len(given) :]]
    names = ", ".join(dialect.identifier_preparer.quote(c.name) for c in columns)
    table_name = dialect.identifier_preparer.format_table(table)
    statement = f"COPY {table_name} ({names}) FROM STDIN"
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                values = [row[name] for name in given] + [make() for make in defaults]
                copy.write_row(
                    [
                        v if p is None or v is None else p(v)
                        for p, v in zip(processors, values, strict=True)
                    ]
                )
    except dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy raises it for an INSERT
        raise sa.exc.DBAPIError.instance(
            statement, None, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc


def _default(column: sa.Column):
    """A maker of the column's Python-side default (a scalar, or a callable such as
    :func:`utcnow`, which SQLAlchemy wraps to take an execution context)."""
    default = column.default
    if default.is_callable:
        return lambda: default.arg(None)
    if default.is_scalar:
        return lambda: default.arg
    raise ValueError(f"insert_rows: give {column.name}, its default is SQL")
