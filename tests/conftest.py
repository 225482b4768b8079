"""Fixtures: the app on a real database, Dramatiq on real Redis, a real SMTP server.

`KKP_TEST_DB=postgresql` runs the suite against PostgreSQL (a fresh database per
run); the default is a SQLite file.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from tests import services

BACKEND = os.environ.get("KKP_TEST_DB", "sqlite")
BROWSER_TESTS = Path(__file__).parent / "browser"
os.environ.setdefault("KKP_INSTANCE_PATH", tempfile.mkdtemp(prefix="kkp-test-instance-"))


def pytest_configure(config):
    config.addinivalue_line("markers", "sqlite_only: runs only in the SQLite pass (deselected)")
    config.addinivalue_line(
        "markers", "postgresql_only: runs only in the PostgreSQL pass (deselected)"
    )
    config.addinivalue_line("markers", "browser: a test in Chromium (tests/browser)")
    config.addinivalue_line(
        "markers",
        "no_database: a test that uses no test database (set by itself), the same in both "
        "passes: make test runs it in the SQLite pass only",
    )
    config.addinivalue_line(
        "markers",
        "once_in_postgresql: a long test (browser, or the API fuzzing) that make test runs in "
        "the PostgreSQL pass instead of the SQLite pass (the two passes then take about as long)",
    )
    config.addinivalue_line(
        "markers",
        "feedvalidator: runs the W3C feed validator from KKP_FEEDVALIDATOR (else deselected)",
    )


def pytest_collection_modifyitems(config, items):
    """Tests of one database's own behaviour have nothing to check in the other's pass."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker("browser")
        if not {"app", "database_url"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("no_database")
    other = "postgresql_only" if BACKEND == "sqlite" else "sqlite_only"
    left_out = [other] if os.environ.get("KKP_FEEDVALIDATOR") else [other, "feedvalidator"]
    kept = [item for item in items if not any(item.get_closest_marker(m) for m in left_out)]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


# -- services ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_url():
    url, private = services.redis_url()
    if url is None:
        services.require("no Redis reachable and no redis-server binary to start one")
    yield url
    if private:
        private.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    if BACKEND != "postgresql":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'kkp.db'}"
        return
    admin_url = services.postgresql_admin_url()
    if admin_url is None:
        services.require("PostgreSQL is not reachable (KKP_TEST_POSTGRESQL_URL)")
    name = f"kkp_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        # a commit need not wait for the disk here (the two test passes side by side
        # queued for it); what other sessions see is the same, and nothing here
        # survives a crash of the machine anyway
        conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    yield admin_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


class MailSink:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages: list[dict] = []
        self.lock = threading.Lock()
        #: a function (envelope) -> SMTP answer, or None to accept
        self.answer = None

    async def handle_DATA(self, server, session, envelope):
        if self.answer is not None:
            reply = self.answer(envelope)
            if reply:
                return reply
        with self.lock:
            self.messages.append(
                {
                    "from": envelope.mail_from,
                    "to": list(envelope.rcpt_tos),
                    "data": envelope.original_content or envelope.content,
                }
            )
        return "250 Message accepted for delivery"

    def clear(self):
        with self.lock:
            self.messages.clear()
        self.answer = None

    def wait_for(self, count: int, timeout: float = 15.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"expected {count} mails, got {len(self.messages)}")


@pytest.fixture(scope="session")
def smtp_server():
    sink = MailSink()
    # without SMTPUTF8, as many relays: addresses beyond ASCII must be refused before
    # they reach it (tests that need SMTPUTF8 start a server of their own)
    controller = Controller(
        sink, hostname="127.0.0.1", port=services.free_port(), enable_SMTPUTF8=False
    )
    controller.start()
    yield controller
    controller.stop()


# -- the app -------------------------------------------------------------------------------


def test_config(database_url: str, redis_url: str, smtp_port: int) -> dict:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "KKP_BROKER_URL": redis_url,
        "KKP_BROKER_NAMESPACE": f"kkp-test-{uuid.uuid4().hex[:8]}",
        "KKP_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "KKP_BASE_URL": "http://kkp.test",
        "KKP_MAIL_FROM": "KKP Kompakt <newsletter@kkp.test>",
        "KKP_RATELIMIT_STORAGE_URL": "memory://",
        # every request asks the database whether a calendar changed (see events.calendar_cache)
        "KKP_CALENDAR_RECHECK_SECONDS": 0,
        # the lowest argon2 cost: every login fixture hashes (production: 3 passes, 64 MiB)
        "KKP_PASSWORD_HASH_TIME_COST": 1,
        "KKP_PASSWORD_HASH_MEMORY_KIB": 32,
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def app(database_url, redis_url, smtp_server):
    from flask_migrate import upgrade

    from service.app import create_app

    app = create_app(test_config(database_url, redis_url, smtp_server.port))
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        from kkp.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def broker(app):
    return app.extensions["dramatiq"]


@pytest.fixture
def mail(smtp_server):
    sink: MailSink = smtp_server.handler
    sink.clear()
    yield sink
    sink.clear()


@pytest.fixture(autouse=True)
def _clean(request):
    """Every test starts from empty tables, queues and rate-limit counters."""
    yield
    if "app" not in request.fixturenames:
        return
    clean(request.getfixturevalue("app"))


def clean(app) -> None:
    """Empty every table, queue and rate-limit counter of the test app."""
    from kkp import kept
    from kkp.extensions import db, limiter

    kept.settle()  # a count made again in the background, before its tables are emptied
    with app.app_context():
        db.session.remove()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]  # referring first
        with db.engine.begin() as conn:
            if db.engine.dialect.name == "postgresql":
                _empty_postgresql(conn, tables)
            else:
                for table in tables:
                    conn.execute(sa.text(f'DELETE FROM "{table}"'))
        limiter.reset()
    app.extensions["dramatiq"].flush_all()
    # what the app keeps of the tables just emptied (kkp.kept)
    app.extensions.pop("kkp.kept", None)


def _empty_postgresql(conn, tables: list[str]) -> None:
    """DELETE from the tables that hold rows, and every id sequence back to 1: what
    TRUNCATE … RESTART IDENTITY did, without its cost per table (new files for each
    table and index, about half a second per test for all of them)."""
    filled = conn.scalars(
        sa.text(
            " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        )
    ).all()
    for table in tables:
        if table in filled:
            conn.execute(sa.text(f'DELETE FROM "{table}"'))
    # the sequences that belong to a column (serial or identity), all of them: a table
    # may be empty again with its sequence moved on
    conn.execute(
        sa.text(
            "SELECT setval(s.oid, 1, false) FROM pg_class s "
            "JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid "
            "AND d.deptype IN ('a', 'i') WHERE s.relkind = 'S'"
        )
    )


@pytest.fixture
def ctx(app):
    with app.app_context() as context:
        yield context
        from kkp.extensions import db

        db.session.rollback()
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def worker(app, broker):
    from dramatiq import Worker

    w = Worker(broker, worker_threads=2, worker_timeout=50)
    w.start()
    yield w
    w.stop(timeout=10_000)


@pytest.fixture
def quick_retries(broker):
    """Every actor retries after 0.1 to 1 s instead of seconds to minutes: the test is
    about what a retry does, not how long the backoff waits."""
    saved = {}
    for name in broker.get_declared_actors():
        options = broker.get_actor(name).options
        saved[name] = {k: options[k] for k in ("min_backoff", "max_backoff") if k in options}
        options.update(min_backoff=100, max_backoff=1_000)
    yield
    for name, values in saved.items():
        options = broker.get_actor(name).options
        options.pop("min_backoff", None)
        options.pop("max_backoff", None)
        options.update(values)


@pytest.fixture
def drain(broker, worker):
    """Wait until every queue is empty and the worker is idle."""

    def wait(timeout: float = 20.0):
        deadline = time.monotonic() + timeout
        for queue in broker.get_declared_queues():
            broker.join(  # looks every 10 ms (Dramatiq: 100)
                queue, interval=10, timeout=int(max(0.1, deadline - time.monotonic()) * 1000)
            )
        worker.join()

    return wait


# -- content -------------------------------------------------------------------------------


@pytest.fixture
def lists(ctx):
    return make_lists()


def make_lists() -> dict[str, int]:
    """The consent text and four lists (one of them internal); their ids by slug."""
    from kkp.extensions import db
    from newsletter.operations import create_list, publish_consent_text

    publish_consent_text("Einwilligungstext, Version 1.")
    created = [
        create_list("KKP Kompakt", slug="kkp-kompakt", position=0),
        create_list("Fortbildungen", slug="fortbildungen", position=1),
        create_list("Netzwerktreffen", slug="netzwerktreffen", position=2),
        create_list("Lenkungsgruppe intern", slug="intern", position=3, is_public=False),
    ]
    db.session.commit()
    return {m.slug: m.id for m in created}


@pytest.fixture
def editor(ctx):
    return make_editor()


def make_editor() -> dict:
    """An admin; its id, address and password."""
    from kkp.auth.operations import create_editor
    from kkp.extensions import db

    created = create_editor(
        "redaktion@kkp.test", role="admin", password="richtig-geheim-123", name="Redaktion"
    )
    db.session.commit()
    return {"id": created.id, "email": created.email, "password": "richtig-geheim-123"}


@pytest.fixture
def logged_in(client, editor):
    from tests.helpers import post_form

    response = post_form(
        client, "/admin/login", {"email": editor["email"], "password": editor["password"]}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
