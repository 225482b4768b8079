"""The past imports on the import page: searched by file name, sorted by a column,
in numbered pages (:mod:`kkp.tables`, :func:`kkp.db.numbered_page`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import defer

from kkp.db import NumberedPage, numbered_page
from kkp.extensions import db
from kkp.tables import Sorting, TextFilter
from newsletter.models import ImportJob

#: imports on one page
PAGE_SIZE = 50
COLUMNS = ("date", "file", "status", "imported", "rejected")


def _column(column: str) -> sa.ColumnElement:
    if column == "file":
        return sa.func.lower(ImportJob.filename)
    if column == "status":
        return ImportJob.status
    if column == "imported":
        return ImportJob.imported
    if column == "rejected":  # a JSON list of the rejected rows, in both databases
        return sa.func.json_array_length(ImportJob.rejected)
    return ImportJob.created_at


def import_page(flt: TextFilter, sorting: Sorting, asked: int | None) -> NumberedPage:
    """One page of the imports that match; the newest first unless sorted otherwise
    (without the uploaded files)."""
    if sorting.column is None:
        order = Sorting(None, descending=True).order(ImportJob.created_at, ImportJob.id)
    else:
        order = sorting.order(_column(sorting.column), ImportJob.id)
    return numbered_page(
        ImportJob,
        flt.conditions(ImportJob.filename),
        size=PAGE_SIZE,
        asked=asked,
        order=order,
        options=(defer(ImportJob.data), defer(ImportJob.rejected)),
    )


def rejected_counts(jobs: list[ImportJob]) -> dict[int, int]:
    """How many rows of each import were rejected, without loading the reasons."""
    return dict(
        db.session.execute(
            sa.select(ImportJob.id, _column("rejected")).where(
                ImportJob.id.in_([j.id for j in jobs])
            )
        ).all()
    )
