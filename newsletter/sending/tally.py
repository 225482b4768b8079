"""How many of an issue's deliveries went out, kept per chunk beside the deliveries (see
:class:`newsletter.models.IssueTally`): what a send's progress reads instead of counting
a million rows that the send keeps changing."""

from __future__ import annotations

import functools

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from kkp.extensions import db
from newsletter.models import IssueTally


def add_sent(issue_id: int, chunk: int, count: int) -> None:
    """Add `count` deliveries that a statement of the chunk just moved to "sent", in the
    same transaction as that statement (so that a write tried again after the database
    was gone, which moves nothing the second time, adds nothing)."""
    if count <= 0:
        return
    db.session.execute(
        _adding(db.session.get_bind().dialect.name),
        {"issue_id": issue_id, "chunk": chunk, "sent": count},
    )


@functools.lru_cache(maxsize=4)
def _adding(dialect: str):
    """The upsert of :func:`add_sent`, built once per dialect (a chunk runs it for each
    of its stretches)."""
    tally = IssueTally.__table__
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(tally)
    return insert.on_conflict_do_update(
        index_elements=[tally.c.issue_id, tally.c.chunk],
        set_={"sent": tally.c.sent + insert.excluded.sent},
    )


def sent_of(issue_ids: list[int]) -> dict[int, int]:
    """The deliveries of each issue that went out, from the tallies."""
    if not issue_ids:
        return {}
    return {
        issue_id: int(sent)
        for issue_id, sent in db.session.execute(
            sa.select(IssueTally.issue_id, sa.func.sum(IssueTally.sent))
            .where(IssueTally.issue_id.in_(issue_ids))
            .group_by(IssueTally.issue_id)
        )
    }
