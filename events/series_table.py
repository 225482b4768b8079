"""The editors' list of series: searched by title, sorted by a column, in numbered
pages (:mod:`kkp.tables`, :func:`kkp.db.numbered_page`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from events.models import Event, EventSeries
from kkp.db import NumberedPage, numbered_page
from kkp.tables import Sorting, TextFilter

#: series on one page
PAGE_SIZE = 50
COLUMNS = ("title", "dates", "first")


def _dates() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.count(Event.id)).where(Event.series_id == EventSeries.id)
    ).scalar_subquery()


def _first_date() -> sa.ScalarSelect:
    return (
        sa.select(sa.func.min(Event.starts_at)).where(Event.series_id == EventSeries.id)
    ).scalar_subquery()


def series_page(flt: TextFilter, sorting: Sorting, asked: int | None) -> NumberedPage:
    """One page of the series that match; the newest first unless sorted otherwise.
    Series without dates come last by their first date, either way round."""
    if sorting.column is None:
        order = Sorting(None, descending=True).order(EventSeries.created_at, EventSeries.id)
    elif sorting.column == "title":
        order = sorting.order(sa.func.lower(EventSeries.title), EventSeries.id)
    elif sorting.column == "dates":
        order = sorting.order(_dates(), EventSeries.id)
    else:
        first = _first_date()
        order = [first.is_(None), *sorting.order(first, EventSeries.id)]
    return numbered_page(
        EventSeries,
        flt.conditions(EventSeries.title),
        size=PAGE_SIZE,
        asked=asked,
        order=order,
        options=(selectinload(EventSeries.events),),
    )
