"""The editors' list of every registration, across the events: who registered for
what, searched by person or event, filtered by status, sorted by a column, in
numbered pages (:mod:`kkp.tables`, :func:`kkp.db.numbered_page`). Each row leads to
its event's participants page, where the registration is handled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from events.models import Event, Registration
from events.search import SECTIONS
from kkp.db import NumberedPage, numbered_page
from kkp.tables import Sorting, matches, search_text

#: registrations on one page
PAGE_SIZE = 50
COLUMNS = ("name", "email", "event", "status", "date")


@dataclass(frozen=True)
class RegistrationFilter:
    """The search text (a person's name, address or organisation, or the event's
    title) and the one section shown (None: every status)."""

    q: str = ""
    section: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> RegistrationFilter:
        section = args.get("status") or ""
        return cls(search_text(args), section if section in SECTIONS else None)

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.q:
            args["q"] = self.q
        if self.section:
            args["status"] = self.section
        return args

    def conditions(self) -> list:
        found = []
        if self.section:
            found.append(Registration.status.in_(SECTIONS[self.section]))
        if self.q:
            events = sa.select(Event.id).where(matches(self.q, Event.title))
            person = (Registration.name, Registration.email, Registration.organisation)
            found.append(sa.or_(matches(self.q, *person), Registration.event_id.in_(events)))
        return found


def _column(column: str) -> sa.ColumnElement:
    if column == "name":
        return sa.func.lower(Registration.name)
    if column == "email":
        return Registration.email
    if column == "event":
        return sa.select(Event.starts_at).where(Event.id == Registration.event_id).scalar_subquery()
    if column == "status":
        return Registration.status
    return Registration.created_at


def registration_page(flt: RegistrationFilter, sorting: Sorting, asked: int | None) -> NumberedPage:
    """One page of the registrations that match; the newest first unless sorted."""
    if sorting.column is None:
        order = Sorting(None, descending=True).order(Registration.created_at, Registration.id)
    else:
        order = sorting.order(_column(sorting.column), Registration.id)
    return numbered_page(
        Registration,
        flt.conditions(),
        size=PAGE_SIZE,
        asked=asked,
        order=order,
        options=(joinedload(Registration.event),),
    )
