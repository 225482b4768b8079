"""The chunk sender: read a chunk's queued rows, and stretch by stretch claim them, fill
each recipient's parts into the prepared message and hand them to the mail server over
one connection (see :mod:`newsletter.sending.stretches`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from email.utils import format_datetime

import dramatiq
import sqlalchemy as sa
from flask import current_app

from kkp.db import one_of, utcnow
from kkp.extensions import db
from kkp.mail import dkim, reasons, throttle
from kkp.mail.models import Delivery, DeliveryStatus
from kkp.mail.operations import MAX_ATTEMPTS
from kkp.mail.transport import Pipeline, transport_for
from kkp.mail.verp import return_paths
from newsletter.models import Subscriber
from newsletter.sending import statements
from newsletter.sending.messages import message_id_suffix, prepared_for, recipient_for
from newsletter.sending.progress import check_finished
from newsletter.sending.recipients import confirmed_recipients
from newsletter.sending.stretches import (
    HELD,
    Stretch,
    mark_submitting,
    next_stretch,
    pause_for_settings,
    pause_if_failing,
    record,
)
from newsletter.tasks import send_issue_chunk
from people.addresses import suppressed_among

log = logging.getLogger(__name__)


#: a chunk's stretch (messages): it is marked "submitting" before any of it goes to the
#: mail server, recorded after, and then the chunk looks whether its issue was paused or
#: cancelled. After a crash, at most one stretch per worker thread is in doubt (shown as
#: interrupted, never sent again); pause and cancel take effect within one. 100 is about
#: half a second of a worker thread's sending at 3,500 messages a second (16 threads);
#: 50 cost 7 % more of the send's CPU in statements and commits.
STATUS_CHECK_EVERY = 100


#: a chunk shows the sweeper it is alive at least this often (seconds) while it sends
TOUCH_EVERY = 60.0


#: an interrupted chunk tries this long (seconds) to record what it did while the database
#: is out of reach, every `RECORD_RETRY_EVERY` seconds
RECORD_PATIENCE = 60.0
RECORD_RETRY_EVERY = 0.5


class RetryLater(dramatiq.Retry):
    """Some deliveries of a chunk failed for now; Dramatiq retries the chunk later."""


@dataclass
class ChunkCounts:
    """What a chunk did with its deliveries (numbers of deliveries)."""

    sent: int = 0
    #: for good (or in doubt)
    failed: int = 0
    #: failed for now, tried again when the chunk runs again
    retry: int = 0
    #: the subscriber left before it went out
    cancelled: int = 0
    #: never tried: back in the queue
    back: int = 0

    def add(self, stretch: Stretch) -> None:
        self.sent += len(stretch.sent)
        self.failed += len(stretch.failed)
        self.retry += len(stretch.retry)
        self.cancelled += len(stretch.cancelled)
        self.back += len(stretch.back)


@send_issue_chunk.runs
def send_chunk(issue_id: int, first_id: int, last_id: int) -> ChunkCounts:
    """Send the queued deliveries of an issue with ids in [first_id, last_id].

    Raises :class:`RetryLater` when some failed for now, so that the chunk runs again
    later and sends those (and only those).
    """
    app = current_app._get_current_object()
    try:  # settings that stop every delivery: before any row is claimed, not in flight
        transport_for(app)
        dkim.signer_for(app)
        throttle.throttle_for(app)
    except (dkim.DKIMConfigError, ValueError) as exc:
        db.session.rollback()
        pause_for_settings(issue_id, str(exc))
        return ChunkCounts()
    # One statement reads the queued rows, if the issue still sends, and what the chunk
    # needs of the issue: its row is not read (nor its rendered mail, see prepared_for).
    # Each stretch claims its own rows when it marks them (mark_submitting).
    queued = db.session.execute(
        statements.queued(db.session.get_bind().dialect.name),
        {"issue": issue_id, "first": first_id, "last": last_id},
    ).all()
    if not queued:
        db.session.rollback()
        check_finished(issue_id)
        return ChunkCounts()
    queued.sort(key=lambda r: r.id)
    started_at = queued[0].started_at
    messages, list_ids = prepared_for(issue_id, started_at)
    people = {
        row.id: row
        for row in db.session.execute(
            confirmed_recipients(issue_id, list_ids=list_ids).where(
                one_of(Subscriber.id, [r.subscriber_id for r in queued if r.subscriber_id])
            )
        ).all()
    }
    blocked = suppressed_among([p.email for p in people.values()])  # after a bounce
    people = {key: p for key, p in people.items() if p.email not in blocked}
    pipe = Pipeline(transport_for(app))
    return_path_of = return_paths(app)
    id_suffix = message_id_suffix(issue_id, started_at)  # see message_id_for
    message_ids: dict[int, str] = {}  # of the messages handed over, until they are settled
    date = format_datetime(utcnow())
    counts = ChunkCounts()
    retry_later: list[str] = []
    held = {r.id: r.attempts for r in queued}
    touched = time.monotonic()
    stretch = Stretch(held, first_id)
    granted = 0  # messages the send rate still allows without asking
    try:
        for i in range(0, len(queued), STATUS_CHECK_EVERY):
            rows = queued[i : i + STATUS_CHECK_EVERY]
            if i:
                # What went out so far is recorded in the same transaction that marks
                # the next stretch: a crash can leave only that one in doubt.
                retry_later += _counted(stretch, counts)
                marked = next_stretch(issue_id, stretch, rows)
                stretch = Stretch(held, first_id)
            else:
                marked = mark_submitting(issue_id, rows, held)
                db.session.commit()
            if marked is None:  # paused or cancelled meanwhile
                stretch.back.extend(r.id for r in queued[i:])
                break
            owned, stretch.failures_seen = marked  # (`held` has their attempts)
            for j, row in enumerate(rows):
                if row.id not in owned:  # another copy of this chunk took it meanwhile
                    continue
                person = people.get(row.subscriber_id)
                if person is None:  # left, deleted or suppressed since the batch was written
                    stretch.cancelled.append(row.id)
                    continue
                if granted == 0:
                    granted = throttle.acquire(
                        len(queued) - i - j, waiting=lambda: _in_flight(queued)
                    )
                granted -= 1
                try:
                    recipient = recipient_for(person, list_ids, f"<{row.id}{id_suffix}")
                    locale_message = messages.get(person.locale, messages["de"])
                    data = dkim.sign(app, locale_message.message(recipient, date=date))
                except Exception as exc:  # noqa: BLE001 - this recipient's alone
                    error = reasons.reason(reasons.UNBUILDABLE, _what(exc))
                    stretch.fail(row.id, error, server=False)
                    log.warning("issue %s delivery %s not built: %r", issue_id, row.id, exc)
                    continue
                if time.monotonic() - touched > TOUCH_EVERY:
                    # a slow server: show the sweeper that this chunk is alive
                    _in_flight(queued)
                    touched = time.monotonic()
                message_ids[row.id] = recipient.message_id
                pipe.send(
                    row.id,
                    data,
                    envelope_from=return_path_of(row.id),
                    recipients=[row.recipient],
                    dot_safe=True,  # PreparedIssue encodes a dot that starts a line
                )
                lost = _settled(issue_id, pipe, stretch, message_ids, held)
                if lost is not None:
                    # The server is out of reach: nobody in the rest was tried.
                    stretch.back.extend(r.id for r in queued[i + j + 1 :])
                    stretch.retry_error = lost
                    break
            else:
                pipe.flush()  # the stretch's last answer, before it is recorded
                _settled(issue_id, pipe, stretch, message_ids, held)
                continue
            break  # the server is out of reach
    except BaseException:
        # Whatever stops the chunk (a time limit, a lost database) must not leave what
        # went out unrecorded: the rows tried keep their outcome, the one being handed
        # over is in doubt (not sent again), the rest go back to the queue untried.
        _settled(issue_id, pipe, stretch, message_ids, held)
        decided = stretch.decided()
        in_flight = [k for k in pipe.in_flight if k not in decided]
        _give_back(issue_id, queued, stretch, counts, in_flight)
        raise
    retry_later += _counted(stretch, counts)
    # the last stretch is recorded, and again if the database was gone meanwhile
    # (recording is idempotent)
    _patiently(lambda: _close(issue_id, stretch, finish=not retry_later))
    if retry_later:
        raise RetryLater(
            f"issue {issue_id}: deliveries in {first_id}-{last_id} to try again: " + retry_later[-1]
        )
    return counts


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _settled(issue_id: int, pipe: Pipeline, stretch: Stretch, message_ids, held) -> str | None:
    """Enter the outcomes the mail server gave since the last look into the stretch;
    return the error when the server is out of reach (the message it names went back
    to the queue untried)."""
    lost = None
    for delivery_id, exc in pipe.take():
        message_id = message_ids.pop(delivery_id)
        if exc is None:
            stretch.sent.append((delivery_id, message_id))
            stretch.any_sent = True
            stretch.streak = 0
            continue
        error = str(exc)[:2000]
        if exc.in_doubt:  # lost after handing it over: may have arrived
            stretch.fail(delivery_id, error, server=False)
        elif exc.connection:
            stretch.back.append(delivery_id)
        elif exc.permanent or held[delivery_id] >= MAX_ATTEMPTS:
            stretch.fail(delivery_id, error)
        else:
            stretch.retry.append((delivery_id, error))
            stretch.streak += 1
        if exc.connection:
            lost = error
        else:
            log.warning("issue %s delivery %s failed: %s", issue_id, delivery_id, error)
    return lost


def _give_back(
    issue_id: int, queued, stretch: Stretch, counts: ChunkCounts, in_flight: list[int]
) -> None:
    """Record what the interrupted chunk did. When the database is what is gone (a
    restart), try again until it is back, for at most `RECORD_PATIENCE` seconds (and
    half the sweeper's stale time): what went out meanwhile is recorded as sent, not
    left for the sweeper to settle as in doubt."""
    for doubtful in in_flight:
        stretch.fail(doubtful, reasons.reason(reasons.INTERRUPTED), server=False)
    decided = stretch.decided()
    # rows of earlier stretches are recorded already (the UPDATE leaves them be)
    stretch.back.extend(r.id for r in queued if r.id not in decided)
    try:
        db.session.rollback()
        _patiently(lambda: _flush(issue_id, stretch, counts))
    except Exception:  # noqa: BLE001 - the sweeper settles what this could not record
        log.exception("issue %s: could not record what the interrupted chunk did", issue_id)
        db.session.rollback()


#: what a lost or restarting database raises
_DATABASE_GONE = (sa.exc.OperationalError, sa.exc.DisconnectionError, sa.exc.InterfaceError)


def _patiently(write):
    """`write()`, tried again while the database is out of reach (for at most
    `RECORD_PATIENCE` seconds and half the sweeper's stale time)."""
    stale = current_app.config["KKP_DELIVERY_STALE_MINUTES"] * 60
    deadline = time.monotonic() + min(RECORD_PATIENCE, stale / 2)
    while True:
        try:
            return write()
        except _DATABASE_GONE:
            db.session.rollback()
            if time.monotonic() >= deadline:
                raise
            time.sleep(RECORD_RETRY_EVERY)  # poll until the database is back


def _close(issue_id: int, stretch: Stretch, *, finish: bool) -> None:
    """Record the chunk's last stretch; then, in a transaction of its own, mark the issue
    sent if nothing is left. Not in one transaction: two chunks ending at once would each
    see the other's rows still in flight, and neither would mark it."""
    record(issue_id, stretch, commit=False)
    if stretch.streak:
        pause_if_failing(issue_id, stretch, commit=False)
    db.session.commit()
    if finish:
        check_finished(issue_id)


def _flush(issue_id: int, stretch: Stretch, counts: ChunkCounts) -> list[str]:
    """Record a stretch of the chunk; return the errors that call for a retry."""
    record(issue_id, stretch)
    return _counted(stretch, counts)


def _counted(stretch: Stretch, counts: ChunkCounts) -> list[str]:
    """Add a stretch to the chunk's counts; return the errors that call for a retry."""
    counts.add(stretch)
    errors = [e for _, e in stretch.retry]
    if stretch.retry_error:
        errors.append(stretch.retry_error)
    return errors


def _in_flight(queued) -> None:
    """A chunk waiting for the send rate is alive: its rows (sent ones too, recorded at
    the end of their stretch, and those it has not claimed yet) must not look stale to
    the sweeper."""
    db.session.execute(
        sa.update(Delivery)
        .where(
            one_of(Delivery.id, [r.id for r in queued]),
            Delivery.status.in_((DeliveryStatus.QUEUED, *HELD)),
        )
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
