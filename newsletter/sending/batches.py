"""The batch writer: the next subscribers by keyset, a delivery row for each, the
cursor advanced, and chunks enqueued for the new rows."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter.models import DeliveryKind, Issue, IssueStatus, Subscriber
from newsletter.sending.progress import check_finished
from newsletter.sending.recipients import confirmed_recipients, lists_of
from newsletter.tasks import send_issue_chunk, write_issue_batch

#: when the batch writer finds the issue row locked, it looks again after (ms)
LOCKED_RETRY_MS = 200


def id_ranges(ids: list[int]):
    size = current_app.config["KKP_ISSUE_CHUNK_SIZE"]
    for i in range(0, len(ids), size):
        part = ids[i : i + size]
        yield part[0], part[-1]


def chunk_ranges(*where) -> list[tuple[int, int]]:
    """(first id, last id) of each chunk of the deliveries `where` selects, in id order,
    numbered and grouped by the database: at a million queued rows (a resume, the
    sweeper after an outage) no id passes through Python, only a row per chunk."""
    size = current_app.config["KKP_ISSUE_CHUNK_SIZE"]
    numbered = (
        sa.select(
            Delivery.id,
            (sa.func.row_number().over(order_by=Delivery.id) - 1).label("n"),
        )
        .where(*where)
        .subquery()
    )
    first = sa.func.min(numbered.c.id)
    return [
        (row[0], row[1])
        for row in db.session.execute(
            sa.select(first, sa.func.max(numbered.c.id))
            .group_by(numbered.c.n // size)
            .order_by(first)
        )
    ]


def _write_deliveries(issue_id: int, after: int, upto: int, list_ids: list[int]) -> None:
    """One INSERT … SELECT: a delivery row for every recipient with an id in
    (after, upto], none twice. No row passes through Python."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    rows = confirmed_recipients(
        issue_id, after=after, upto=upto, list_ids=list_ids
    ).with_only_columns(
        sa.literal(DeliveryKind.ISSUE, sa.String),
        sa.literal(issue_id, sa.Integer),
        Subscriber.id,
        Subscriber.email,
        sa.literal({}, Delivery.params.type),
        sa.literal(DeliveryStatus.QUEUED, sa.String),
        sa.literal(0, sa.Integer),
        sa.literal(now, Delivery.created_at.type),
        sa.literal(now, Delivery.updated_at.type),
    )
    columns = ["kind", "issue_id", "subscriber_id", "recipient", "params", "status",
               "attempts", "created_at", "updated_at"]  # fmt: skip
    db.session.execute(insert(Delivery).from_select(columns, rows).on_conflict_do_nothing())


@write_issue_batch.runs
def write_batch(issue_id: int, cursor: int | None = None) -> str:
    """Write the next batch of delivery rows and enqueue their sending. Idempotent:
    `cursor` is where the batch should start; a copy that finds the issue past it stops."""
    query = sa.select(Issue).where(Issue.id == issue_id)
    on_postgresql = db.session.get_bind().dialect.name == "postgresql"
    if on_postgresql:
        # FOR NO KEY UPDATE: another writer, an editor's pause and a chunk recording a
        # failure wait for it, but not the chunks' own writes to their deliveries, which
        # check the issue's key (FOR KEY SHARE) when their row was changed earlier in
        # the same transaction (the claim, then the mark): FOR UPDATE held every chunk
        # up for as long as this batch took.
        query = query.with_for_update(skip_locked=True, key_share=True)
    issue = db.session.execute(query).scalar_one_or_none()
    if issue is None and on_postgresql and db.session.get(Issue, issue_id) is not None:
        # Someone holds the row for a moment (an editor pausing, a chunk recording a
        # failure, another copy of this message): look again shortly, never wait here.
        # A copy that comes too late is told apart by the cursor.
        db.session.rollback()
        write_issue_batch.send_now(issue_id, cursor, delay=LOCKED_RETRY_MS)
        return "locked"
    if issue is None or (cursor is not None and issue.last_subscriber_id != cursor):
        db.session.rollback()
        return "busy"  # gone, or this batch was written by a copy of this message
    if issue.status != IssueStatus.SENDING or issue.last_subscriber_id >= issue.max_subscriber_id:
        db.session.rollback()
        return issue.status
    cursor = issue.last_subscriber_id
    size = current_app.config["KKP_ISSUE_BATCH_SIZE"]
    list_ids = lists_of(issue.id)
    ids_in_batch = (
        confirmed_recipients(
            issue.id, after=cursor, upto=issue.max_subscriber_id, list_ids=list_ids
        )
        .with_only_columns(Subscriber.id)
        .order_by(Subscriber.id)
        .limit(size)
        .subquery()
    )
    found, last = db.session.execute(
        sa.select(sa.func.count(), sa.func.max(ids_in_batch.c.id))
    ).one()
    new_cursor = last if found == size else issue.max_subscriber_id
    if found:
        _write_deliveries(issue.id, cursor, new_cursor, list_ids)
    # Advance only from where this batch started: a second writer finds 0 rows.
    moved = db.session.execute(
        sa.update(Issue)
        .where(
            Issue.id == issue.id,
            Issue.last_subscriber_id == cursor,
            Issue.status == IssueStatus.SENDING,
        )
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
            Delivery.status == DeliveryStatus.QUEUED,
            Delivery.subscriber_id > cursor,
            Delivery.subscriber_id <= new_cursor,
        )
        .order_by(Delivery.id)
    ).all()
    for first, last in id_ranges(ids):
        send_issue_chunk.send(issue.id, first, last)
    through = new_cursor >= issue.max_subscriber_id
    if not through:
        write_issue_batch.send(issue.id, new_cursor)
    db.session.commit()  # (the commit expires the issue: not read again below)
    if through and not ids:
        # The last batch, without rows: nothing else will find the issue finished.
        # (With rows, their chunks do: they see them only after this commit.)
        check_finished(issue_id)
    return "written"
