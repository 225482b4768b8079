"""An optional send rate shared by all workers (`KKP_SEND_RATE=N/seconds`), for relays
with quotas: a fixed window counted in Redis, or in the database without Redis."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
import sqlalchemy as sa
from flask import current_app

from kkp.extensions import db
from kkp.mail.models import SendWindow

log = logging.getLogger(__name__)


def parse_rate(value: str | None) -> tuple[int, int] | None:
    """`"500/3600"` → (500, 3600); None or "" → no limit. Raises ValueError when wrong."""
    if not value:
        return None
    try:
        count, _, seconds = value.partition("/")
        rate = int(count), int(seconds or "1")
    except ValueError:
        rate = (0, 0)
    if rate[0] <= 0 or rate[1] <= 0:
        raise ValueError(f"KKP_SEND_RATE must look like 500/3600 (messages/seconds), not {value!r}")
    return rate


class Throttle:
    """Grants permission to send, in blocks, never more than the rate allows."""

    def __init__(self, app):
        self.rate = parse_rate(app.config.get("KKP_SEND_RATE"))
        self._redis = None
        # one count per deployment: instances sharing a Redis keep their own windows
        self._prefix = f"{app.config.get('KKP_BROKER_NAMESPACE') or 'kkp'}:send-rate:"
        storage = app.config.get("RATELIMIT_STORAGE_URI", "")
        if self.rate and storage.startswith(("redis://", "rediss://", "redis+unix://")):
            url = storage.replace("redis+unix://", "unix://", 1)
            self._redis = redis.Redis.from_url(url)

    def acquire(self, wanted: int, *, waiting: Callable[[], None] | None = None) -> int:
        """Block until at least one message may go; return how many (≤ wanted).

        `waiting` is called before each nap (at least every 5 s), so that the caller can
        show it is alive while it waits (a wait can last as long as a window)."""
        if not self.rate or wanted <= 0:
            return wanted
        limit, seconds = self.rate
        while True:
            window = int(time.time() // seconds)
            granted = self._take(window, limit, seconds, wanted)
            if granted:
                return granted
            wait = (window + 1) * seconds - time.time()
            log.info("send rate %d/%ds reached; waiting %.0f s", limit, seconds, wait)
            if waiting is not None:
                waiting()
            time.sleep(min(max(wait, 0.05), 5.0))

    def _take(self, window: int, limit: int, seconds: int, wanted: int) -> int:
        if self._redis is not None:
            key = f"{self._prefix}{window}"
            used = self._redis.incrby(key, wanted)
            if used == wanted:
                self._redis.expire(key, seconds * 2)
            over = used - limit
            if over <= 0:
                return wanted
            granted = max(0, wanted - over)
            self._redis.decrby(key, wanted - granted)
            return granted
        return _take_from_database(window, limit, wanted)


def _take_from_database(window: int, limit: int, wanted: int) -> int:
    session = db.session
    row = session.get(SendWindow, window)
    if row is None:
        try:
            with session.begin_nested():
                session.add(SendWindow(window=window, used=0))
        except sa.exc.IntegrityError:
            pass
    used = session.execute(
        sa.select(SendWindow.used).where(SendWindow.window == window)
    ).scalar_one()
    granted = min(wanted, max(0, limit - used))
    if granted:
        result = session.execute(
            sa.update(SendWindow)
            .where(SendWindow.window == window, SendWindow.used == used)
            .values(used=used + granted)
        )
        if result.rowcount != 1:
            granted = 0  # another worker took some at the same moment; ask again
    session.commit()
    return granted


def throttle_for(app) -> Throttle:
    if "kkp_throttle" not in app.extensions:
        app.extensions["kkp_throttle"] = Throttle(app)
    return app.extensions["kkp_throttle"]


def acquire(wanted: int, *, waiting: Callable[[], None] | None = None) -> int:
    return throttle_for(current_app._get_current_object()).acquire(wanted, waiting=waiting)
