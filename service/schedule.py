"""The scheduler: a tick a minute enqueues `scheduler_tick`, which runs what is due.

Every job here is idempotent, so a tick that runs twice (two clocks by mistake, a
retry) changes nothing twice.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from events.courses import expire_booking_holds
from events.operations import send_due_reminders
from events.registrations import expire_holds
from kkp.extensions import db
from kkp.mail.operations import sweep_stale
from kkp.tasks import task
from newsletter import sending
from newsletter.operations import purge_unconfirmed

log = logging.getLogger(__name__)

TICK_SECONDS = 60

#: claim and run what is due; enqueued once a minute by the clock
scheduler_tick = task("scheduler_tick", max_retries=0)


@scheduler_tick.runs
def run_due(now: datetime | None = None) -> None:
    """Run every job that is due at `now` (default: the current time)."""
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
