"""The tables of editors and API tokens: searched, sorted by a column, in numbered
pages (:mod:`kkp.tables`, :func:`kkp.db.numbered_page`)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from kkp.auth.models import ApiToken, Editor
from kkp.db import NumberedPage, numbered_page
from kkp.tables import Sorting, TextFilter

#: rows on one page
PAGE_SIZE = 50
EDITOR_COLUMNS = ("name", "email", "role", "login")
TOKEN_COLUMNS = ("name", "created", "used")


def _never_last(sorting: Sorting, column: sa.ColumnElement, key: sa.ColumnElement) -> list:
    """`sorting` by a time that may be missing: the rows without it last either way round
    (SQLite and PostgreSQL put NULL at different ends)."""
    return [column.is_(None), *sorting.order(column, key)]


def editor_page(flt: TextFilter, sorting: Sorting, asked: int | None) -> NumberedPage:
    """One page of the editors whose name or address holds the search text; by address
    unless sorted otherwise."""
    conditions = flt.conditions(Editor.name, Editor.email)
    if sorting.column == "name":
        order = sorting.order(sa.func.lower(Editor.name), Editor.id)
    elif sorting.column == "role":
        order = sorting.order(Editor.role, Editor.id)
    elif sorting.column == "login":
        order = _never_last(sorting, Editor.last_login_at, Editor.id)
    else:
        order = sorting.order(sa.func.lower(Editor.email), Editor.id)
    return numbered_page(Editor, conditions, size=PAGE_SIZE, asked=asked, order=order)


def token_page(
    flt: TextFilter, sorting: Sorting, asked: int | None, *, editor_id: int | None
) -> NumberedPage:
    """One page of the tokens whose name holds the search text (only `editor_id`'s
    unless None: all); the newest first unless sorted otherwise."""
    conditions = flt.conditions(ApiToken.name)
    if editor_id is not None:
        conditions.append(ApiToken.editor_id == editor_id)
    if sorting.column == "name":
        order = sorting.order(sa.func.lower(ApiToken.name), ApiToken.id)
    elif sorting.column == "used":
        order = _never_last(sorting, ApiToken.last_used_at, ApiToken.id)
    elif sorting.column == "created":
        order = sorting.order(ApiToken.created_at, ApiToken.id)
    else:
        order = Sorting(None, descending=True).order(ApiToken.created_at, ApiToken.id)
    return numbered_page(
        ApiToken,
        conditions,
        size=PAGE_SIZE,
        asked=asked,
        order=order,
        options=(selectinload(ApiToken.editor),),
    )
