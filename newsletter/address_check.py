"""Stored addresses that break the address policy (see :mod:`kkp.addresses`).

New addresses are checked at every entrance; these are the ones stored before the
policy existed, or while the relay took SMTPUTF8 and no longer does. The migration
`c4d1e2f3a4b5` rewrote what it could (domains in Unicode as A-labels); what is left is
listed here for the editors (`/admin/subscribers/addresses`) and by `kkp
check-addresses`, with the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from kkp.addresses import MAX_LOCAL_OCTETS, address_problem
from kkp.extensions import db
from kkp.kept import kept
from kkp.mail.transport import transport_for
from newsletter.models import Subscriber


@dataclass(frozen=True)
class StoredAddress:
    id: int
    email: str
    #: why it breaks the policy, for editors (translated)
    problem: str


def suspicious(column, dialect: str):
    """A cheap SQL test that every address breaking the policy passes (and few others):
    characters beyond ASCII, capitals, a length that may hide a long local part, or a
    shape no address has (no @, no dot after it, two dots, a dot at an end, a space)."""
    if dialect == "postgresql":
        not_ascii = sa.func.octet_length(column) != sa.func.char_length(column)
    else:
        not_ascii = sa.func.length(sa.cast(column, sa.LargeBinary)) != sa.func.length(column)
    return sa.or_(
        not_ascii,
        column != sa.func.lower(column),
        sa.func.length(column) > MAX_LOCAL_OCTETS + 2,
        column.not_like("%_@_%._%"),
        *(column.like(p) for p in ("%..%", ".%", "%.", "%.@%", "%@.%", "% %", "%@%@%")),
    )


def check(rows, *, smtputf8: bool) -> list[StoredAddress]:
    found = []
    for row_id, email in rows:
        problem = address_problem(email, smtputf8=smtputf8)
        if problem:
            found.append(StoredAddress(row_id, email, problem))
    return found


def subscribers_breaking_policy() -> list[StoredAddress]:
    """Subscribers whose stored address breaks the policy, by id."""
    dialect = db.session.get_bind().dialect.name
    rows = db.session.execute(
        sa.select(Subscriber.id, Subscriber.email)
        .where(suspicious(Subscriber.email, dialect))
        .order_by(Subscriber.id)
    ).all()
    if not rows:
        return []
    return check(rows, smtputf8=transport_for(current_app).supports_smtputf8())


#: how long (seconds) the subscribers page shows the same count of addresses that break
#: the policy: the check reads every stored address (0.1 s at 100,000), and they change
#: only through old data or the relay's SMTPUTF8; the list itself is always fresh
COUNT_KEPT_SECONDS = 300.0


def count_breaking_policy(*, clock=time.monotonic) -> int:
    """How many subscribers' addresses break the policy, for the subscribers page's hint;
    counted at most once per `COUNT_KEPT_SECONDS` by each process's app, the last count
    shown while it is counted again (a million rows took seconds during a send)."""
    smtputf8 = transport_for(current_app).supports_smtputf8()
    return kept(
        ("address_check.breaking_policy", smtputf8),
        lambda: len(subscribers_breaking_policy()),
        seconds=COUNT_KEPT_SECONDS,
        clock=clock,
        stale_while_counting=True,
    )
