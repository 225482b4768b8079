"""Events: create, change, publish, cancel; kinds and series; reminders.

Operations change data and flush; the request or the actor commits. Messages in
:class:`EventError` are shown as they are (already translated); `errors` holds one
message per form field.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from events.models import (
    FORMATS,
    REGISTRATION_MODES,
    Event,
    EventKind,
    EventSeries,
    Registration,
)
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import NonexistentTime, berlin_to_utc
from kkp.mail.message import header_text
from newsletter.addresses import ConflictError, SubscriptionError, normalise_email
from newsletter.issues import _slugify
from newsletter.markup import is_web_url

log = logging.getLogger(__name__)

MAX_TITLE = 200
MAX_LINE = 300
MAX_CAPACITY = 100_000
MAX_REMINDER_HOURS = 24 * 14
#: the kinds every office starts with: (slug, German name, English name)
DEFAULT_KINDS = (
    ("netzwerktreffen", "Netzwerktreffen", "Network meeting"),
    ("fortbildung", "Fortbildung", "Training"),
    ("infoveranstaltung", "Infoveranstaltung", "Info event"),
    ("gremiensitzung", "Gremiensitzung", "Committee session"),
)
#: changes that move the event in participants' calendars: an update goes out
SIGNIFICANT = ("starts_at", "ends_at", "all_day", "format", "venue", "address", "join_url")
#: changes that calendars show: DTSTAMP moves, but no mail
VISIBLE = ("title", "summary", "description", "organizer_name", "organizer_email")


class EventError(SubscriptionError):
    """Bad input for an event; `errors` maps form fields to messages."""

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message, field)
        self.errors = errors or ({field: message} if field else {})


class EventStateError(EventError, ConflictError):
    """A change the event's status forbids (publishing a cancelled event, say)."""


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
    format: str = "in_person"
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
    registration_mode: str = "open"
    capacity: int | None = None
    deadline_day: date | None = None
    deadline_time: time | None = None
    #: hours before the start; None: no reminder
    reminder_hours: int | None = 24
    series_id: int | None = None
    #: notes for the editor that are not errors (an ambiguous autumn time)
    notes: list[str] = field(default_factory=list)


# -- checking input ----------------------------------------------------------------------


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)

    def raise_any(self) -> None:
        if self:
            first = next(iter(self))
            raise EventError(self[first], first, dict(self))


def _line(value: str | None, field: str, limit: int, errors: _Errors, *, required=False) -> str:
    """A single line: CR/LF and control characters are refused where people type them."""
    raw = (value or "").strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        errors.add(field, _("Line breaks and control characters are not allowed."))
        return header_text(raw, limit)
    if required and not raw:
        errors.add(field, _("Please fill in this field."))
    if len(raw) > limit:
        errors.add(field, _("At most %(n)d characters, please.", n=limit))
    return raw[:limit]


def _instant(day: date, at: time, field: str, errors: _Errors, notes: list[str]) -> datetime | None:
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


def _times(data: EventInput, errors: _Errors) -> tuple[datetime | None, datetime | None]:
    if data.start_day is None:
        errors.add("start_day", _("Please enter the date."))
        return None, None
    end_day = data.end_day or data.start_day
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


def _deadline(data: EventInput, start: datetime | None, errors: _Errors) -> datetime | None:
    if data.deadline_day is None:
        if data.deadline_time is not None:
            errors.add("deadline_day", _("Please enter the date of the deadline."))
        return None
    if data.deadline_time is None:  # the end of that day
        deadline, _amb = berlin_to_utc(data.deadline_day + timedelta(days=1), time(0))
        deadline -= timedelta(minutes=1)
    else:
        deadline = _instant(data.deadline_day, data.deadline_time, "deadline_time", errors, [])
    if deadline and start and deadline > start:
        errors.add("deadline_day", _("The registration deadline must not be after the start."))
    return deadline


def _check(data: EventInput, event: Event | None) -> dict:
    """The columns to store, or :class:`EventError` naming every wrong field."""
    errors = _Errors()
    values: dict = {
        "title": _line(data.title, "title", MAX_TITLE, errors, required=True),
        "summary": (data.summary or "").replace("\r\n", "\n").strip()[:2000],
        "description": (data.description or "").replace("\r\n", "\n"),
        "venue": _line(data.venue, "venue", 200, errors),
        "address": _line(data.address, "address", MAX_LINE, errors),
        "organizer_name": _line(data.organizer_name, "organizer_name", 200, errors),
        "audience": _line(data.audience, "audience", MAX_LINE, errors),
        "cost_note": _line(data.cost_note, "cost_note", MAX_LINE, errors),
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
    values["join_url"] = join_url if data.format in ("online", "hybrid") else ""
    if data.format in ("in_person", "hybrid") and not (values["venue"] or values["address"]):
        errors.add("venue", _("Please enter the venue or its address."))
    if data.format == "in_person":
        values["join_url"] = ""
    if data.format == "online":
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
        from events.registrations import confirmed_count

        taken = confirmed_count(event.id)
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
    values["registration_deadline"] = _deadline(data, start, errors)
    hours = data.reminder_hours
    if hours is not None and not (1 <= hours <= MAX_REMINDER_HOURS):
        errors.add(
            "reminder_hours",
            _("A reminder: 1 to %(n)d hours before, or none.", n=MAX_REMINDER_HOURS),
        )
    values["reminder_hours"] = hours
    errors.raise_any()
    return values


# -- events ------------------------------------------------------------------------------


def _unique_slug(model, base: str, own_id: int | None) -> str:
    base = _slugify(base)[:100] or "termin"
    slug, n = base, 1
    while db.session.scalar(
        sa.select(model.id).where(model.slug == slug, model.id != (own_id or 0))
    ):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _new_uid() -> str:
    from urllib.parse import urlsplit

    host = urlsplit(current_app.config["KKP_BASE_URL"]).hostname or "localhost"
    return f"{secrets.token_hex(12)}@{host}"


def create_event(data: EventInput) -> Event:
    values = _check(data, None)
    start = values["starts_at"]
    event = Event(status="draft", uid=_new_uid(), sequence=0, changed_at=utcnow(), **values)
    event.slug = _unique_slug(
        Event, f"{values['title']} {start.astimezone(_berlin()):%Y-%m-%d}", None
    )
    db.session.add(event)
    db.session.flush()
    audit("event.create", event)
    return event


def _berlin():
    from kkp.i18n import BERLIN

    return BERLIN


def update_event(event: Event, data: EventInput) -> list[str]:
    """Store the changes; a published event's participants get an update when time,
    place or join link changed. Returns what changed among those (field names)."""
    if event.status == "cancelled":
        raise EventStateError(_("A cancelled event cannot be changed."))
    values = _check(data, event)
    significant = [k for k in SIGNIFICANT if getattr(event, k) != values[k]]
    visible = [k for k in VISIBLE if getattr(event, k) != values[k]]
    old_capacity = event.capacity
    for key, value in values.items():
        setattr(event, key, value)
    if significant or visible:
        event.changed_at = utcnow()
    if event.status == "published" and significant:
        event.sequence += 1
        _plan_reminder(event)
        from events.registrations import notify_update

        notify_update(event)
    db.session.flush()
    if event.status == "published" and (
        event.capacity is None or (old_capacity is not None and event.capacity > old_capacity)
    ):
        from events.registrations import promote_waiting

        promote_waiting(event)
    audit("event.update", event, fields=significant + visible)
    return significant


def publish_event(event: Event) -> None:
    if event.status == "published":
        return
    if event.status != "draft":
        raise EventStateError(_("A cancelled event cannot be published again."))
    event.status = "published"
    event.published_at = utcnow()
    event.changed_at = utcnow()
    _plan_reminder(event)
    db.session.flush()
    audit("event.publish", event)


def cancel_event(event: Event) -> int:
    """Cancel the event: CANCEL to everyone with a seat or an invitation, a note to
    the waiting list. Returns how many people are told."""
    if event.status == "cancelled":
        return 0
    was_draft = event.status == "draft"
    event.status = "cancelled"
    event.cancelled_at = utcnow()
    event.changed_at = utcnow()
    event.sequence += 1
    event.reminder_due_at = None
    told = 0
    if not was_draft:
        from events.registrations import notify_cancellation

        told = notify_cancellation(event)
    db.session.flush()
    audit("event.cancel", event, told=told)
    return told


def delete_event(event: Event) -> None:
    """Only a draft can be deleted; a published event is cancelled instead."""
    if event.status != "draft":
        raise EventStateError(_("Only drafts can be deleted. Cancel the event instead."))
    audit("event.delete", event, title=event.title)
    db.session.execute(sa.delete(Registration).where(Registration.event_id == event.id))
    db.session.delete(event)
    db.session.flush()


def copy_event(event: Event, *, start_day: date) -> Event:
    """Another date of the same training: a draft with everything but the day, in the
    event's series (one is made from the event when it has none)."""
    if event.series_id is None:
        series = EventSeries(
            title=event.title,
            description=event.description,
            slug=_unique_slug(EventSeries, event.title, None),
        )
        db.session.add(series)
        db.session.flush()
        event.series_id = series.id
    shift = start_day - event.first_day
    data = input_from(event)
    data.start_day = start_day
    data.end_day = event.last_day + shift
    if data.deadline_day:
        data.deadline_day += shift
    data.series_id = event.series_id
    copy = create_event(data)
    return copy


def input_from(event: Event) -> EventInput:
    """The event as the editor's form shows it."""
    from kkp.i18n import BERLIN

    start = event.starts_at.astimezone(BERLIN)
    end = event.ends_at.astimezone(BERLIN)
    deadline = (
        event.registration_deadline.astimezone(BERLIN) if event.registration_deadline else None
    )
    return EventInput(
        kind_id=event.kind_id,
        title=event.title,
        summary=event.summary,
        description=event.description,
        format=event.format,
        venue=event.venue,
        address=event.address,
        join_url=event.join_url,
        all_day=event.all_day,
        start_day=start.date(),
        start_time=None if event.all_day else start.time().replace(tzinfo=None),
        end_day=event.last_day,
        end_time=None if event.all_day else end.time().replace(tzinfo=None),
        organizer_name=event.organizer_name,
        organizer_email=event.organizer_email,
        audience=event.audience,
        cost_note=event.cost_note,
        registration_mode=event.registration_mode,
        capacity=event.capacity,
        deadline_day=deadline.date() if deadline else None,
        deadline_time=deadline.time().replace(tzinfo=None) if deadline else None,
        reminder_hours=event.reminder_hours,
        series_id=event.series_id,
    )


# -- reminders ---------------------------------------------------------------------------


def _plan_reminder(event: Event, now: datetime | None = None) -> None:
    """Due `reminder_hours` before the start; none when that time has passed already
    (a reminder minutes after the confirmation helps nobody)."""
    now = now or utcnow()
    event.reminder_due_at = None
    if event.status != "published" or not event.reminder_hours:
        return
    due = event.starts_at - timedelta(hours=event.reminder_hours)
    if due > now:
        event.reminder_due_at = due
        event.reminder_sent_at = None


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due; each event's once (claimed by one UPDATE).
    Commits per event. Returns the number of reminders queued."""
    from events.registrations import queue_for_confirmed

    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Event.id).where(Event.reminder_due_at <= now, Event.status == "published")
    ).all()
    queued = 0
    for event_id in due:
        claimed = db.session.execute(
            sa.update(Event)
            .where(Event.id == event_id, Event.reminder_due_at <= now)
            .values(reminder_due_at=None, reminder_sent_at=now)
        ).rowcount
        event = db.session.get(Event, event_id)
        if claimed and event.starts_at > now:
            queued += queue_for_confirmed(event, "event_reminder")
        db.session.commit()
    if queued:
        log.info("queued %d reminders for %d events", queued, len(due))
    return queued


# -- kinds and series --------------------------------------------------------------------


def ensure_default_kinds() -> None:
    """The four kinds every office starts with; editors add more."""
    existing = set(db.session.scalars(sa.select(EventKind.slug)))
    for position, (slug, name, name_en) in enumerate(DEFAULT_KINDS):
        if slug not in existing:
            db.session.add(EventKind(slug=slug, name=name, name_en=name_en, position=position))
    db.session.flush()


def kinds() -> list[EventKind]:
    return list(db.session.scalars(sa.select(EventKind).order_by(EventKind.position, EventKind.id)))


def create_kind(name: str, name_en: str = "") -> EventKind:
    errors = _Errors()
    name = _line(name, "name", 120, errors, required=True)
    name_en = _line(name_en, "name_en", 120, errors)
    errors.raise_any()
    slug = _slugify(name)
    if db.session.scalar(sa.select(EventKind.id).where(EventKind.slug == slug)):
        raise EventError(_("This kind exists already."), "name")
    position = (db.session.scalar(sa.select(sa.func.max(EventKind.position))) or 0) + 1
    kind = EventKind(slug=slug, name=name, name_en=name_en, position=position)
    db.session.add(kind)
    db.session.flush()
    audit("event_kind.create", kind)
    return kind


def save_series(series: EventSeries | None, *, title: str, description: str = "") -> EventSeries:
    errors = _Errors()
    title = _line(title, "title", MAX_TITLE, errors, required=True)
    errors.raise_any()
    if series is None:
        series = EventSeries(slug=_unique_slug(EventSeries, title, None))
        db.session.add(series)
    series.title = title
    series.description = (description or "").replace("\r\n", "\n")
    db.session.flush()
    audit("event_series.save", series)
    return series


def upcoming_events(
    *, kind: EventKind | None = None, now: datetime | None = None, limit: int = 200
):
    """Published events that have not ended, soonest first."""
    now = now or utcnow()
    query = sa.select(Event).where(Event.status == "published", Event.ends_at > now)
    if kind is not None:
        query = query.where(Event.kind_id == kind.id)
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))
