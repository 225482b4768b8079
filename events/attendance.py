"""Who came to a date: the editor marks each confirmed participant present, absent or
excused (or takes the mark back), from the day the date starts on. A whole-course
booking has a registration per date, marked like any other.

The counts per date feed the attendance page; the marks of a course's dates are what
certificates are issued on (:mod:`events.certificates` counts the dates that ended).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import format_date
from flask_babel import gettext as _

from events.dates import when
from events.errors import EventStateError
from events.models import (
    AttendanceStatus,
    Event,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from events.sign_in_sheet import sign_in_sheet
from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.office import office_name

#: what the audit log records when a mark is taken back
UNMARKED = "unmarked"


@dataclass(frozen=True)
class AttendanceCounts:
    """A date's confirmed participants by their mark."""

    present: int = 0
    absent: int = 0
    excused: int = 0
    unmarked: int = 0

    @property
    def total(self) -> int:
        return self.present + self.absent + self.excused + self.unmarked

    def as_json(self) -> dict[str, int]:
        return asdict(self)


def markable(event: Event, now: datetime) -> bool:
    """Whether attendance can be marked: the date was not called off and it has started
    or starts today (Europe/Berlin)."""
    return (
        event.status != EventStatus.CANCELLED and event.first_day <= now.astimezone(BERLIN).date()
    )


def refusal(event: Event, now: datetime) -> str | None:
    """Why attendance cannot be marked for `event` now, in words; None: it can."""
    if event.status == EventStatus.CANCELLED:
        return _("The event was called off: there is no attendance to mark.")
    if not markable(event, now):
        return _(
            "Attendance can be marked from the day of the event on, %(day)s.",
            day=format_date(event.first_day, "long"),
        )
    return None


def mark(
    registration_id: int, status: AttendanceStatus | str | None, now: datetime
) -> Registration:
    """Mark one confirmed participant of a date `status` (None or "": not marked).

    Marking what is marked already changes nothing and records nothing. Raises
    :class:`~events.errors.EventStateError` for a registration that is not confirmed,
    or a date that was called off or is still to come; ValueError for a status that
    is none."""
    registration = db.session.get(Registration, registration_id, with_for_update=True)
    if registration is None:
        raise LookupError(registration_id)
    wanted = AttendanceStatus(status) if status else None
    if registration.status != RegistrationStatus.CONFIRMED:
        raise EventStateError(_("Only confirmed participants can be marked."))
    reason = refusal(registration.event, now)
    if reason:
        raise EventStateError(reason)
    if registration.attendance == wanted:
        return registration
    registration.attendance = wanted
    registration.attendance_at = now if wanted else None
    audit(
        "registration.attendance",
        registration,
        attendance=wanted.value if wanted else UNMARKED,
    )
    db.session.flush()
    return registration


def confirmed(event_id: int, q: str = "") -> list[Registration]:
    """The date's confirmed participants by name; `q` keeps those whose name or
    organisation contains it (any case)."""
    query = sa.select(Registration).where(
        Registration.event_id == event_id,
        Registration.status == RegistrationStatus.CONFIRMED,
    )
    words = q.strip().lower()
    if words:
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(
            sa.or_(
                sa.func.lower(Registration.name).like(pattern, escape="\\"),
                sa.func.lower(Registration.organisation).like(pattern, escape="\\"),
            )
        )
    found = db.session.scalars(query).all()
    return sorted(found, key=lambda r: (r.name.casefold(), r.organisation.casefold(), r.id))


def sign_in_pdf(event: Event) -> bytes:
    """The date's sign-in sheet to print: its confirmed participants by name. Audited
    like an export of the participants: their names leave the service on paper."""
    people = confirmed(event.id)
    data = sign_in_sheet(
        office=office_name(),
        title=event.title,
        when=when(event, "de"),
        place=event.place if event.is_in_person else "",
        people=[(r.name, r.organisation) for r in people],
    )
    audit("registration.export", event, rows=len(people))
    return data


def counts(event_id: int) -> AttendanceCounts:
    """The date's confirmed participants by their mark."""
    rows = db.session.execute(
        sa.select(Registration.attendance, sa.func.count())
        .where(
            Registration.event_id == event_id,
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.attendance)
    ).all()
    by_mark = {mark or UNMARKED: n for mark, n in rows}
    return AttendanceCounts(
        present=by_mark.get(AttendanceStatus.PRESENT, 0),
        absent=by_mark.get(AttendanceStatus.ABSENT, 0),
        excused=by_mark.get(AttendanceStatus.EXCUSED, 0),
        unmarked=by_mark.get(UNMARKED, 0),
    )


def attended(registration_ids) -> set[int]:
    """Those of `registration_ids` marked present."""
    ids = list(registration_ids)
    if not ids:
        return set()
    return set(
        db.session.scalars(
            sa.select(Registration.id).where(
                Registration.id.in_(ids),
                Registration.attendance == AttendanceStatus.PRESENT,
            )
        )
    )
