"""The database gone for a moment while a chunk sends (a PostgreSQL restart): what went
out is recorded as sent once the database is back, not left for the sweeper to show as
in doubt. The cluster (bench/cluster, restart-postgresql) does the same with a real
restart."""

from __future__ import annotations

import sqlalchemy as sa

from tests.newsletter.conftest import add_confirmed, send_now
from tests.newsletter.test_sending_control import _everyone_once
from tests.newsletter.test_sending_faults import _statuses, _wait_sent


def test_a_stretch_recorded_while_the_database_restarts_is_recorded_once_it_is_back(
    app, ctx, lists, compose, mail, worker, drain, monkeypatch
):
    from newsletter.sending import chunks

    real_record = chunks.record
    failures = {"left": 3}

    def record(issue_id, stretch, **kwargs):
        if stretch.sent and failures["left"]:
            failures["left"] -= 1
            raise sa.exc.OperationalError("UPDATE delivery", {}, Exception("server closed"))
        return real_record(issue_id, stretch, **kwargs)

    monkeypatch.setattr(chunks, "record", record)
    monkeypatch.setattr(chunks, "RECORD_RETRY_EVERY", 0.01)
    add_confirmed([lists["kkp-kompakt"]], 8)
    issue_id = compose()
    send_now(issue_id)
    _wait_sent(issue_id, 30)
    drain()
    assert failures["left"] == 0  # the database was "gone" three times
    assert _statuses(issue_id) == {"sent": 8}  # none in doubt
    _everyone_once(mail, {f"person{i}@example.org" for i in range(8)})
