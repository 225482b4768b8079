"""Events as editors and programs enter them: checked, converted to UTC, every
wrong field named at once.

Messages in :class:`EventError` are shown as they are (already translated);
`errors` holds one message per form field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from events.errors import EventError, EventStateError  # noqa: F401  (re-exported)
from events.models import (
    FORMATS,
    REGISTRATION_MODES,
    Event,
    EventFormat,
    EventKind,
    EventSeries,
    Participation,
    RegistrationMode,
)
from events.seats import confirmed_count
from kkp.extensions import db
from kkp.i18n import NonexistentTime, berlin_to_utc, year_problem
from kkp.mail.message import header_text
from kkp.markup import is_web_url
from kkp.text import text_problem
from people.addresses import SubscriptionError, normalise_email

MAX_TITLE = 200
MAX_LINE = 300
MAX_CAPACITY = 100_000
MAX_REMINDER_HOURS = 24 * 14
#: the longest retention period an editor may set (months)
MAX_RETENTION_MONTHS = 120


@dataclass
class EventInput:
    """An event as entered: days and times in Europe/Berlin.

    For all-day events `start_time`/`end_time` are ignored and `end_day` is the last day.
    `deadline_day` without `deadline_time` means the end of that day.
    """

    kind_id: int | None = None
    title: str = ""
    summary: str = ""
    description: str = ""
    format: str = EventFormat.IN_PERSON
    venue: str = ""
    address: str = ""
    join_url: str = ""
    all_day: bool = False
    start_day: date | None = None
    start_time: time | None = None
    end_day: date | None = None
    end_time: time | None = None
    organizer_name: str = ""
    organizer_email: str = ""
    audience: str = ""
    cost_note: str = ""
    registration_mode: str = RegistrationMode.OPEN
    capacity: int | None = None
    #: a hybrid event's online seats (then `capacity` is the seats on site); None: no
    #: limit; ignored for other formats
    capacity_online: int | None = None
    deadline_day: date | None = None
    deadline_time: time | None = None
    #: hours before the start; None: no reminder
    reminder_hours: int | None = 24
    #: months after the last date until registrations are anonymised; None: the default
    retention_months: int | None = None
    series_id: int | None = None
    #: notes for the editor that are not errors (an ambiguous autumn time)
    notes: list[str] = field(default_factory=list)


# -- checking input ----------------------------------------------------------------------


class Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)

    def raise_any(self) -> None:
        if self:
            first = next(iter(self))
            raise EventError(self[first], first, dict(self))


def line(value: str | None, field: str, limit: int, errors: Errors, *, required=False) -> str:
    """A single line: CR/LF and control characters are refused where people type them."""
    raw = (value or "").strip()
    problem = text_problem(raw)
    if problem:
        errors.add(field, problem)
        return header_text(raw, limit)
    if required and not raw:
        errors.add(field, _("Please fill in this field."))
    if len(raw) > limit:
        errors.add(field, _("At most %(n)d characters, please.", n=limit))
    return raw[:limit]


def text(value: str | None, field: str, errors: Errors) -> str:
    """A text over several lines (Markdown): control characters but tab and line breaks,
    and invisible ones, are refused."""
    value = (value or "").replace("\r\n", "\n")
    problem = text_problem(value, multi_line=True)
    if problem:
        errors.add(field, problem)
    return value


def _instant(day: date, at: time, field: str, errors: Errors, notes: list[str]) -> datetime | None:
    try:
        instant, ambiguous = berlin_to_utc(day, at)
    except NonexistentTime:
        errors.add(
            field,
            _(
                "%(time)s does not exist on %(day)s: the clocks go forward from 2:00 to "
                "3:00. Please choose another time.",
                time=at.strftime("%H:%M"),
                day=day.strftime("%d.%m.%Y"),
            ),
        )
        return None
    if ambiguous:
        notes.append(
            _(
                "%(time)s occurs twice on %(day)s (the clocks go back); the first one, "
                "in summer time, was taken.",
                time=at.strftime("%H:%M"),
                day=day.strftime("%d.%m.%Y"),
            )
        )
    return instant


def _times(data: EventInput, errors: Errors) -> tuple[datetime | None, datetime | None]:
    if data.start_day is None:
        errors.add("start_day", _("Please enter the date."))
        return None, None
    end_day = data.end_day or data.start_day
    for name, day in (("start_day", data.start_day), ("end_day", end_day)):
        if year_problem(day):
            errors.add(name, year_problem(day))
            return None, None
    if data.all_day:
        start, _amb = berlin_to_utc(data.start_day, time(0))
        if end_day < data.start_day:
            errors.add("end_day", _("The end must not be before the start."))
            return start, None
        end, _amb = berlin_to_utc(end_day + timedelta(days=1), time(0))
        return start, end
    if data.start_time is None:
        errors.add("start_time", _("Please enter the time, or mark the event as all-day."))
    if data.end_time is None:
        errors.add("end_time", _("Please enter the time, or mark the event as all-day."))
    if data.start_time is None or data.end_time is None:
        return None, None
    start = _instant(data.start_day, data.start_time, "start_time", errors, data.notes)
    end = _instant(end_day, data.end_time, "end_time", errors, data.notes)
    if start and end and end <= start:
        errors.add("end_time", _("The end must be after the start."))
    return start, end


def _deadline(data: EventInput, start: datetime | None, errors: Errors) -> datetime | None:
    if data.deadline_day is None:
        if data.deadline_time is not None:
            errors.add("deadline_day", _("Please enter the date of the deadline."))
        return None
    if year_problem(data.deadline_day):
        errors.add("deadline_day", year_problem(data.deadline_day))
        return None
    if data.deadline_time is None:  # the end of that day
        deadline, _amb = berlin_to_utc(data.deadline_day + timedelta(days=1), time(0))
        deadline -= timedelta(minutes=1)
    else:
        deadline = _instant(data.deadline_day, data.deadline_time, "deadline_time", errors, [])
    if deadline and start and deadline > start:
        errors.add("deadline_day", _("The registration deadline must not be after the start."))
    return deadline


def _online_seats(data: EventInput, event: Event | None, errors: Errors) -> int | None:
    """A hybrid event's online seats; None for other formats."""
    seats = data.capacity_online
    if data.format != EventFormat.HYBRID or seats is None:
        return None
    if not (1 <= seats <= MAX_CAPACITY):
        errors.add(
            "capacity_online",
            _("Seats: a number from 1 to %(n)d, or empty for no limit.", n=MAX_CAPACITY),
        )
    elif event is not None and event.id:
        taken = confirmed_count(event.id, Participation.ONLINE)
        if seats < taken:
            errors.add(
                "capacity_online",
                _(
                    "%(n)d people are already confirmed. Remove participants before "
                    "lowering the seats below that.",
                    n=taken,
                ),
            )
    return seats


def check(data: EventInput, event: Event | None) -> dict:
    """The columns to store, or :class:`EventError` naming every wrong field."""
    errors = Errors()
    values: dict = {
        "title": line(data.title, "title", MAX_TITLE, errors, required=True),
        "summary": text(data.summary, "summary", errors).strip()[:2000],
        "description": text(data.description, "description", errors),
        "venue": line(data.venue, "venue", 200, errors),
        "address": line(data.address, "address", MAX_LINE, errors),
        "organizer_name": line(data.organizer_name, "organizer_name", 200, errors),
        "audience": line(data.audience, "audience", MAX_LINE, errors),
        "cost_note": line(data.cost_note, "cost_note", MAX_LINE, errors),
        "all_day": bool(data.all_day),
    }
    kind = db.session.get(EventKind, int(data.kind_id or 0))
    if kind is None:
        errors.add("kind_id", _("Please choose a kind of event."))
    values["kind_id"] = data.kind_id
    if data.series_id:
        if db.session.get(EventSeries, int(data.series_id)) is None:
            errors.add("series_id", _("Please choose from the series shown."))
    values["series_id"] = data.series_id or None

    if data.format not in FORMATS:
        errors.add("format", _("Please choose online, in person or hybrid."))
    values["format"] = data.format
    join_url = (data.join_url or "").strip()
    if join_url and not is_web_url(join_url):
        errors.add("join_url", _("The join link must be a web address starting with https://."))
    if len(join_url) > 1000:
        errors.add("join_url", _("At most %(n)d characters, please.", n=1000))
    values["join_url"] = join_url if data.format in (EventFormat.ONLINE, EventFormat.HYBRID) else ""
    if data.format in (EventFormat.IN_PERSON, EventFormat.HYBRID) and not (
        values["venue"] or values["address"]
    ):
        errors.add("venue", _("Please enter the venue or its address."))
    if data.format == EventFormat.IN_PERSON:
        values["join_url"] = ""
    if data.format == EventFormat.ONLINE:
        values["venue"] = values["address"] = ""

    organizer_email = (data.organizer_email or "").strip()
    if organizer_email:
        try:
            organizer_email = normalise_email(organizer_email)
        except SubscriptionError as exc:
            errors.add("organizer_email", str(exc))
    values["organizer_email"] = organizer_email

    start, end = _times(data, errors)
    values["starts_at"], values["ends_at"] = start, end

    if data.registration_mode not in REGISTRATION_MODES:
        errors.add("registration_mode", _("Please choose how people register."))
    values["registration_mode"] = data.registration_mode
    capacity = data.capacity
    if capacity is not None and not (1 <= capacity <= MAX_CAPACITY):
        errors.add(
            "capacity", _("Seats: a number from 1 to %(n)d, or empty for no limit.", n=MAX_CAPACITY)
        )
    if capacity is not None and event is not None and event.id:
        on_site = Participation.ON_SITE if data.format == EventFormat.HYBRID else None
        taken = confirmed_count(event.id, on_site)
        if capacity < taken:
            errors.add(
                "capacity",
                _(
                    "%(n)d people are already confirmed. Remove participants before "
                    "lowering the seats below that.",
                    n=taken,
                ),
            )
    values["capacity"] = capacity
    values["capacity_online"] = _online_seats(data, event, errors)
    values["registration_deadline"] = _deadline(data, start, errors)
    hours = data.reminder_hours
    if hours is not None and not (1 <= hours <= MAX_REMINDER_HOURS):
        errors.add(
            "reminder_hours",
            _("A reminder: 1 to %(n)d hours before, or none.", n=MAX_REMINDER_HOURS),
        )
    values["reminder_hours"] = hours
    months = data.retention_months
    if months is not None and not (1 <= months <= MAX_RETENTION_MONTHS):
        errors.add(
            "retention_months",
            _("Keep data: 1 to %(n)d months, or empty for the default.", n=MAX_RETENTION_MONTHS),
        )
    values["retention_months"] = months
    errors.raise_any()
    return values


# -- events ------------------------------------------------------------------------------
