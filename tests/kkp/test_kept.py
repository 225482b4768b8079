"""What each process keeps for a while (kkp.kept): a large count that has grown old is
shown once more while one thread counts again."""

from __future__ import annotations

import logging
import threading

from kkp import kept


def test_an_old_count_is_shown_while_one_thread_counts_again(app):
    now = [0.0]
    counted = []
    release = threading.Event()

    def count():
        if counted:  # the count again: slow, as a million rows during a send
            release.wait(10)
        counted.append(threading.current_thread().name)
        return len(counted)

    with app.app_context():
        ask = lambda: kept.kept("k", count, seconds=60, clock=lambda: now[0],  # noqa: E731
                                stale_while_counting=True)  # fmt: skip
        assert ask() == 1
        now[0] = 61
        assert [ask(), ask(), ask()] == [1, 1, 1]  # nobody waits, one thread counts
        release.set()
        kept.settle()
        assert ask() == 2
        assert counted == ["MainThread", "kept k"]


def test_a_count_that_fails_keeps_the_last_and_says_so(app, caplog):
    now = [0.0]
    answers = iter([5, RuntimeError("the database is gone"), 7])

    def count():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with app.app_context():
        ask = lambda: kept.kept("k", count, seconds=60, clock=lambda: now[0],  # noqa: E731
                                stale_while_counting=True)  # fmt: skip
        assert ask() == 5
        now[0] = 61
        with caplog.at_level(logging.ERROR, logger="kkp.kept"):
            assert ask() == 5
            kept.settle()
        assert "counting k again failed" in caplog.text
        assert ask() == 5  # shown once more, while the next try counts
        kept.settle()
        assert ask() == 7


def test_a_count_that_is_small_again_is_made_for_every_view(app):
    now = [0.0]
    sizes = iter([10, 2, 3, 4])

    def count():
        return next(sizes)

    with app.app_context():
        ask = lambda: kept.kept("k", count, seconds=60, clock=lambda: now[0],  # noqa: E731
                                keep=lambda n: n >= 5, stale_while_counting=True)  # fmt: skip
        assert ask() == 10
        now[0] = 61
        assert ask() == 10
        kept.settle()  # counted 2: not kept
        assert ask() == 3
        assert ask() == 4
