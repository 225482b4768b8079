"""Figures each process keeps for a while: counts that read a whole large table on every
view (the dashboard's subscribers by status, the subscribers page's total and its
addresses that break the policy), computed at most once per period instead."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")

#: where the app keeps them (tests empty it with the tables)
EXTENSION = "kkp.kept"

_lock = threading.Lock()


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
