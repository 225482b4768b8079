"""What the editors' tables share: the search text, the column sorted by and its
direction, the links of the column headers (templates/_tables.html: sort_header).

A table reads `q` (the search text), `sort` and `dir` (the column and its direction)
and `page` (from 1, :func:`kkp.db.numbered_page`); its links keep them with
:meth:`Sorting.as_args` and its filter's `as_args`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from kkp.db import contains_pattern
from kkp.extensions import db

#: longest search text taken into account, in characters
MAX_QUERY = 200


def search_text(args: Mapping[str, str]) -> str:
    """`q` without what cannot be typed (NUL), trimmed and cut to :data:`MAX_QUERY`."""
    query = "".join(c for c in (args.get("q") or "") if c.isprintable())
    return query.strip()[:MAX_QUERY]


def matches(text: str, *columns) -> sa.ColumnElement[bool]:
    """Any of `columns` holds `text`, whatever the case ("köln" finds "Köln")."""
    if db.engine.dialect.name == "postgresql":  # ILIKE folds every letter there
        pattern = contains_pattern(text)
        return sa.or_(*(c.ilike(pattern, escape="\\") for c in columns))
    # SQLite's LIKE folds ASCII letters only: the others are tried as words spell them
    patterns = [contains_pattern(v) for v in umlaut_spellings(text)]
    return sa.or_(*(c.like(p, escape="\\") for p in patterns for c in columns))


def _swap(char: str, upper: bool) -> str:
    changed = char.upper() if upper else char.lower()
    return changed if len(changed) == 1 else char  # "ß".upper() is "SS": keep "ß"


def umlaut_spellings(text: str) -> list[str]:
    """`text` with its non-ASCII letters all lower, all upper, and capitalised at word
    starts, for SQLite, whose LIKE and lower() fold ASCII letters only; ASCII letters
    are left to LIKE."""
    if text.isascii():
        return [text]
    lower = "".join(c if c.isascii() else _swap(c, False) for c in text)
    upper = "".join(c if c.isascii() else _swap(c, True) for c in text)
    words = "".join(
        c if c.isascii() else _swap(c, i == 0 or not text[i - 1].isalpha())
        for i, c in enumerate(text)
    )
    return list(dict.fromkeys([lower, upper, words]))


@dataclass(frozen=True)
class TextFilter:
    """A table's search text alone (tables with more filters have their own class)."""

    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TextFilter:
        return cls(search_text(args))

    def as_args(self) -> dict[str, str]:
        return {"q": self.q} if self.q else {}

    def conditions(self, *columns) -> list:
        """The rows whose `columns` hold the search text (all rows without one)."""
        return [matches(self.q, *columns)] if self.q else []


@dataclass(frozen=True)
class Sorting:
    """The column the editor sorted by (None: the table's own order) and its direction."""

    column: str | None = None
    descending: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, str], columns: tuple[str, ...]) -> Sorting:
        column = args.get("sort") or ""
        if column not in columns:
            return cls()
        return cls(column, (args.get("dir") or "") == "desc")

    def as_args(self) -> dict[str, str]:
        if self.column is None:
            return {}
        return {"sort": self.column, "dir": "desc" if self.descending else "asc"}

    def link_args(self, column: str) -> dict[str, str]:
        """Parameters of a column header's link: that column, ascending, or the other
        way round if it is the sorted one."""
        if column == self.column:
            return {"sort": column, "dir": "asc" if self.descending else "desc"}
        return {"sort": column, "dir": "asc"}

    def aria(self, column: str) -> str | None:
        """The header's `aria-sort`, or None where the table is not sorted by it."""
        if column != self.column:
            return None
        return "descending" if self.descending else "ascending"

    def order(self, column: sa.ColumnElement, key: sa.ColumnElement) -> list:
        return [
            column.desc() if self.descending else column.asc(),
            key.desc() if self.descending else key.asc(),
        ]
