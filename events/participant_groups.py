"""The participants of a date (an event's registrations) or of a whole course (a
series' bookings, each with its registration per date), by group: all, confirmed,
waiting, attended, absent. Exports and messages by group read them from here.

A course's groups count the dates: attended means present on at least one date,
absent means marked absent or excused on at least one date.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from events.course_models import CourseBooking
from events.models import AttendanceStatus, Event, Registration, RegistrationStatus
from kkp.extensions import db


class ParticipantGroup(enum.StrEnum):
    """Who an export or a message is for; the forms and the API take the value."""

    ALL = "all"
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    ATTENDED = "attended"
    ABSENT = "absent"


PARTICIPANT_GROUPS = tuple(group.value for group in ParticipantGroup)
#: who "all" means: everyone who takes part, waits, is invited or has not confirmed yet
#: (not the cancelled, declined or lapsed)
TAKING_PART = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITING,
    RegistrationStatus.INVITED,
    RegistrationStatus.PENDING,
    RegistrationStatus.PENDING_WAITING,
)
#: not there on a date, with or without an excuse
MISSED = (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
_ORDER = {status: n for n, status in enumerate(TAKING_PART)}


@dataclass
class Participant:
    """One row of a list: a date's registration, or a course's booking with the
    registrations of its dates (`dates`, by the dates' start; `None` for a date the
    booking has no registration on)."""

    name: str
    email: str
    organisation: str
    status: str
    source: str
    participation: str
    created_at: datetime
    registration: Registration | None = None
    booking: CourseBooking | None = None
    dates: list[Registration | None] = field(default_factory=list)
    #: place on the waiting list, from 1; None when not waiting
    waiting_place: int | None = None

    @property
    def attended(self) -> int:
        return sum(
            1 for r in self.dates if r is not None and r.attendance == AttendanceStatus.PRESENT
        )

    @property
    def missed(self) -> int:
        return sum(1 for r in self.dates if r is not None and r.attendance in MISSED)


def _in_group(participant: Participant, group: str) -> bool:
    if group == ParticipantGroup.ALL:
        return participant.status in TAKING_PART
    if group == ParticipantGroup.CONFIRMED:
        return participant.status == RegistrationStatus.CONFIRMED
    if group == ParticipantGroup.WAITING:
        return participant.status == RegistrationStatus.WAITING
    if group == ParticipantGroup.ATTENDED:
        return participant.attended > 0
    if group == ParticipantGroup.ABSENT:
        return participant.missed > 0
    raise ValueError(group)


def _ordered(people: list[Participant], group: str) -> list[Participant]:
    """Those of `group`: the confirmed first, the waiting list in its order (its places
    counted over everyone waiting), then the others in the order they came."""
    people.sort(key=lambda p: (_ORDER.get(p.status, 99), _came(p)))
    waiting = [p for p in people if p.status == RegistrationStatus.WAITING]
    for place, participant in enumerate(waiting, start=1):
        participant.waiting_place = place
    return [p for p in people if _in_group(p, group)]


def _came(participant: Participant) -> tuple:
    row = participant.booking or participant.registration
    if participant.status == RegistrationStatus.WAITING and row.waiting_since:
        return (row.waiting_since, row.id)
    return (row.created_at, row.id)


def event_participants(event_id: int, group: str = ParticipantGroup.ALL) -> list[Participant]:
    """The registrations of one date in `group`."""
    rows = db.session.scalars(sa.select(Registration).where(Registration.event_id == event_id))
    people = [
        Participant(
            name=r.name,
            email=r.email,
            organisation=r.organisation,
            status=r.status,
            source=r.source,
            participation=r.participation,
            created_at=r.created_at,
            registration=r,
            booking=None,
            dates=[r],
        )
        for r in rows
        if r.anonymised_at is None
    ]
    return _ordered(people, group)


def course_dates(series_id: int) -> list[Event]:
    """A series' dates by their start."""
    return list(
        db.session.scalars(
            sa.select(Event).where(Event.series_id == series_id).order_by(Event.starts_at, Event.id)
        )
    )


def course_participants(series_id: int, group: str = ParticipantGroup.ALL) -> list[Participant]:
    """The bookings of a whole course in `group`, each with its registration per date
    (in the order of :func:`course_dates`)."""
    dates = [e.id for e in course_dates(series_id)]
    bookings = list(
        db.session.scalars(
            sa.select(CourseBooking).where(
                CourseBooking.series_id == series_id, CourseBooking.anonymised_at.is_(None)
            )
        )
    )
    per_date: dict[int, dict[int, Registration]] = {}
    if bookings:
        for r in db.session.scalars(
            sa.select(Registration).where(Registration.booking_id.in_([b.id for b in bookings]))
        ):
            per_date.setdefault(r.booking_id, {})[r.event_id] = r
    people = [
        Participant(
            name=b.name,
            email=b.email,
            organisation=b.organisation,
            status=b.status,
            source=b.source,
            participation=b.participation,
            created_at=b.created_at,
            booking=b,
            dates=[per_date.get(b.id, {}).get(event_id) for event_id in dates],
        )
        for b in bookings
    ]
    return _ordered(people, group)
