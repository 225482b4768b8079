"""Figures each process keeps for a while: counts that read a whole large table on every
view (the dashboard's subscribers by status, the subscribers page's total and its
addresses that break the policy), computed at most once per period instead."""

from __future__ import annotations

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
) -> T:
    """`compute()`, or what it gave less than `seconds` ago in this process's app.
    A value for which `keep` says no is not kept: the next call computes it again."""
    store = current_app.extensions.setdefault(EXTENSION, {})
    now = clock()
    with _lock:
        found = store.get(key)
    if found is not None and now - found[0] < seconds:
        return found[1]
    value = compute()
    if keep(value):
        with _lock:
            store[key] = (now, value)
    return value


def large_count(
    key: Hashable,
    compute: Callable[[], T],
    size: Callable[[T], int],
    *,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[T, datetime | None]:
    """`compute()`, kept a minute when its `size` is :data:`LARGE` or more; with it, when
    it was counted if it is that large (for the page to say so), else None."""
    value, counted_at = kept(
        key,
        lambda: (compute(), utcnow()),
        seconds=LARGE_SECONDS,
        clock=clock,
        keep=lambda found: size(found[0]) >= LARGE,
    )
    return value, counted_at if size(value) >= LARGE else None
