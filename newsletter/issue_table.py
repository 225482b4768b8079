"""The editors' list of issues: searched by number or title, sorted by a column,
in numbered pages (:mod:`kkp.tables`, :func:`kkp.db.numbered_page`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import defer, selectinload

from kkp.db import NumberedPage, numbered_page
from kkp.tables import Sorting, TextFilter
from newsletter.models import Issue
from newsletter.sending.tally import sent_of

#: issues on one page
PAGE_SIZE = 50
COLUMNS = ("number", "title", "status", "time")


def _column(column: str) -> sa.ColumnElement:
    if column == "number":
        return Issue.number
    if column == "title":
        return sa.func.lower(Issue.title)
    if column == "status":
        return Issue.status
    # the time the list shows: sent, else scheduled, else started, else made
    return sa.func.coalesce(
        Issue.finished_at, Issue.scheduled_at, Issue.started_at, Issue.created_at
    )


def _list_options() -> tuple:
    """What the list shows of each issue, loaded at once (not the large rendered mail);
    made when asked: at import, the mappers may not all be there yet."""
    return (selectinload(Issue.lists), defer(Issue.rendered), defer(Issue.intro))


def issue_page(flt: TextFilter, sorting: Sorting, asked: int | None) -> NumberedPage:
    """One page of the issues that match; the newest first unless sorted otherwise."""
    if sorting.column is None:
        order = Sorting(None, descending=True).order(Issue.created_at, Issue.id)
    else:
        order = sorting.order(_column(sorting.column), Issue.id)
    return numbered_page(
        Issue,
        flt.conditions(Issue.number, Issue.title),
        size=PAGE_SIZE,
        asked=asked,
        order=order,
        options=_list_options(),
    )


def sent_counts(issues: list[Issue]) -> dict[int, int]:
    """How many mails of each issue went out, from the tallies its chunks kept (see
    :mod:`newsletter.sending.tally`): a page of issues costs the same whether they
    went to a thousand or a million."""
    return sent_of([i.id for i in issues])
