"""Sending an issue: a cursor over a frozen subscriber range, delivery rows first,
chunks of them sent over one SMTP connection per worker thread.

1. :func:`start_sending` renders the issue once per language (and its web version,
   see :mod:`newsletter.web_version`), freezes `max_subscriber_id` and enqueues
   :func:`write_batch`.
2. :func:`write_batch` takes the next subscribers by keyset, writes their delivery
   rows, advances the cursor, and enqueues :func:`send_chunk` for the new rows and
   itself while subscribers remain.
3. :func:`send_chunk` claims the queued rows of its id range, fills each recipient's
   parts into the prepared message, sends, and records the outcome.

Pause and cancel are status changes the next batch and chunk see. Every step is
idempotent: rows are claimed with a conditional UPDATE, the cursor advances only from
where the batch started, and a subscriber has one delivery per issue (unique index).
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from datetime import datetime, timedelta
from email.utils import format_datetime

import dramatiq
import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import dkim, reasons, throttle
from kkp.mail.message import sender_address
from kkp.mail.models import Delivery
from kkp.mail.operations import MAX_ATTEMPTS, NotDeliverable, message_builder, queue_delivery
from kkp.mail.transport import DeliveryError, transport_for
from kkp.mail.verp import return_path
from kkp.tokens import make_token
from newsletter.addresses import normalise_email
from newsletter.issues import IssueError, IssueStateError
from newsletter.links import token_payload
from newsletter.models import Issue, Subscriber, Subscription, issue_list
from newsletter.render import PreparedIssue, Recipient, greeting, list_id_header, render_issue
from newsletter.render import sender as sender_of
from newsletter.settings import office_settings
from newsletter.web_version import keep_web_version

log = logging.getLogger(__name__)

ISSUE_KIND = "issue"
TEST_KIND = "issue_test"
LOCALES = ("de", "en")
MAX_TEST_ADDRESSES = 5
#: a chunk's stretch (messages): it is marked "submitting" before any of it goes to the
#: mail server, recorded after, and then the chunk looks whether its issue was paused or
#: cancelled. After a crash, at most one stretch per worker thread is in doubt (shown as
#: interrupted, never sent again); pause and cancel take effect within one.
STATUS_CHECK_EVERY = 50
#: a chunk shows the sweeper it is alive at least this often (seconds) while it sends
TOUCH_EVERY = 60.0
#: when the batch writer finds the issue row locked, it looks again after (ms)
LOCKED_RETRY_MS = 200


class RetryLater(dramatiq.Retry):
    """Some deliveries of a chunk failed for now; Dramatiq retries the chunk later."""


# -- who receives it ---------------------------------------------------------------------


def _recipients(issue_id: int):
    """Confirmed subscribers with a confirmed subscription to one of the issue's lists."""
    on_list = (
        sa.select(Subscription.subscriber_id)
        .join(issue_list, issue_list.c.list_id == Subscription.list_id)
        .where(
            issue_list.c.issue_id == issue_id,
            Subscription.status == "confirmed",
            Subscription.subscriber_id == Subscriber.id,
        )
        .exists()
    )
    return sa.select(Subscriber.id, Subscriber.email, Subscriber.name, Subscriber.locale).where(
        Subscriber.status == "confirmed", on_list
    )


def count_recipients(issue: Issue) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(_recipients(issue.id).subquery())
    )


# -- starting, scheduling ----------------------------------------------------------------


def check_sendable(issue: Issue) -> int:
    """Raise :class:`IssueError` unless the issue can go out; return its recipient count."""
    if issue.status not in ("draft", "scheduled"):
        raise IssueStateError(_("This issue is being sent or was sent already."))
    if not issue.articles:
        raise IssueError(_("The issue has no articles yet; add at least one before sending."))
    if not issue.lists:
        raise IssueError(_("Please choose at least one list to send the issue to."), "lists")
    count = count_recipients(issue)
    if count == 0:
        raise IssueError(_("Nobody on the chosen lists has confirmed a subscription yet."))
    return count


def start_sending(issue: Issue) -> int:
    """Freeze the recipients' range and the rendered mail, and start the batches."""
    from workers.actors import write_issue_batch

    count = check_sendable(issue)
    settings = office_settings()
    issue.rendered = {locale: render_issue(issue, settings, locale) for locale in LOCALES}
    keep_web_version(issue)
    issue.rendered["_meta"] = {
        "sender": sender_of(settings),
        "list_id": list_id_header(issue, _mail_domain(), settings["newsletter_name"]),
    }
    issue.max_subscriber_id = db.session.scalar(sa.select(sa.func.max(Subscriber.id))) or 0
    issue.last_subscriber_id = 0
    issue.to_send = count
    issue.status = "sending"
    issue.started_at = utcnow()
    issue.scheduled_at = issue.scheduled_at or issue.started_at
    issue.consecutive_failures = 0
    issue.pause_reason = None
    db.session.flush()
    audit("issue.send", issue, recipients=count)
    write_issue_batch.send(issue.id)
    log.info("issue %s: sending to %d recipients", issue.id, count)
    return count


def schedule(issue: Issue, when: datetime) -> int:
    """Send at `when` (aware, any zone). The tick after that time starts it."""
    if when <= utcnow():
        raise IssueError(_("Please choose a time in the future."), "scheduled_at")
    count = check_sendable(issue)
    issue.status = "scheduled"
    issue.scheduled_at = when
    db.session.flush()
    audit("issue.schedule", issue, at=when.isoformat())
    return count


def unschedule(issue: Issue) -> None:
    if issue.status != "scheduled":
        raise IssueStateError(_("This issue is not scheduled."))
    issue.status = "draft"
    issue.scheduled_at = None
    db.session.flush()
    audit("issue.unschedule", issue)


def start_due(now: datetime | None = None) -> int:
    """Start every scheduled issue whose time has come (called by the scheduler tick)."""
    now = now or utcnow()
    started = 0
    ids = db.session.scalars(
        sa.select(Issue.id).where(Issue.status == "scheduled", Issue.scheduled_at <= now)
    ).all()
    for issue_id in ids:
        issue = db.session.get(Issue, issue_id)
        try:
            start_sending(issue)
        except IssueError as exc:
            issue.status = "paused"
            issue.pause_reason = str(exc)
            log.warning("scheduled issue %s could not start: %s", issue_id, exc)
        db.session.commit()
        started += 1
    return started


# -- pause, resume, cancel ---------------------------------------------------------------


def pause(issue: Issue, reason: str | None = None) -> None:
    if issue.status != "sending":
        raise IssueStateError(_("Only an issue that is being sent can be paused."))
    issue.status = "paused"
    issue.pause_reason = reason
    db.session.flush()
    audit("issue.pause", issue)


def resume(issue: Issue) -> None:
    """Continue where sending stopped; nobody gets the issue twice."""
    if issue.status != "paused":
        raise IssueStateError(_("Only a paused issue can be resumed."))
    if not issue.rendered:  # a scheduled issue that could not start
        issue.status = "draft"
        start_sending(issue)
        return
    issue.status = "sending"
    issue.pause_reason = None
    issue.consecutive_failures = 0
    db.session.flush()
    audit("issue.resume", issue)
    _enqueue_pending(issue)


def _enqueue_pending(issue: Issue) -> None:
    """Enqueue chunks for the issue's queued deliveries, and the batch writer if needed."""
    from workers.actors import send_issue_chunk, write_issue_batch

    ids = db.session.scalars(
        sa.select(Delivery.id)
        .where(Delivery.issue_id == issue.id, Delivery.status == "queued")
        .order_by(Delivery.id)
    ).all()
    for first, last in _chunks(ids):
        send_issue_chunk.send(issue.id, first, last)
    if issue.last_subscriber_id < issue.max_subscriber_id:
        write_issue_batch.send(issue.id)


def interrupted(issue_id: int):
    """The issue's deliveries left in doubt by a worker that died while handing them
    over (see :func:`sweep`): each may or may not have arrived."""
    return sa.and_(
        Delivery.issue_id == issue_id,
        Delivery.status == "failed",
        sa.or_(
            Delivery.last_error == reasons.INTERRUPTED,
            Delivery.last_error.startswith(reasons.INTERRUPTED + ": "),  # with a detail
        ),
    )


def resend_interrupted(issue: Issue) -> int:
    """The editor's choice: send those in doubt again (some may then have it twice).
    Returns how many go out again."""
    if issue.status not in ("sending", "paused", "sent"):
        raise IssueStateError(_("Only an issue that is or was being sent can do this."))
    ids = db.session.scalars(
        sa.update(Delivery)
        .where(interrupted(issue.id))
        .values(status="queued", last_error=None, updated_at=utcnow())
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not ids:
        return 0
    if issue.status == "sent":
        issue.status = "sending"
        issue.finished_at = None
    db.session.flush()
    audit("issue.resend_interrupted", issue, count=len(ids))
    if issue.status == "sending":
        _enqueue_pending(issue)
    return len(ids)


def cancel(issue: Issue) -> int:
    """Stop for good; what was sent stays sent. Returns the deliveries cancelled."""
    if issue.status not in ("scheduled", "sending", "paused"):
        raise IssueStateError(_("Only a scheduled, paused or running issue can be cancelled."))
    issue.status = "cancelled"
    issue.finished_at = utcnow()
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.issue_id == issue.id, Delivery.status == "queued")
        .values(status="cancelled", updated_at=utcnow())
    )
    db.session.flush()
    audit("issue.cancel", issue, cancelled=result.rowcount)
    return result.rowcount


# -- the batch writer --------------------------------------------------------------------


def _chunks(ids: list[int]):
    size = current_app.config["KKP_ISSUE_CHUNK_SIZE"]
    for i in range(0, len(ids), size):
        part = ids[i : i + size]
        yield part[0], part[-1]


def _write_deliveries(issue_id: int, after: int, upto: int) -> None:
    """One INSERT … SELECT: a delivery row for every recipient with an id in
    (after, upto], none twice. No row passes through Python."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    rows = (
        _recipients(issue_id)
        .where(Subscriber.id > after, Subscriber.id <= upto)
        .with_only_columns(
            sa.literal(ISSUE_KIND, sa.String),
            sa.literal(issue_id, sa.Integer),
            Subscriber.id,
            Subscriber.email,
            sa.literal({}, Delivery.params.type),
            sa.literal("queued", sa.String),
            sa.literal(0, sa.Integer),
            sa.literal(now, Delivery.created_at.type),
            sa.literal(now, Delivery.updated_at.type),
        )
    )
    columns = ["kind", "issue_id", "subscriber_id", "recipient", "params", "status",
               "attempts", "created_at", "updated_at"]  # fmt: skip
    db.session.execute(insert(Delivery).from_select(columns, rows).on_conflict_do_nothing())


def write_batch(issue_id: int, cursor: int | None = None) -> str:
    """Write the next batch of delivery rows and enqueue their sending. Idempotent:
    `cursor` is where the batch should start; a copy that finds the issue past it stops."""
    from workers.actors import send_issue_chunk, write_issue_batch

    query = sa.select(Issue).where(Issue.id == issue_id)
    postgresql = db.session.get_bind().dialect.name == "postgresql"
    if postgresql:
        query = query.with_for_update(skip_locked=True)
    issue = db.session.execute(query).scalar_one_or_none()
    if issue is None and postgresql and db.session.get(Issue, issue_id) is not None:
        # Someone holds the row for a moment (an editor pausing, a chunk recording a
        # failure, another copy of this message): look again shortly, never wait here.
        # A copy that comes too late is told apart by the cursor.
        db.session.rollback()
        write_issue_batch.send_now(issue_id, cursor, delay=LOCKED_RETRY_MS)
        return "locked"
    if issue is None or (cursor is not None and issue.last_subscriber_id != cursor):
        db.session.rollback()
        return "busy"  # gone, or this batch was written by a copy of this message
    if issue.status != "sending" or issue.last_subscriber_id >= issue.max_subscriber_id:
        db.session.rollback()
        return issue.status
    cursor = issue.last_subscriber_id
    size = current_app.config["KKP_ISSUE_BATCH_SIZE"]
    ids_in_batch = (
        _recipients(issue.id)
        .with_only_columns(Subscriber.id)
        .where(Subscriber.id > cursor, Subscriber.id <= issue.max_subscriber_id)
        .order_by(Subscriber.id)
        .limit(size)
        .subquery()
    )
    found, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(ids_in_batch.c.id))
    ).one()
    new_cursor = last if found == size else issue.max_subscriber_id
    if found:
        _write_deliveries(issue.id, cursor, new_cursor)
    # Advance only from where this batch started: a second writer finds 0 rows.
    moved = db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue.id, Issue.last_subscriber_id == cursor, Issue.status == "sending")
        .values(last_subscriber_id=new_cursor)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.rollback()
        return "busy"
    ids = db.session.scalars(
        sa.select(Delivery.id)
        .where(
            Delivery.issue_id == issue.id,
            Delivery.status == "queued",
            Delivery.subscriber_id > cursor,
            Delivery.subscriber_id <= new_cursor,
        )
        .order_by(Delivery.id)
    ).all()
    for first, last in _chunks(ids):
        send_issue_chunk.send(issue.id, first, last)
    if new_cursor < issue.max_subscriber_id:
        write_issue_batch.send(issue.id, new_cursor)
    db.session.commit()
    if new_cursor >= issue.max_subscriber_id:
        check_finished(issue_id)
    return "written"


# -- the chunk sender --------------------------------------------------------------------

_prepared: dict[tuple[int, str], dict[str, PreparedIssue]] = {}
_prepared_lock = threading.Lock()


def _mail_domain() -> str:
    return _domain_of(current_app.config["KKP_MAIL_FROM"])


@functools.lru_cache(maxsize=8)
def _domain_of(mail_from: str) -> str:
    return sender_address(mail_from).rpartition("@")[2] or "localhost"


def prepared(issue: Issue) -> dict[str, PreparedIssue]:
    """The issue's prepared messages per language, built once per worker process."""
    key = (issue.id, issue.started_at.isoformat())
    found = _prepared.get(key)
    if found is None:
        meta = issue.rendered["_meta"]
        found = {
            locale: PreparedIssue(
                issue.rendered[locale], sender=meta["sender"], list_id=meta["list_id"]
            )
            for locale in LOCALES
        }
        with _prepared_lock:
            if len(_prepared) > 8:
                _prepared.clear()
            _prepared[key] = found
    return found


def _message_id(delivery_id: int, issue_id: int, started_at: datetime) -> str:
    """The same for every attempt, so a copy sent twice after a crash is one to clients.

    Takes plain values, not the Issue: in a chunk the Issue is expired by every commit,
    and reading an attribute loads its whole row again, the rendered mail included."""
    return f"<{delivery_id}.{issue_id}.{int(started_at.timestamp())}@{_mail_domain()}>"


def _recipient(subscriber, list_ids: list[int], message_id: str) -> Recipient:
    base = current_app.config["KKP_BASE_URL"]
    payload = token_payload(subscriber)  # hashes the address once for both links
    return Recipient(
        email=subscriber.email,
        name=subscriber.name,
        greeting=greeting(subscriber.name, subscriber.locale),
        unsubscribe_url=f"{base}/unsubscribe/"
        + make_token("unsubscribe", {**payload, "l": list_ids}),
        preferences_url=f"{base}/preferences/" + make_token("preferences", payload),
        message_id=message_id,
    )


def send_chunk(issue_id: int, first_id: int, last_id: int) -> dict[str, int]:
    """Send the queued deliveries of an issue with ids in [first_id, last_id].

    Raises :class:`RetryLater` when some failed for now, so that the chunk runs again
    later and sends those (and only those).
    """
    issue = db.session.get(Issue, issue_id)
    if issue is None or issue.status != "sending":
        db.session.rollback()
        return {}
    app = current_app._get_current_object()
    try:  # settings that stop every delivery: before any row is claimed, not in flight
        transport_for(app)
        dkim.signer_for(app)
        throttle.throttle_for(app)
    except (dkim.DKIMConfigError, ValueError) as exc:
        db.session.rollback()
        _pause_for_settings(issue_id, str(exc))
        return {}
    claimed = db.session.execute(
        sa.update(Delivery)
        .where(
            Delivery.issue_id == issue_id,
            Delivery.id.between(first_id, last_id),
            Delivery.status == "queued",
        )
        .values(status="sending", attempts=Delivery.attempts + 1, updated_at=utcnow())
        .returning(Delivery.id, Delivery.subscriber_id, Delivery.recipient, Delivery.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    db.session.commit()
    if not claimed:
        check_finished(issue_id)
        return {}
    claimed.sort(key=lambda r: r.id)
    issue = db.session.get(Issue, issue_id)
    list_ids = [lst.id for lst in issue.lists]
    people = {
        row.id: row
        for row in db.session.execute(
            _recipients(issue_id).where(
                Subscriber.id.in_([r.subscriber_id for r in claimed if r.subscriber_id])
            )
        ).all()
    }
    messages = prepared(issue)
    started_at = issue.started_at
    transport = transport_for(app)
    date = format_datetime(utcnow())
    counts: dict[str, int] = {}
    retry_later: list[str] = []
    held = {r.id: r.attempts for r in claimed}
    touched = time.monotonic()
    stretch = _Stretch(held)
    granted = 0  # messages the send rate still allows without asking
    try:
        for i in range(0, len(claimed), STATUS_CHECK_EVERY):
            rows = claimed[i : i + STATUS_CHECK_EVERY]
            if i:
                # What went out so far is recorded in the same transaction that marks
                # the next stretch: a crash can leave only that one in doubt.
                retry_later += _counted(stretch, counts)
                owned = _turn(issue_id, stretch, rows)
                stretch = _Stretch(held)
                if owned is None:  # paused or cancelled meanwhile
                    stretch.back.extend(r.id for r in claimed[i:])
                    break
            else:
                owned = _submitting(rows)
                db.session.commit()
            for j, row in enumerate(rows):
                if row.id not in owned:  # the sweeper gave it to another chunk meanwhile
                    continue
                person = people.get(row.subscriber_id)
                if person is None:  # left, or deleted, since the batch was written
                    stretch.cancelled.append(row.id)
                    continue
                if granted == 0:
                    granted = throttle.acquire(
                        len(claimed) - i - j, waiting=lambda: _in_flight(claimed)
                    )
                granted -= 1
                try:
                    recipient = _recipient(
                        person, list_ids, _message_id(row.id, issue_id, started_at)
                    )
                    locale_message = messages.get(person.locale, messages["de"])
                    data = dkim.sign(app, locale_message.message(recipient, date=date))
                except Exception as exc:  # noqa: BLE001 - this recipient's alone
                    error = reasons.reason(reasons.UNBUILDABLE, _what(exc))
                    stretch.fail(row.id, error, server=False)
                    log.warning("issue %s delivery %s not built: %r", issue_id, row.id, exc)
                    continue
                if time.monotonic() - touched > TOUCH_EVERY:
                    # a slow server: show the sweeper that this chunk is alive
                    _in_flight(claimed)
                    touched = time.monotonic()
                stretch.handing = row.id
                try:
                    transport.send_bytes(
                        data,
                        envelope_from=return_path(row.id),
                        recipients=[row.recipient],
                        dot_safe=True,  # PreparedIssue encodes a dot that starts a line
                    )
                except DeliveryError as exc:
                    stretch.handing = None
                    error = str(exc)[:2000]
                    if exc.in_doubt:  # lost after handing it over: may have arrived
                        stretch.fail(row.id, error, server=False)
                    if exc.connection:
                        # The server is out of reach: nobody in the rest was tried.
                        rest = claimed[i + j + 1 :] if exc.in_doubt else claimed[i + j :]
                        stretch.back.extend(r.id for r in rest)
                        stretch.retry_error = error
                        break
                    if exc.permanent or row.attempts >= MAX_ATTEMPTS:
                        stretch.fail(row.id, error)
                    else:
                        stretch.retry.append((row.id, error))
                        stretch.streak += 1
                    log.warning("issue %s delivery %s failed: %s", issue_id, row.id, error)
                    continue
                stretch.handing = None
                stretch.sent.append((row.id, recipient.message_id))
                stretch.any_sent = True
                stretch.streak = 0
            else:
                continue
            break  # the server is out of reach
    except BaseException:
        # Whatever stops the chunk (a time limit, a lost database) must not leave what
        # went out unrecorded: the rows tried keep their outcome, the one being handed
        # over is in doubt (not sent again), the rest go back to the queue untried.
        _give_back(issue_id, claimed, stretch, counts)
        raise
    retry_later += _flush(issue_id, stretch, counts)
    if retry_later:
        raise RetryLater(
            f"issue {issue_id}: deliveries in {first_id}-{last_id} to try again: " + retry_later[-1]
        )
    check_finished(issue_id)
    return counts


def _what(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Stretch:
    """What happened to the deliveries of one stretch of a chunk, to be recorded.

    `held`: the chunk's rows and the attempt each was claimed with; a row whose attempt
    has moved on belongs to another chunk now (the sweeper handed it out again)."""

    def __init__(self, held: dict[int, int]):
        self.held = held
        self.sent: list[tuple[int, str]] = []
        self.failed: list[tuple[int, str]] = []
        self.retry: list[tuple[int, str]] = []
        self.cancelled: list[int] = []
        #: never tried: back to the queue without counting the attempt
        self.back: list[int] = []
        self.retry_error: str | None = None
        #: the delivery being handed to the mail server right now
        self.handing: int | None = None
        #: failures since the last success in this stretch, and whether any went out
        self.streak = 0
        self.any_sent = False

    def fail(self, delivery_id: int, error: str, *, server: bool = True) -> None:
        """`server`: the mail server refused it (counts towards pausing the issue)."""
        self.failed.append((delivery_id, error))
        if server:
            self.streak += 1

    def decided(self) -> set[int]:
        return {
            *(i for i, _ in self.sent),
            *(i for i, _ in self.failed),
            *(i for i, _ in self.retry),
            *self.cancelled,
            *self.back,
        }


def _submitting(rows) -> set[int]:
    """Mark a stretch as being handed to the mail server, before any of it is.

    After a crash the sweeper finds these rows in "submitting" and does not hand them
    out again (they may have arrived); rows still in "sending" were never tried. Returns
    the rows this chunk still holds (the sweeper may have handed stale ones to another).
    The caller commits."""
    owned = db.session.scalars(
        sa.update(Delivery)
        .where(_held_by(rows), Delivery.status == "sending")
        .values(status="submitting", updated_at=utcnow())
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    return set(owned)


def _held_by(rows):
    """The rows among `rows` still at the attempt this chunk claimed them with.

    A chunk's rows were claimed together, so nearly always at one attempt: one IN per
    attempt is far cheaper to build than an IN over (id, attempt) pairs."""
    by_attempt: dict[int, list[int]] = {}
    for r in rows:
        by_attempt.setdefault(r.attempts, []).append(r.id)
    return sa.or_(
        *(
            sa.and_(Delivery.id.in_(ids), Delivery.attempts == attempt)
            for attempt, ids in by_attempt.items()
        )
    )


def _turn(issue_id: int, stretch: _Stretch, rows) -> set[int] | None:
    """Between two stretches, in one transaction: record what the last one did, look
    whether the issue still sends, and if so mark the next one as being handed over.

    Returns the rows of the next stretch this chunk still holds, or None when the issue
    was paused or cancelled (by an editor, or just now for failing)."""
    _record(issue_id, stretch, commit=False)
    if stretch.streak:
        _pause_if_failing(issue_id, stretch, commit=False)
    status = db.session.scalar(sa.select(Issue.status).where(Issue.id == issue_id))
    owned = _submitting(rows) if status == "sending" else None
    db.session.commit()
    return owned


def _give_back(issue_id: int, claimed, stretch: _Stretch, counts: dict) -> None:
    try:
        db.session.rollback()
        doubtful = stretch.handing
        if doubtful is not None:
            stretch.fail(doubtful, reasons.reason(reasons.INTERRUPTED), server=False)
        decided = stretch.decided()
        # rows of earlier stretches are recorded already (the UPDATE leaves them be)
        stretch.back.extend(r.id for r in claimed if r.id not in decided)
        _flush(issue_id, stretch, counts)
    except Exception:  # noqa: BLE001 - the sweeper settles what this could not record
        log.exception("issue %s: could not record what the interrupted chunk did", issue_id)
        db.session.rollback()


def _flush(issue_id: int, stretch: _Stretch, counts: dict) -> list[str]:
    """Record a stretch of the chunk; return the errors that call for a retry."""
    _record(issue_id, stretch)
    return _counted(stretch, counts)


def _counted(stretch: _Stretch, counts: dict) -> list[str]:
    """Add a stretch to the chunk's counts; return the errors that call for a retry."""
    for key in ("sent", "failed", "retry", "cancelled", "back"):
        counts[key] = counts.get(key, 0) + len(getattr(stretch, key))
    errors = [e for _, e in stretch.retry]
    if stretch.retry_error:
        errors.append(stretch.retry_error)
    return errors


#: a delivery this chunk holds: claimed, or being handed to the mail server
_HELD = ("sending", "submitting")


def _in_flight(claimed) -> None:
    """A chunk waiting for the send rate is alive: its rows (sent ones too, recorded at
    the end of their stretch) must not look stale to the sweeper."""
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id.in_([r.id for r in claimed]), Delivery.status.in_(_HELD))
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _record(issue_id: int, stretch: _Stretch, *, commit: bool = True) -> None:
    """Write what a stretch did; with `commit`, end the transaction and pause the issue
    if it keeps failing (else the caller does both)."""
    now = utcnow()
    if stretch.sent:
        # One statement for the stretch: the Message-IDs differ only in the delivery id
        # (see _message_id), so the database writes them from the id.
        first_id, first_message_id = stretch.sent[0]
        suffix = first_message_id[len(f"<{first_id}") :]
        db.session.execute(
            sa.update(Delivery)
            .where(Delivery.id.in_([i for i, _ in stretch.sent]))
            .values(
                status="sent",
                sent_at=now,
                updated_at=now,
                last_error=None,
                message_id=sa.literal("<", sa.String)
                + sa.cast(Delivery.id, sa.String)
                + sa.literal(suffix, sa.String),
            )
            .execution_options(synchronize_session=False)
        )

    def row(i: int, status: str, error: str | None) -> dict:
        return {"id": i, "status": status, "last_error": error, "updated_at": now}

    rows = (
        [row(i, "failed", e) for i, e in stretch.failed]
        + [row(i, "queued", e) for i, e in stretch.retry]
        + [row(i, "cancelled", reasons.UNSUBSCRIBED) for i in stretch.cancelled]
    )
    if rows:
        db.session.execute(sa.update(Delivery), rows)
    if stretch.back:
        # never tried: back to the queue without counting the attempt
        db.session.execute(
            sa.update(Delivery)
            .where(
                sa.tuple_(Delivery.id, Delivery.attempts).in_(
                    [(i, stretch.held[i]) for i in stretch.back]
                ),
                Delivery.status.in_(_HELD),
            )
            .values(
                status="queued",
                attempts=Delivery.attempts - 1,
                updated_at=now,
                last_error=stretch.retry_error,
            )
            .execution_options(synchronize_session=False)
        )
    if stretch.back or stretch.retry:
        # Cancelled while this chunk ran: what it gives back stays out of the queue.
        cancelled = sa.select(Issue.status).where(Issue.id == issue_id).scalar_subquery()
        db.session.execute(
            sa.update(Delivery)
            .where(
                Delivery.issue_id == issue_id,
                Delivery.status == "queued",
                cancelled == "cancelled",
            )
            .values(status="cancelled", updated_at=now)
            .execution_options(synchronize_session=False)
        )
    streak = stretch.streak
    if stretch.any_sent or streak:
        failures = streak if stretch.any_sent else Issue.consecutive_failures + streak
        # Only when the count changes: an UPDATE that matches locks the issue row, and
        # every chunk writing 0 over 0 would keep the batch writer waiting for it.
        db.session.execute(
            sa.update(Issue)
            .where(Issue.id == issue_id, Issue.consecutive_failures != failures)
            .values(consecutive_failures=failures)
            .execution_options(synchronize_session=False)
        )
    if not commit:
        return
    db.session.commit()
    if streak:
        _pause_if_failing(issue_id, stretch)


def _pause_if_failing(issue_id: int, stretch: _Stretch, *, commit: bool = True) -> None:
    limit = current_app.config["KKP_ISSUE_PAUSE_AFTER_FAILURES"]
    failures = db.session.scalar(sa.select(Issue.consecutive_failures).where(Issue.id == issue_id))
    if failures is None or failures < limit:
        if commit:
            db.session.commit()
        return
    last_error = reasons.describe((stretch.failed or stretch.retry)[-1][1])
    reason = _(
        "Paused automatically after %(n)d failed deliveries in a row. The mail server "
        "last answered: %(answer)s",
        n=failures,
        answer=last_error,
    )
    paused = db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue_id, Issue.status == "sending")
        .values(status="paused", pause_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if commit:
        db.session.commit()
    if paused.rowcount:
        log.warning("issue %s paused after %d failures in a row", issue_id, failures)


def _pause_for_settings(issue_id: int, error: str) -> None:
    """A mail setting is wrong (DKIM key, send rate, SMTP URL): nothing can go out until
    it is fixed, so the issue waits, paused, with the error as the reason."""
    paused = db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue_id, Issue.status == "sending")
        .values(status="paused", pause_reason=error[:2000])
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if paused.rowcount:
        log.error("issue %s paused: %s", issue_id, error)


def check_finished(issue_id: int) -> bool:
    """Mark the issue sent once the cursor is through and nothing is queued or in flight."""
    pending = (
        sa.select(Delivery.id)
        .where(Delivery.issue_id == issue_id, Delivery.status.in_(("queued", *_HELD)))
        .exists()
    )
    done = db.session.execute(
        sa.update(Issue)
        .where(
            Issue.id == issue_id,
            Issue.status == "sending",
            Issue.last_subscriber_id >= Issue.max_subscriber_id,
            ~pending,
        )
        .values(status="sent", finished_at=utcnow(), pause_reason=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if done.rowcount:
        log.info("issue %s: sending finished", issue_id)
    return bool(done.rowcount)


def sweep(stale_minutes: float | None = None) -> int:
    """Settle the deliveries of issues that are stuck (a worker died, a chunk gave up its
    retries), hand out again those never tried, and finish issues whose last chunk died.
    Returns the chunks enqueued.

    Nothing that may have reached the mail server is handed out again: rows left in
    "submitting" are recorded as interrupted. A row is handed out at most
    `MAX_ATTEMPTS` times, then failed and shown."""
    from workers.actors import send_issue_chunk, write_issue_batch

    if stale_minutes is None:
        stale_minutes = current_app.config["KKP_DELIVERY_STALE_MINUTES"]
    stale = utcnow() - timedelta(minutes=stale_minutes)
    recently = utcnow() - timedelta(days=1)
    issues = db.session.execute(
        sa.select(Issue.id, Issue.status).where(
            sa.or_(
                Issue.status.in_(("sending", "paused")),
                # a chunk of a cancelled issue may have died with rows in its hands
                sa.and_(Issue.status == "cancelled", Issue.finished_at >= recently),
            )
        )
    ).all()
    enqueued = 0
    for issue_id, status in issues:
        requeued = _settle_stale(issue_id, stale, cancelled=status == "cancelled")
        if status != "sending":
            continue
        waiting = db.session.scalars(
            sa.select(Delivery.id).where(
                Delivery.issue_id == issue_id,
                Delivery.status == "queued",
                Delivery.updated_at < stale,
            )
        ).all()
        db.session.commit()
        ids = sorted({*requeued, *waiting})
        for first, last in _chunks(ids):
            send_issue_chunk.send_now(issue_id, first, last)
            enqueued += 1
        issue = db.session.get(Issue, issue_id)
        if issue.last_subscriber_id < issue.max_subscriber_id and issue.updated_at < stale:
            write_issue_batch.send_now(issue_id)
        check_finished(issue_id)
    return enqueued


def _settle_stale(issue_id: int, stale: datetime, *, cancelled: bool) -> list[int]:
    """One issue's stale rows: in doubt → failed (interrupted); tried too often → failed;
    claimed but never tried → back to the queue (or cancelled with the issue). Returns
    the rows put back in the queue."""
    now = utcnow()
    mine = sa.and_(Delivery.issue_id == issue_id, Delivery.updated_at < stale)

    def settle(where, **values) -> int:
        return db.session.execute(
            sa.update(Delivery)
            .where(mine, *where)
            .values(updated_at=now, **values)
            .execution_options(synchronize_session=False)
        ).rowcount

    doubtful = settle(
        [Delivery.status == "submitting"],
        status="failed",
        last_error=reasons.reason(reasons.INTERRUPTED),
    )
    requeued: list[int] = []
    if cancelled:
        settle([Delivery.status.in_(("queued", "sending"))], status="cancelled")
    else:
        given_up = settle(
            [Delivery.status.in_(("queued", "sending")), Delivery.attempts >= MAX_ATTEMPTS],
            status="failed",
            last_error=sa.literal(reasons.GAVE_UP + ": ")
            + sa.func.coalesce(Delivery.last_error, ""),
        )
        requeued = db.session.scalars(
            sa.update(Delivery)
            .where(mine, Delivery.status == "sending")
            .values(status="queued", updated_at=now)
            .returning(Delivery.id)
            .execution_options(synchronize_session=False)
        ).all()
        if doubtful or given_up:
            log.warning(
                "issue %s: %d deliveries interrupted while handed over, %d given up",
                issue_id,
                doubtful,
                given_up,
            )
    db.session.commit()
    return requeued


# -- progress ----------------------------------------------------------------------------


def progress(issue: Issue) -> dict:
    """Sent of total, rate over the last half minute, failures, estimated time left."""
    counts = dict(
        db.session.execute(
            sa.select(Delivery.status, sa.func.count())
            .where(Delivery.issue_id == issue.id)
            .group_by(Delivery.status)
        ).all()
    )
    now = utcnow()
    window = 30
    recent = db.session.scalar(
        sa.select(sa.func.count()).where(
            Delivery.issue_id == issue.id,
            Delivery.status == "sent",
            Delivery.sent_at >= now - timedelta(seconds=window),
        )
    )
    if issue.started_at and (now - issue.started_at).total_seconds() < window:
        window = max(1, int((now - issue.started_at).total_seconds()))
    rate = recent / window if issue.status == "sending" else 0.0
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    cancelled = counts.get("cancelled", 0)
    total = max(issue.to_send, sum(counts.values()))
    left = max(0, total - sent - failed - cancelled)
    failures = db.session.execute(
        sa.select(
            Delivery.id,
            Delivery.subscriber_id,
            Delivery.recipient,
            Delivery.last_error,
            Delivery.status,
            Delivery.updated_at,
        )
        .where(
            Delivery.issue_id == issue.id,
            Delivery.last_error.is_not(None),
            Delivery.status.in_(("failed", "queued")),
        )
        .order_by(Delivery.updated_at.desc())
        .limit(50)
    ).all()
    return {
        "status": issue.status,
        "total": total,
        "sent": sent,
        "failed": failed,
        "cancelled": cancelled,
        "pending": sum(counts.get(status, 0) for status in ("queued", *_HELD)),
        "interrupted": db.session.scalar(sa.select(sa.func.count()).where(interrupted(issue.id))),
        "left": left,
        "rate": round(rate, 1),
        "seconds_left": round(left / rate) if rate > 0 else None,
        "pause_reason": issue.pause_reason,
        "started_at": issue.started_at.isoformat() if issue.started_at else None,
        "finished_at": issue.finished_at.isoformat() if issue.finished_at else None,
        "failures": [
            {
                "delivery_id": f.id,
                "subscriber_id": f.subscriber_id,
                "recipient": f.recipient,
                "answer": f.last_error,
                "final": f.status == "failed",
                "at": f.updated_at.isoformat(),
            }
            for f in failures
        ],
    }


# -- test sends ------------------------------------------------------------------------


def test_send(issue: Issue, addresses: list[str]) -> list[int]:
    """Send the issue as it is now to up to five addresses, marked as a test."""
    cleaned = []
    for raw in addresses:
        raw = raw.strip()
        if raw:
            cleaned.append(normalise_email(raw))
    if not cleaned:
        raise IssueError(_("Please enter at least one address."), "addresses")
    if len(set(cleaned)) > MAX_TEST_ADDRESSES:
        raise IssueError(
            _("At most %(n)d addresses for a test, please.", n=MAX_TEST_ADDRESSES), "addresses"
        )
    if not issue.articles:
        raise IssueError(_("The issue has no articles yet; add at least one before sending."))
    ids = [
        queue_delivery(TEST_KIND, address, params={"issue_id": issue.id}).id
        for address in dict.fromkeys(cleaned)
    ]
    audit("issue.test_send", issue, count=len(ids))
    return ids


@message_builder(TEST_KIND)
def test_mail(delivery: Delivery) -> tuple[bytes, str]:
    issue = db.session.get(Issue, delivery.params.get("issue_id") or 0)
    if issue is None:
        raise NotDeliverable("the issue was deleted")
    settings = office_settings()
    subscriber = db.session.scalar(
        sa.select(Subscriber).where(Subscriber.email == delivery.recipient)
    )
    locale = subscriber.locale if subscriber else "de"
    rendered = render_issue(issue, settings, locale)
    rendered["subject"] = "[Test] " + rendered["subject"]
    message = PreparedIssue(
        rendered,
        sender=sender_of(settings),
        list_id=list_id_header(issue, _mail_domain(), settings["newsletter_name"]),
    )
    base = current_app.config["KKP_BASE_URL"]
    message_id = f"<test.{delivery.id}.{issue.id}@{_mail_domain()}>"
    if subscriber is not None:  # a subscriber's own links work in the test too
        recipient = _recipient(subscriber, [lst.id for lst in issue.lists], message_id)
    else:
        recipient = Recipient(
            email=delivery.recipient,
            name="",
            greeting=greeting("", locale),
            unsubscribe_url=f"{base}/subscribe",
            preferences_url=f"{base}/subscribe",
            message_id=message_id,
        )
    return message.message(recipient), recipient.message_id

