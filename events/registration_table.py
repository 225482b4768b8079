"""The editors' list of every registration, across the events: who registered for
what, searched by person or event, filtered by status, sorted by a column, in
numbered pages (:mod:`kkp.tables`, :func:`kkp.db.numbered_page`). Each row leads to
its event's participants page, where the registration is handled."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from events.models import Event, Registration
from events.search import SECTIONS, ParticipantFilter
from kkp.db import NumberedPage, numbered_page
from kkp.tables import Sorting, matches

#: registrations on one page
PAGE_SIZE = 50
COLUMNS = ("name", "email", "event", "status", "date")


def _conditions(flt: ParticipantFilter) -> list:
    """The participants page's filter over every event: the section's statuses, and the
    search text in the person's name, address or organisation, or the event's title."""
    found = []
    if flt.section:
        found.append(Registration.status.in_(SECTIONS[flt.section]))
    if flt.q:
        events = sa.select(Event.id).where(matches(flt.q, Event.title))
        person = (Registration.name, Registration.email, Registration.organisation)
        found.append(sa.or_(matches(flt.q, *person), Registration.event_id.in_(events)))
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


def registration_page(flt: ParticipantFilter, sorting: Sorting, asked: int | None) -> NumberedPage:
    """One page of the registrations that match; the newest first unless sorted."""
    if sorting.column is None:
        order = Sorting(None, descending=True).order(Registration.created_at, Registration.id)
    else:
        order = sorting.order(_column(sorting.column), Registration.id)
    return numbered_page(
        Registration,
        _conditions(flt),
        size=PAGE_SIZE,
        asked=asked,
        order=order,
        options=(joinedload(Registration.event),),
    )
