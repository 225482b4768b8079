"""How many of an issue's deliveries went out, kept per chunk beside the deliveries (see
:class:`newsletter.models.IssueTally`): what a send's progress reads instead of counting
a million rows that the send keeps changing."""

from __future__ import annotations

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
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(IssueTally)
    db.session.execute(
        insert.values(issue_id=issue_id, chunk=chunk, sent=count).on_conflict_do_update(
            index_elements=[IssueTally.issue_id, IssueTally.chunk],
            set_={"sent": IssueTally.sent + insert.excluded.sent},
        )
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
