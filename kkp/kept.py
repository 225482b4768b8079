"""Figures each process keeps for a while: counts that read a whole large table on every
view (the dashboard's subscribers by status, the subscribers page's total and its
addresses that break the policy), computed at most once per period instead.

A large count that has grown old is shown once more while a thread of the process counts
again: a million subscribers took up to 4 s to count while an issue went out to them,
and the editor whose view came just after the minute would otherwise wait for it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import TypeVar

from flask import current_app

from kkp.db import utcnow

T = TypeVar("T")

#: where the app keeps them (tests empty it with the tables)
EXTENSION = "kkp.kept"

_lock = threading.Lock()
#: the counts being made again in the background: (store, key), and their threads
_counting: set[tuple[int, Hashable]] = set()
_threads: list[threading.Thread] = []

log = logging.getLogger(__name__)

#: from this many rows on, :func:`large_count` keeps a count for `LARGE_SECONDS` (a
#: million subscribers take 70 ms to count on an idle server, several times that while
#: an issue goes out, and an editor's page may ask every few seconds)
LARGE = 100_000
LARGE_SECONDS = 60.0


def kept(
    key: Hashable,
    compute: Callable[[], T],
    *,
    seconds: float,
    clock: Callable[[], float] = time.monotonic,
    keep: Callable[[T], bool] = lambda value: True,
    stale_while_counting: bool = False,
) -> T:
    """`compute()`, or what it gave less than `seconds` ago in this process's app.
    A value for which `keep` says no is not kept: the next call computes it again.
    `stale_while_counting`: an older value is given once more while a thread computes
    the next (one at a time; should it fail, the older value stays and is logged)."""
    store = current_app.extensions.setdefault(EXTENSION, {})
    now = clock()
    with _lock:
        found = store.get(key)
    if found is not None:
        if now - found[0] < seconds:
            return found[1]
        if stale_while_counting:
            _count_again(store, key, compute, keep, clock)
            return found[1]
    value = compute()
    _keep(store, key, now, value, keep)
    return value


def _keep(store: dict, key: Hashable, at: float, value, keep: Callable) -> None:
    with _lock:
        if keep(value):
            store[key] = (at, value)
        else:  # smaller now: counted on every view again
            store.pop(key, None)


def _count_again(store: dict, key: Hashable, compute: Callable, keep: Callable, clock) -> None:
    app = current_app._get_current_object()
    with _lock:
        if (id(store), key) in _counting:
            return
        _counting.add((id(store), key))

    def count() -> None:
        try:
            started = clock()
            with app.app_context():  # a session of its own
                value = compute()
            _keep(store, key, started, value, keep)
        except Exception:
            log.exception("counting %s again failed: the last count is shown meanwhile", key)
        finally:
            with _lock:
                _counting.discard((id(store), key))

    thread = threading.Thread(target=count, name=f"kept {key}", daemon=True)
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        _threads.append(thread)
    thread.start()


def settle(timeout: float = 30.0) -> None:
    """Wait until the counts being made again are kept (tests, before they look)."""
    with _lock:
        threads = list(_threads)
    for thread in threads:
        thread.join(timeout)


def large_count(
    key: Hashable,
    compute: Callable[[], T],
    size: Callable[[T], int],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[T, datetime | None]:
    """`compute()`, kept a minute when its `size` is :data:`LARGE` or more, then shown
    while it is counted again; with it, when it was counted if it is that large (for the
    page to say so), else None."""
    value, counted_at = kept(
        key,
        lambda: (compute(), utcnow()),
        seconds=LARGE_SECONDS,
        clock=clock,
        keep=lambda found: size(found[0]) >= LARGE,
        stale_while_counting=True,
    )
    return value, counted_at if size(value) >= LARGE else None
