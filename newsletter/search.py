"""Finding subscribers for the editors' list and the CSV export.

One filter (search text, list, status), a count, and keyset pages by id, newest
first: `before=<id>` goes to older subscribers, `after=<id>` to newer ones. Never
OFFSET, so the last of 2,000 pages costs what the first one does.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from kkp.addresses import a_label
from kkp.db import among, contains_pattern
from kkp.extensions import db
from kkp.kept import large_count
from kkp.params import MAX_ID
from kkp.tables import umlaut_spellings
from newsletter.export import ExportRow
from newsletter.models import (
    SUBSCRIBER_STATUSES,
    MailingList,
    Subscriber,
    Subscription,
    SubscriptionStatus,
)

#: subscribers on one page of the list
PAGE_SIZE = 50
#: longest search text taken into account, in characters
MAX_QUERY = 200


@dataclass(frozen=True)
class SubscriberFilter:
    """What the editor asked for; empty values mean "any".

    With a list chosen, `status` is the status on that list; without, the
    subscriber's overall status.
    """

    q: str = ""
    list_id: int | None = None
    status: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> SubscriberFilter:
        """Read `q`, `list` and `status` from query parameters, ignoring nonsense."""
        raw_list = (args.get("list") or "").strip()
        status = (args.get("status") or "").strip()
        query = "".join(c for c in (args.get("q") or "") if c.isprintable())  # no NUL
        return cls(
            q=query.strip()[:MAX_QUERY],
            list_id=int(raw_list)
            if raw_list.isascii() and raw_list.isdigit() and int(raw_list) <= MAX_ID
            else None,
            status=status if status in SUBSCRIBER_STATUSES else None,
        )

    def as_args(self) -> dict[str, str | int]:
        """The filter as query parameters, for links that keep it."""
        args: dict[str, str | int] = {}
        if self.q:
            args["q"] = self.q
        if self.list_id is not None:
            args["list"] = self.list_id
        if self.status:
            args["status"] = self.status
        return args

    @property
    def key(self) -> sa.ColumnElement:
        """The id column pages are keyed on.

        With a list chosen it is the subscription's copy of the id, so that the
        (list_id, status, subscriber_id) index delivers the rows already in order.
        """
        return Subscription.subscriber_id if self.list_id is not None else Subscriber.id

    def apply(self, query: sa.Select) -> sa.Select:
        if self.list_id is not None:
            query = query.join(
                Subscription,
                sa.and_(
                    Subscription.subscriber_id == Subscriber.id,
                    Subscription.list_id == self.list_id,
                ),
            )
            if self.status:
                query = query.where(Subscription.status == self.status)
        elif self.status:
            query = query.where(Subscriber.status == self.status)
        if self.q:
            query = query.where(_matches(self.q))
        return query


def _matches(text: str) -> sa.ColumnElement[bool]:
    """Case-insensitive substring match on address, name and organisation. Addresses
    are stored with their domain as A-label: `bücher.de` finds `xn--bcher-kva.de`."""
    stored = _as_stored(text)
    if db.engine.dialect.name == "postgresql":
        # strpos takes a quarter of the time of ILIKE; addresses are stored lower-case.
        needle = sa.func.lower(text)
        return sa.or_(
            sa.func.strpos(Subscriber.email, needle) > 0,
            *([sa.func.strpos(Subscriber.email, stored) > 0] if stored else []),
            sa.func.strpos(sa.func.lower(Subscriber.name), needle) > 0,
            sa.func.strpos(sa.func.lower(Subscriber.organisation), needle) > 0,
        )
    columns = (Subscriber.email, Subscriber.name, Subscriber.organisation)
    # SQLite folds only ASCII letters in LIKE (and in lower()); umlauts are tried in
    # the spellings German names really use, so "örtel" finds "Örtel".
    patterns = [contains_pattern(v) for v in umlaut_spellings(text)]
    found = [c.like(p, escape="\\") for p in patterns for c in columns]
    if stored:
        found.append(Subscriber.email.like(contains_pattern(stored), escape="\\"))
    return sa.or_(*found)


def _as_stored(text: str) -> str | None:
    """A search text beyond ASCII as a stored address would spell it (its domain part
    as A-label), or None."""
    if text.isascii():
        return None
    local, at, domain = text.lower().rpartition("@")
    try:
        return f"{local}{at}{a_label(domain)}"
    except UnicodeError:
        return None


def total(flt: SubscriberFilter, *, clock=time.monotonic) -> tuple[int, datetime | None]:
    """How many subscribers match the filter, and when they were counted if that was
    not for this view: everyone, in a large list (see :func:`kkp.kept.large_count`)."""
    if flt.as_args():
        return count(flt), None
    return large_count("subscribers.total", lambda: count(flt), lambda n: n, clock=clock)


def count(flt: SubscriberFilter) -> int:
    """How many subscribers match the filter."""
    if flt.list_id is not None and not flt.q:
        # The (list_id, status, subscriber_id) index answers this alone.
        query = sa.select(sa.func.count()).where(Subscription.list_id == flt.list_id)
        if flt.status:
            query = query.where(Subscription.status == flt.status)
        return db.session.scalar(query.select_from(Subscription))
    return db.session.scalar(flt.apply(sa.select(sa.func.count()).select_from(Subscriber)))


#: the columns the list sorts by, by their name in `sort=`; "created" is the id order
SORT_COLUMNS = ("email", "name", "organisation", "status", "created")


@dataclass(frozen=True)
class Sorting:
    """The column the editor sorted by and its direction; newest first unless told."""

    column: str = "created"
    descending: bool = True

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Sorting:
        column = args.get("sort") or ""
        if column not in SORT_COLUMNS:
            return cls()
        default_desc = column == "created"
        direction = args.get("dir") or ""
        return cls(column, direction == "desc" if direction in ("asc", "desc") else default_desc)

    def as_args(self) -> dict[str, str]:
        if self == Sorting():
            return {}
        return {"sort": self.column, "dir": "desc" if self.descending else "asc"}

    def link_args(self, column: str) -> dict[str, str]:
        """Parameters of a column header's link: that column, the other way round if
        it is the sorted one."""
        if column == self.column:
            return {"sort": column, "dir": "asc" if self.descending else "desc"}
        return {"sort": column, "dir": "desc" if column == "created" else "asc"}

    def column_of(self, flt: SubscriberFilter) -> sa.ColumnElement | None:
        """The column rows are sorted by before the key; None: the key alone."""
        if self.column == "created":
            return None
        return getattr(Subscriber, self.column)


@dataclass
class Page:
    subscribers: list[Subscriber] = field(default_factory=list)
    #: id for the link to the previous page (`after=`), None on the first page
    newer: int | None = None
    #: id for the link to the next page (`before=`), None on the last page
    older: int | None = None
    #: which page this is (from 1), and how many there are
    number: int = 1
    pages: int = 1


def _order(flt: SubscriberFilter, sorting: Sorting, forward: bool) -> list:
    """ORDER BY of the display order (`forward`) or its reverse."""
    descending = sorting.descending == forward
    columns = [c for c in (sorting.column_of(flt), flt.key) if c is not None]
    return [c.desc() if descending else c.asc() for c in columns]


def _beyond(flt: SubscriberFilter, sorting: Sorting, cursor: int, forward: bool):
    """Rows after subscriber `cursor` in the display order (`forward`), or before it.
    None when the cursor is gone (then the list starts from its beginning)."""
    key = flt.key
    later = sorting.descending != forward  # True: greater values come next
    column = sorting.column_of(flt)
    if column is None:
        return key > cursor if later else key < cursor
    value = db.session.scalar(sa.select(column).where(Subscriber.id == cursor))
    if value is None:
        return None
    if later:
        return sa.or_(column > value, sa.and_(column == value, key > cursor))
    return sa.or_(column < value, sa.and_(column == value, key < cursor))


def _rows(flt: SubscriberFilter, condition, order: list, limit: int) -> list[Subscriber]:
    query = (
        flt.apply(sa.select(Subscriber))
        .options(selectinload(Subscriber.subscriptions).joinedload(Subscription.mailing_list))
        .order_by(*order)
        .limit(limit)
    )
    if condition is not None:
        query = query.where(condition)
    return list(db.session.scalars(query))


def _exists(flt: SubscriberFilter, condition) -> bool:
    query = flt.apply(sa.select(Subscriber.id)).where(condition).limit(1)
    return db.session.scalar(query) is not None


def page(
    flt: SubscriberFilter,
    *,
    after: int | None = None,
    before: int | None = None,
    size: int = PAGE_SIZE,
    sorting: Sorting | None = None,
    total: int | None = None,
) -> Page:
    """One page in the chosen order (newest first unless told). `before=<id>` is the
    page after that subscriber, `after=<id>` the one before it; `after=0` the last page.
    With `total`, the page also knows its number."""
    sorting = sorting or Sorting()
    if after is not None:
        condition = _beyond(flt, sorting, after, forward=False) if after else None
        rows = _rows(flt, condition, _order(flt, sorting, False), size + 1)
        has_newer = len(rows) > size
        rows = list(reversed(rows[:size]))
        has_older = bool(rows) and _exists(flt, _beyond(flt, sorting, rows[-1].id, True))
    else:
        condition = _beyond(flt, sorting, before, True) if before is not None else None
        rows = _rows(flt, condition, _order(flt, sorting, True), size + 1)
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = (
            bool(rows)
            and condition is not None
            and _exists(flt, _beyond(flt, sorting, rows[0].id, False))
        )
    found = Page(
        subscribers=rows,
        newer=rows[0].id if has_newer else None,
        older=rows[-1].id if has_older else None,
    )
    if total is not None:
        found.pages = max(1, -(-total // size))
        if has_newer and not has_older:  # the last page, which `after=0` fills up
            found.number = found.pages
        elif has_newer:
            ahead = flt.apply(sa.select(sa.func.count()).select_from(Subscriber))
            ahead = ahead.where(_beyond(flt, sorting, rows[0].id, False))
            found.number = db.session.scalar(ahead) // size + 1
    return found


def export_batches(flt: SubscriberFilter, size: int = 2000) -> Iterator[list[ExportRow]]:
    """Every matching subscriber, oldest first, `size` at a time, for the CSV export.

    Each batch is a fresh keyset query on plain rows (Core, no ORM objects), and one
    lookup of the batch's subscriptions (:func:`kkp.db.among`), so memory stays at
    one batch however many subscribers match.
    """
    names = {m.id: (m.position, m.name) for m in db.session.scalars(sa.select(MailingList))}
    columns = (
        flt.key.label("id"),
        Subscriber.email,
        Subscriber.name,
        Subscriber.organisation,
        Subscriber.status,
        Subscriber.created_at,
        Subscriber.confirmed_at,
    )
    connection = db.session.connection()
    confirmed = SubscriptionStatus.CONFIRMED
    last = 0
    while True:
        rows = connection.execute(
            flt.apply(sa.select(*columns).select_from(Subscriber))
            .where(flt.key > last)
            .order_by(flt.key.asc())
            .limit(size)
        ).all()
        if not rows:
            return
        lists: dict[int, list[tuple[tuple[int, str], bool]]] = defaultdict(list)
        for subscriber_id, list_id, status in among(
            sa.select(Subscription.subscriber_id, Subscription.list_id, Subscription.status),
            Subscription.subscriber_id,
            [r[0] for r in rows],
        ):
            lists[subscriber_id].append((names[list_id], status == confirmed))
        yield [
            ExportRow(
                email,
                name,
                organisation,
                status,
                tuple((n, ok) for (_pos, n), ok in sorted(lists[id_])),
                created_at,
                confirmed_at,
            )
            for id_, email, name, organisation, status, created_at, confirmed_at in rows
        ]
        if len(rows) < size:
            return
        last = rows[-1][0]
