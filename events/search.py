"""Finding events and participants for the editors' tables: a search text, a sorted
column and numbered pages, as every table reads them (:mod:`kkp.tables`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from events.models import (
    UNCONFIRMED,
    Event,
    EventKind,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from events.seats import pool
from kkp.db import NumberedPage, numbered_page
from kkp.extensions import db
from kkp.tables import Sorting, matches, search_text

#: rows on one page of either table
PAGE_SIZE = 50

#: the sections of the participants page, by their name in `status=`, and the
#: registration statuses each shows
SECTIONS: dict[str, tuple[str, ...]] = {
    "confirmed": (RegistrationStatus.CONFIRMED,),
    "pending": UNCONFIRMED,
    "waiting": (RegistrationStatus.WAITING,),
    "invited": (RegistrationStatus.INVITED,),
    "cancelled": (RegistrationStatus.CANCELLED,),
    "declined": (RegistrationStatus.DECLINED,),
    "expired": (RegistrationStatus.EXPIRED,),
}


# -- events ------------------------------------------------------------------------------

#: the tabs of the events list
TABS = ("upcoming", "past", "drafts", "cancelled")
EVENT_COLUMNS = ("date", "title", "kind", "status", "confirmed", "waiting")


@dataclass(frozen=True)
class EventFilter:
    show: str = "upcoming"
    q: str = ""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> EventFilter:
        show = args.get("show") or ""
        return cls(show if show in TABS else "upcoming", search_text(args))

    def as_args(self) -> dict[str, str]:
        args = {"show": self.show}
        if self.q:
            args["q"] = self.q
        return args

    def conditions(self, now: datetime) -> list:
        if self.show == "past":
            found = [Event.status == EventStatus.PUBLISHED, Event.ends_at <= now]
        elif self.show == "drafts":
            found = [Event.status == EventStatus.DRAFT]
        elif self.show == "cancelled":
            found = [Event.status == EventStatus.CANCELLED]
        else:
            found = [Event.status == EventStatus.PUBLISHED, Event.ends_at > now]
        if self.q:
            found.append(matches(self.q, Event.title))
        return found

    @property
    def latest_first(self) -> bool:
        """Past and cancelled events: the latest first; coming ones and drafts: the next."""
        return self.show in ("past", "cancelled")


def _registrations(status: str) -> sa.ScalarSelect:
    return (
        sa.select(sa.func.count(Registration.id))
        .where(Registration.event_id == Event.id, Registration.status == status)
        .scalar_subquery()
    )


def _event_column(column: str) -> sa.ColumnElement:
    if column == "title":
        return sa.func.lower(Event.title)
    if column == "kind":
        return sa.select(EventKind.name).where(EventKind.id == Event.kind_id).scalar_subquery()
    if column == "status":
        return Event.status
    if column in ("confirmed", "waiting"):
        return _registrations(column)
    return Event.starts_at


def event_page(flt: EventFilter, sorting: Sorting, now: datetime, asked: int | None):
    """One page of the events of the chosen tab that match the search."""
    if sorting.column is None:
        order = Sorting(None, flt.latest_first).order(Event.starts_at, Event.id)
    else:
        order = sorting.order(_event_column(sorting.column), Event.id)
    return numbered_page(Event, flt.conditions(now), size=PAGE_SIZE, asked=asked, order=order)


# -- participants ------------------------------------------------------------------------

PARTICIPANT_COLUMNS = ("place", "name", "email", "organisation", "source", "date")


@dataclass(frozen=True)
class ParticipantFilter:
    """The search text and the one section shown (None: all of them)."""

    q: str = ""
    section: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> ParticipantFilter:
        section = args.get("status") or ""
        return cls(search_text(args), section if section in SECTIONS else None)

    def as_args(self) -> dict[str, str]:
        args = {}
        if self.q:
            args["q"] = self.q
        if self.section:
            args["status"] = self.section
        return args

    def conditions(self, event_id: int, section: str) -> list:
        found = [Registration.event_id == event_id, Registration.status.in_(SECTIONS[section])]
        if self.q:
            found.append(
                matches(self.q, Registration.name, Registration.email, Registration.organisation)
            )
        return found


def _date_of(section: str) -> sa.ColumnElement:
    """The date the section's table shows."""
    if section == "confirmed":
        return sa.func.coalesce(Registration.confirmed_at, Registration.created_at)
    if section in ("cancelled", "declined"):
        return sa.func.coalesce(Registration.cancelled_at, Registration.updated_at)
    return Registration.created_at


def _participant_order(section: str, sorting: Sorting) -> list:
    if sorting.column in (None, "place"):
        # the waiting list's order (and, elsewhere, the order they came in)
        columns = [Registration.waiting_since, Registration.created_at, Registration.id]
        return [c.desc() if sorting.descending else c.asc() for c in columns]
    if sorting.column == "date":
        column = _date_of(section)
    elif sorting.column == "email":
        column = Registration.email
    else:
        column = sa.func.lower(getattr(Registration, sorting.column))
    return sorting.order(column, Registration.id)


def section_page(
    event_id: int, section: str, flt: ParticipantFilter, sorting: Sorting, asked: int | None
) -> NumberedPage:
    """One page of a section of the participants page."""
    return numbered_page(
        Registration,
        flt.conditions(event_id, section),
        size=PAGE_SIZE,
        asked=asked,
        order=_participant_order(section, sorting),
    )


def waiting_places(event_id: int) -> dict[int, int]:
    """Registration id → place on the event's waiting list (from 1); a hybrid event's
    online and on-site waiting lists count apart."""
    event = db.session.get(Event, event_id)
    rows = db.session.execute(
        sa.select(Registration.id, Registration.participation)
        .where(Registration.event_id == event_id, Registration.status == RegistrationStatus.WAITING)
        .order_by(Registration.waiting_since, Registration.created_at, Registration.id)
    ).all()
    places: dict[int, int] = {}
    counted: dict[str | None, int] = {}
    for registration_id, participation in rows:
        kind = pool(event, participation)
        counted[kind] = counted.get(kind, 0) + 1
        places[registration_id] = counted[kind]
    return places
