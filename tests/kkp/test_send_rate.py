"""`KKP_SEND_RATE`: at most N messages per window, shared by all worker threads, counted
in Redis or (without Redis) in the database; judged by when mail arrives at the server."""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from tests.newsletter.conftest import add_confirmed

LIMIT, SECONDS = 5, 2


@contextmanager
def rate(app, value: str | None, storage: str):
    saved = {k: app.config.get(k) for k in ("KKP_SEND_RATE", "RATELIMIT_STORAGE_URI")}
    app.config.update(KKP_SEND_RATE=value, RATELIMIT_STORAGE_URI=storage)
    app.extensions.pop("kkp_throttle", None)
    try:
        yield
    finally:
        app.config.update(saved)
        app.extensions.pop("kkp_throttle", None)


def _start_of_a_window() -> None:
    """Begin just after a window starts, so that no grant straddles two windows."""
    time.sleep(SECONDS - time.time() % SECONDS + 0.05)


@pytest.mark.parametrize("storage", ["redis", "database"])
def test_no_window_gets_more_than_the_rate_allows(
    app, ctx, lists, mail, worker, redis_url, storage
):
    from kkp.extensions import db
    from kkp.mail.models import SendWindow
    from newsletter import issues, sending
    from tests.newsletter.conftest import fresh_issue
    from tests.newsletter.test_sending_faults import _wait_sent

    total = 12
    arrivals: list[tuple[float, str]] = []

    def stamp(envelope):
        arrivals.append((time.time(), envelope.rcpt_tos[0]))
        return None

    add_confirmed([lists["kkp-kompakt"]], total)
    issue = issues.create_issue(
        number="9/2026", title="Gedrosselt", list_ids=[lists["kkp-kompakt"]]
    )
    issues.add_article(issue, title="Artikel", body="Text")
    db.session.commit()
    mail.answer = stamp
    app.config["KKP_ISSUE_CHUNK_SIZE"] = 3  # four chunks on two threads, sharing the rate
    try:
        with rate(app, f"{LIMIT}/{SECONDS}", redis_url if storage == "redis" else "memory://"):
            _start_of_a_window()
            sending.start_sending(issue)
            db.session.commit()
            _wait_sent(issue.id, 30)
            throttle = app.extensions["kkp_throttle"]
            assert (throttle._redis is not None) == (storage == "redis")
            if storage == "redis":  # counted under this instance's namespace only
                keys = throttle._redis.keys(f"{app.config['KKP_BROKER_NAMESPACE']}:send-rate:*")
                # a window's count expires two windows after it began: one may go
                # between KEYS and MGET (the counts per window are checked below)
                counts = [int(v) for v in throttle._redis.mget(keys) if v is not None]
                assert counts and all(n <= LIMIT for n in counts)
    finally:
        app.config["KKP_ISSUE_CHUNK_SIZE"] = 100

    per_window = Counter(int(t // SECONDS) for t, _address in arrivals)
    first, last = min(per_window), max(per_window)
    print(f"\n{storage}: per window {dict(sorted(per_window.items()))}")
    assert sum(per_window.values()) == total
    assert max(per_window.values()) <= LIMIT, per_window
    # 12 at 5 per window: at least three windows, i.e. at least 4 s from first to last
    assert last - first >= 2, per_window
    assert len({address for _t, address in arrivals}) == total
    assert fresh_issue(issue.id).status == "sent"
    if storage == "database":
        used = db.session.scalars(sa.select(SendWindow.used)).all()
        assert sum(used) == total and max(used) <= LIMIT


@pytest.mark.once_in_postgresql  # long; production runs PostgreSQL
def test_a_chunk_waiting_for_the_rate_is_not_taken_for_a_dead_one(
    app, ctx, lists, mail, worker, drain, monkeypatch
):
    """With a quota (say 500/3600) a chunk can wait for the next window longer than
    KKP_DELIVERY_STALE_MINUTES: the sweeper must not hand its deliveries out again,
    neither those of the stretch it claimed nor those it has not claimed yet."""
    from kkp.extensions import db
    from newsletter import issues, sending
    from newsletter.sending import chunks

    monkeypatch.setattr(chunks, "STATUS_CHECK_EVERY", 5)  # stretches of the window's size
    from tests.newsletter.conftest import fresh_issue
    from tests.newsletter.test_sending_faults import _wait, _wait_sent

    total, limit, seconds = 25, 5, 4
    add_confirmed([lists["kkp-kompakt"]], total)
    issue = issues.create_issue(number="11/2026", title="Geduld", list_ids=[lists["kkp-kompakt"]])
    issues.add_article(issue, title="Artikel", body="Text")
    db.session.commit()
    with rate(app, f"{limit}/{seconds}", "memory://"):  # one chunk of 25, stretches of 5
        time.sleep(seconds - time.time() % seconds + 0.05)
        sending.start_sending(issue)
        db.session.commit()
        _wait(lambda: len(mail.messages) >= limit, 10, "the first window's mail")
        time.sleep(seconds + 2.5)  # the chunk has waited beyond "stale" (6 s) in all
        handed_out = sending.sweep(stale_minutes=0.1)  # what the scheduler's tick does
        db.session.commit()
        assert handed_out == 0, "the sweeper took the waiting chunk's rows for a dead one's"
        _wait_sent(issue.id, 40)
        drain()  # a duplicate chunk, had the sweeper made one, has run too
    received = Counter(m["to"][0] for m in mail.messages)
    assert len(received) == total
    assert set(received.values()) == {1}, "the sweeper sent a waiting chunk's mail again"
    assert fresh_issue(issue.id).status == "sent"


@pytest.mark.parametrize(
    "value",
    ["abc", "5/0", "0/2", "-5/2", "5/2/3", "5 per 2", "/2", "5.5/2", "fünf/2"],
)
def test_a_malformed_rate_is_refused_with_a_clear_message(app, value):
    from kkp.mail.throttle import Throttle, parse_rate

    with pytest.raises(ValueError, match=r"KKP_SEND_RATE must look like 500/3600") as refused:
        parse_rate(value)
    assert repr(value) in str(refused.value)
    with rate(app, value, "memory://"), pytest.raises(ValueError, match="KKP_SEND_RATE"):
        Throttle(app)


def test_well_formed_rates(app):
    from kkp.mail.throttle import parse_rate

    assert parse_rate(None) is None and parse_rate("") is None
    assert parse_rate("500/3600") == (500, 3600)
    assert parse_rate("10") == (10, 1)


def test_an_issue_under_a_malformed_rate_pauses_and_says_why(app, ctx, lists, mail, worker, drain):
    from kkp.extensions import db
    from newsletter import issues, sending
    from tests.newsletter.conftest import fresh_issue
    from tests.newsletter.test_sending_faults import _statuses, _wait

    add_confirmed([lists["kkp-kompakt"]], 3)
    issue = issues.create_issue(number="10/2026", title="Kaputt", list_ids=[lists["kkp-kompakt"]])
    issues.add_article(issue, title="Artikel", body="Text")
    db.session.commit()
    with rate(app, "500 pro Stunde", "memory://"):
        sending.start_sending(issue)
        db.session.commit()
        _wait(lambda: fresh_issue(issue.id).status != "sending", 20, "the issue to stop")
        drain()
    issue = fresh_issue(issue.id)
    assert issue.status == "paused"
    assert "KKP_SEND_RATE" in issue.pause_reason and "500 pro Stunde" in issue.pause_reason
    assert _statuses(issue.id) == {"queued": 3}
    assert mail.messages == []
