"""Events: create, change, publish, cancel; kinds and series; reminders.

Operations change data and flush; the request or the actor commits. Messages in
:class:`EventError` are shown as they are (already translated); `errors` holds one
message per form field. Checking input: :mod:`events.event_input`.
"""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from events import changes
from events.course_dates import sync_course_dates
from events.event_input import (  # noqa: F401  (the operations' vocabulary)
    MAX_TITLE,
    Errors,
    EventError,
    EventInput,
    EventStateError,
    check,
    line,
    text,
)
from events.models import (
    Event,
    EventFormat,
    EventKind,
    EventMailKind,
    EventSeries,
    EventStatus,
    Registration,
)
from events.notices import update_count
from events.questions import copy_questions
from events.registrations import (
    notify_cancellation,
    notify_update,
    promote_waiting,
    queue_for_confirmed,
)
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN, year_problem
from kkp.tables import matches
from kkp.text import slugify

log = logging.getLogger(__name__)

#: the kinds every office starts with: (slug, German name, English name)
DEFAULT_KINDS = (
    ("netzwerktreffen", "Netzwerktreffen", "Network meeting"),
    ("fortbildung", "Fortbildung", "Training"),
    ("infoveranstaltung", "Infoveranstaltung", "Info event"),
    ("gremiensitzung", "Gremiensitzung", "Committee session"),
)
#: changes that move the event in participants' calendars: an update goes out
SIGNIFICANT = ("starts_at", "ends_at", "all_day", "format", "venue", "address", "join_url")
#: changes that calendars show: DTSTAMP moves, but no mail (the registration mode decides
#: whether the public calendars carry the join link; the kind, which calendar has it)
VISIBLE = (
    "title",
    "summary",
    "description",
    "organizer_name",
    "organizer_email",
    "registration_mode",
    "kind_id",
)


# -- events ----------------------------------------------------------------------------


def _unique_slug(model, base: str, own_id: int | None) -> str:
    base = slugify(base, "termin")
    slug, n = base, 1
    while db.session.scalar(
        sa.select(model.id).where(model.slug == slug, model.id != (own_id or 0))
    ):
        n += 1
        slug = f"{base}-{n}"
    return slug


def _new_uid() -> str:
    host = urlsplit(current_app.config["KKP_BASE_URL"]).hostname or "localhost"
    return f"{secrets.token_hex(12)}@{host}"


def create_event(data: EventInput) -> Event:
    values = check(data, None)
    start = values["starts_at"]
    event = Event(
        status=EventStatus.DRAFT, uid=_new_uid(), sequence=0, changed_at=utcnow(), **values
    )
    event.slug = _unique_slug(Event, f"{values['title']} {start.astimezone(BERLIN):%Y-%m-%d}", None)
    db.session.add(event)
    db.session.flush()
    audit("event.create", event)
    return event


def update_event(event: Event, data: EventInput) -> list[str]:
    """Store the changes; a published event's participants get an update when time,
    place or join link changed. Returns what changed among those (field names)."""
    if event.status == EventStatus.CANCELLED:
        raise EventStateError(_("A cancelled event cannot be changed."))
    values = check(data, event)
    significant = [k for k in SIGNIFICANT if getattr(event, k) != values[k]]
    visible = [k for k in VISIBLE if getattr(event, k) != values[k]]
    old_seats = (event.capacity, event.capacity_online)
    old_values = changes.before(event, significant)
    for key, value in values.items():
        setattr(event, key, value)
    if significant or visible:
        event.changed_at = utcnow()
    if event.status == EventStatus.PUBLISHED and significant:
        event.sequence += 1
        _plan_reminder(event)
        notify_update(event, old_values)
    db.session.flush()
    if event.status == EventStatus.PUBLISHED and any(
        new is None or (old is not None and new > old)
        for old, new in zip(old_seats, (event.capacity, event.capacity_online), strict=True)
    ):
        promote_waiting(event)
    audit("event.update", event, fields=significant + visible)
    return significant


def participants_to_tell(event: Event, data: EventInput) -> int:
    """How many participants :func:`update_event` would send an update to (its time,
    place or join link changes for them); nothing is stored. :class:`EventError` if
    the input is wrong."""
    values = check(data, event)
    significant = [k for k in SIGNIFICANT if getattr(event, k) != values[k]]
    if not significant:
        return 0
    after = Event(**{k: values[k] for k in SIGNIFICANT})  # never added to the session
    return update_count(event.id, after, changes.before(event, significant))


def publish_event(event: Event) -> None:
    if event.status == EventStatus.PUBLISHED:
        return
    if event.status != EventStatus.DRAFT:
        raise EventStateError(_("A cancelled event cannot be published again."))
    event.status = EventStatus.PUBLISHED
    event.published_at = utcnow()
    event.changed_at = utcnow()
    _plan_reminder(event)
    db.session.flush()
    if event.series_id is not None:  # a new date of a course: its participants too
        sync_course_dates(event.series_id)
    audit("event.publish", event)


def cancel_event(event: Event) -> int:
    """Cancel the event: CANCEL to everyone with a seat or an invitation, a note to
    the waiting list. Returns how many people are told."""
    if event.status == EventStatus.CANCELLED:
        return 0
    was_draft = event.status == EventStatus.DRAFT
    event.status = EventStatus.CANCELLED
    event.cancelled_at = utcnow()
    event.changed_at = utcnow()
    event.sequence += 1
    event.reminder_due_at = None
    told = 0
    if not was_draft:
        told = notify_cancellation(event)
    db.session.flush()
    audit("event.cancel", event, told=told)
    return told


def delete_event(event: Event) -> None:
    """Only a draft can be deleted; a published event is cancelled instead."""
    if event.status != EventStatus.DRAFT:
        raise EventStateError(_("Only drafts can be deleted. Cancel the event instead."))
    audit("event.delete", event, title=event.title)
    db.session.execute(sa.delete(Registration).where(Registration.event_id == event.id))
    db.session.delete(event)
    db.session.flush()


def copy_event(event: Event, *, start_day: date) -> Event:
    """Another date of the same training: a draft with everything but the day, in the
    event's series (one is made from the event when it has none)."""
    if year_problem(start_day):
        raise EventError(year_problem(start_day), "start_day")
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
    copy_questions(event, copy)
    return copy


def input_from(event: Event) -> EventInput:
    """The event as the editor's form shows it."""
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
        capacity_online=event.capacity_online,
        deadline_day=deadline.date() if deadline else None,
        deadline_time=deadline.time().replace(tzinfo=None) if deadline else None,
        reminder_hours=event.reminder_hours,
        retention_months=event.retention_months,
        series_id=event.series_id,
    )


# -- reminders ---------------------------------------------------------------------------


def _plan_reminder(event: Event, now: datetime | None = None) -> None:
    """Due `reminder_hours` before the start; none when that time has passed already
    (a reminder minutes after the confirmation helps nobody)."""
    now = now or utcnow()
    event.reminder_due_at = None
    if event.status != EventStatus.PUBLISHED or not event.reminder_hours:
        return
    due = event.starts_at - timedelta(hours=event.reminder_hours)
    if due > now:
        event.reminder_due_at = due
        event.reminder_sent_at = None


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due; each event's once (claimed by one UPDATE).
    Commits per event. Returns the number of reminders queued."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Event.id).where(
            Event.reminder_due_at <= now, Event.status == EventStatus.PUBLISHED
        )
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
            queued += queue_for_confirmed(event, EventMailKind.REMINDER)
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
    errors = Errors()
    name = line(name, "name", 120, errors, required=True)
    name_en = line(name_en, "name_en", 120, errors)
    errors.raise_any()
    slug = slugify(name, "art")
    if db.session.scalar(sa.select(EventKind.id).where(EventKind.slug == slug)):
        raise EventError(_("This kind exists already."), "name")
    position = (db.session.scalar(sa.select(sa.func.max(EventKind.position))) or 0) + 1
    kind = EventKind(slug=slug, name=name, name_en=name_en, position=position)
    db.session.add(kind)
    db.session.flush()
    audit("event_kind.create", kind)
    return kind


def save_series(series: EventSeries | None, *, title: str, description: str = "") -> EventSeries:
    errors = Errors()
    title = line(title, "title", MAX_TITLE, errors, required=True)
    description = text(description, "description", errors)
    errors.raise_any()
    if series is None:
        series = EventSeries(slug=_unique_slug(EventSeries, title, None))
        db.session.add(series)
    series.title = title
    series.description = description
    db.session.flush()
    audit("event_series.save", series)
    return series


def upcoming_events(
    *,
    kind: EventKind | None = None,
    now: datetime | None = None,
    limit: int = 200,
    event_format: EventFormat | None = None,
    starting: tuple[datetime, datetime] | None = None,
    matching: str | None = None,
):
    """Published events that have not ended, soonest first; only those of a kind, a
    format, starting in [start, end), or with `matching` in the title, venue or
    address (any case), if given."""
    now = now or utcnow()
    query = sa.select(Event).where(Event.status == EventStatus.PUBLISHED, Event.ends_at > now)
    if matching:
        query = query.where(matches(matching, Event.title, Event.venue, Event.address))
    if kind is not None:
        query = query.where(Event.kind_id == kind.id)
    if event_format is not None:
        query = query.where(Event.format == event_format)
    if starting is not None:
        query = query.where(Event.starts_at >= starting[0], Event.starts_at < starting[1])
    return list(db.session.scalars(query.order_by(Event.starts_at, Event.id).limit(limit)))
