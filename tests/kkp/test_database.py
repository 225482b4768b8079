"""The schema comes from the migrations, and they match the models."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from kkp.extensions import db


def test_migrations_match_the_models(ctx):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == [], f"models and migrations differ; run `kkp db migrate`: {diff}"


@pytest.mark.sqlite_only
def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(ctx):
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() >= 5000
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_datetimes_come_back_utc_aware(ctx, lists):
    from newsletter.models import MailingList

    created = db.session.scalar(sa.select(MailingList.created_at))
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0


def test_a_savepoint_does_not_commit_on_its_own(ctx, lists):
    """A row written inside a released SAVEPOINT goes with the outer rollback."""
    from newsletter.models import Subscriber
    from newsletter.operations import add_subscriber

    db.session.commit()
    with db.session.begin_nested():
        add_subscriber(
            email="kurz@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="x"
        )
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


@pytest.mark.sqlite_only
def test_the_address_migration_rewrites_unicode_domains_it_can(
    tmp_path, redis_url, smtp_server, app
):
    """c4d1e2f3a4b5: stored addresses get the policy's form, unless that form is taken;
    what the policy refuses stays for the editors' list."""
    from flask_migrate import upgrade

    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config

    other = create_app(test_config(f"sqlite:///{tmp_path / 'old.db'}", redis_url, smtp_server.port))
    try:
        with other.app_context():
            upgrade(revision="89047f8a9412")
            engine = sa.create_engine(other.config["SQLALCHEMY_DATABASE_URI"])
            with engine.begin() as conn:
                for email in ("x@bücher.de", "Y@Example.org", "z@straße.de", "z@xn--strae-oqa.de",
                              "ü@example.org"):  # fmt: skip
                    conn.execute(
                        sa.text(
                            "INSERT INTO subscriber (email, name, organisation, status, source,"
                            " locale, created_at, updated_at) VALUES (:e, '', '', 'confirmed',"
                            " 'import', 'de', '2026-01-01', '2026-01-01')"
                        ),
                        {"e": email},
                    )
            upgrade()
            with engine.connect() as conn:
                stored = set(conn.scalars(sa.text("SELECT email FROM subscriber")))
            engine.dispose()
    finally:
        init_broker(app, app.extensions["dramatiq"])  # actors are process-wide: bind them back
    assert stored == {
        "x@xn--bcher-kva.de",
        "y@example.org",
        "z@straße.de",  # its A-label form is taken by another subscriber: both are listed
        "z@xn--strae-oqa.de",
        "ü@example.org",
    }
