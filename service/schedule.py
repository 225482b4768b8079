"""The scheduler: a tick a minute enqueues `scheduler_tick`, which runs what is due.

Every job here is idempotent, so a tick that runs twice (two clocks by mistake, a
retry) changes nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from events.courses import expire_booking_holds
from events.operations import send_due_reminders
from events.registrations import expire_holds
from events.retention import anonymise_due
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.mail.operations import sweep_stale
from kkp.tasks import task
from newsletter import sending
from newsletter.models import OfficeSetting
from newsletter.operations import purge_unconfirmed
from people.tasks import poll_bounce_mailbox

log = logging.getLogger(__name__)

TICK_SECONDS = 60
#: the nightly anonymisation runs at the first tick from this hour (Berlin) on
NIGHTLY_HOUR = 2
#: the office setting that remembers the Berlin day the anonymisation last ran (a row
#: every worker sees, so the job runs once a day whichever worker ticks)
RETENTION_DAY_KEY = "retention_ran_on"
#: the office setting that remembers when the bounce mailbox was last polled (UTC)
BOUNCE_POLL_KEY = "bounce_poll_at"
#: the office setting that counts the ticks run and keeps the last one's time (UTC),
#: "<count> <time>", for /metrics
TICKS_KEY = "scheduler_ticks"

#: claim and run what is due; enqueued once a minute by the clock
scheduler_tick = task("scheduler_tick", max_retries=0)


@scheduler_tick.runs
def run_due(now: datetime | None = None) -> None:
    """Run every job that is due at `now` (default: the current time)."""
    record_tick()
    purge_unconfirmed()
    db.session.commit()
    sending.start_due()
    db.session.commit()
    sweep_stale()
    db.session.commit()
    sending.sweep()
    db.session.commit()
    send_due_reminders(now)
    db.session.commit()
    expire_holds(now)
    db.session.commit()
    expire_booking_holds(now)
    db.session.commit()
    poll_bounces_when_due(now)
    anonymise_nightly(now)


def record_tick() -> None:
    """Count this tick and keep its time (for /metrics); of two ticks at once (two
    clocks by mistake) one may go uncounted."""
    now = utcnow()
    row = db.session.get(OfficeSetting, TICKS_KEY)
    if row is None:
        db.session.add(OfficeSetting(key=TICKS_KEY, value=f"1 {now.isoformat()}"))
    else:
        count, _last = _ticks(row.value)
        db.session.execute(
            sa.update(OfficeSetting)
            .where(OfficeSetting.key == TICKS_KEY, OfficeSetting.value == row.value)
            .values(value=f"{count + 1} {now.isoformat()}")
        )
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()


def tick_record() -> tuple[int, datetime | None]:
    """How many ticks ran, and when the last one did (None: never)."""
    row = db.session.get(OfficeSetting, TICKS_KEY)
    return _ticks(row.value) if row is not None else (0, None)


def _ticks(value: str) -> tuple[int, datetime | None]:
    count, _, last = value.partition(" ")
    try:
        return int(count), datetime.fromisoformat(last)
    except ValueError:
        return 0, None


def poll_bounces_when_due(now: datetime | None = None) -> bool:
    """Enqueue a poll of the bounce mailbox when `KKP_BOUNCE_IMAP_URL` is set and the
    last one lies `KKP_BOUNCE_POLL_SECONDS` back (less half a tick, as ticks wander);
    True if enqueued. One worker claims it, whichever ticks."""
    if not current_app.config.get("KKP_BOUNCE_IMAP_URL"):
        return False
    now = now or utcnow()
    wait = timedelta(seconds=current_app.config["KKP_BOUNCE_POLL_SECONDS"] - TICK_SECONDS / 2)

    def due(last: str) -> bool:
        try:
            return now - datetime.fromisoformat(last) >= wait
        except (TypeError, ValueError):
            return True

    return _claim(BOUNCE_POLL_KEY, now.isoformat(), due, then=poll_bounce_mailbox.send)


def anonymise_nightly(now: datetime | None = None) -> list[int] | None:
    """Anonymise the due events once per Berlin day, from `NIGHTLY_HOUR` on; None when
    it is not the time or the day's run was claimed already (one primary-key read)."""
    local = (now or utcnow()).astimezone(BERLIN)
    if local.hour < NIGHTLY_HOUR or not _claim_day(local.date().isoformat()):
        return None
    return anonymise_due(now)


def _claim_day(day: str) -> bool:
    """Mark `day` as the last day of the run; False if it was marked already."""
    return _claim(RETENTION_DAY_KEY, day, lambda last: last != day)


def _claim(
    key: str, value: str, due: Callable[[str], bool], then: Callable[[], None] | None = None
) -> bool:
    """Set the office setting `key` to `value` when `due(its value)` (or it is unset),
    call `then` in the same transaction and commit; False when it was not due or
    another worker claimed it first."""
    row = db.session.get(OfficeSetting, key)
    if row is not None and not due(row.value):
        return False
    if row is None:
        db.session.add(OfficeSetting(key=key, value=value))
        claimed = 1
    else:  # two workers ticking at once: only one changes the row
        claimed = db.session.execute(
            sa.update(OfficeSetting)
            .where(OfficeSetting.key == key, OfficeSetting.value == row.value)
            .values(value=value)
        ).rowcount
    if claimed and then is not None:
        then()
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return bool(claimed)


def clock(app, *, ticks: int | None = None, interval: float = TICK_SECONDS) -> None:
    """Enqueue a tick every `interval` seconds; `ticks` bounds the loop (tests)."""
    count = 0
    log.info("clock started: a tick every %s s", interval)
    while ticks is None or count < ticks:
        started = time.monotonic()
        try:
            with app.app_context():
                scheduler_tick.send_now()
        except Exception:  # noqa: BLE001 - the clock must keep ticking
            log.exception("could not enqueue the scheduler tick; trying again next minute")
        count += 1
        if ticks is not None and count >= ticks:
            break
        time.sleep(max(0.0, interval - (time.monotonic() - started)))
