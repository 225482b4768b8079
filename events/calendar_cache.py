"""Which events the subscribed calendars show, and their bytes, cached per process.

What a calendar shows (`/calendar.ics`, `/calendar/<kind>.ics`):

- published events;
- cancelled events for `CANCELLED_KEPT` (30 days) after their cancellation, with
  `STATUS:CANCELLED` and a raised SEQUENCE, so every subscribed calendar sees them go
  instead of silently losing them; then they are left out;
- never drafts;
- nothing that ended more than `PAST_KEPT` (365 days) ago.

Building 2,000 VEVENTs takes the better part of a second, so each process keeps the
last bytes of every calendar (plain and gzipped) with a fingerprint of the rows they
came from: count, highest id and newest `updated_at` of the events in the window, in
one aggregate query, plus the settings and kind names that show in the output and the
office's name as the editors set it (`kkp.office`: one primary-key query). Any
write to an event moves its `updated_at` past every other (`changed_at` moves with
it), nothing enters the window without a write, and an event leaving it lowers the
count. So the fingerprint changes whenever the bytes could; every process computes
the same bytes from the same rows, and nothing assumes a single process. The
fingerprint is read before the rows, so a change committed in between is at worst
built early and built again at the next check, never served stale.

The query reads every event in the window, which costs about as much as a whole
/healthz request at 2,000 events; so a process asks again at most every
`RECHECK_SECONDS` (1 s) per calendar and serves what it has in between, without a
query (a new office name, too, shows from the next check on). Calendar apps
poll hourly and proxies may keep an answer for minutes (Cache-Control), so the second
is invisible to subscribers; tests set it to 0.
"""

from __future__ import annotations

import gzip
import math
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from events.calendars import CANCELLED_KEPT, PAST_KEPT, calendar_event
from events.ical import CalendarEvent, calendar_feed
from events.models import Event, EventKind, EventStatus
from kkp.conditional import etag_of
from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db
from kkp.office import OfficeName, current_office_name, office_name

#: what an empty calendar gives as its last change
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
#: how long a process serves a calendar without asking the database again, in seconds
#: (config `KKP_CALENDAR_RECHECK_SECONDS`; 0: on every request, as the tests do)
RECHECK_SECONDS = 1.0


# The window as bound parameters: the statements are built once and compiled once.
_CANCELLED_AFTER = sa.bindparam("cancelled_after", type_=UTCDateTime())
_ENDS_AFTER = sa.bindparam("ends_after", type_=UTCDateTime())
_KIND_ID = sa.bindparam("kind_id", type_=sa.Integer())


def _shown(with_kind: bool):
    """The WHERE clause of the policy above.

    Written as a CASE rather than `published OR (cancelled AND …)`: SQLite would answer
    the OR through the status index, row by row, which takes twice as long as reading
    the table for the fingerprint, on every request.
    """
    clauses = [
        sa.case(
            (Event.status == EventStatus.PUBLISHED, sa.true()),
            (Event.status == EventStatus.CANCELLED, Event.cancelled_at > _CANCELLED_AFTER),
            else_=sa.false(),
        ),
        Event.ends_at > _ENDS_AFTER,
    ]
    if with_kind:
        clauses.append(Event.kind_id == _KIND_ID)
    return sa.and_(*clauses)


def _window(kind: EventKind | None, now: datetime) -> dict:
    params = {"cancelled_after": now - CANCELLED_KEPT, "ends_after": now - PAST_KEPT}
    if kind is not None:
        params["kind_id"] = kind.id
    return params


_EVENTS = {
    with_kind: sa.select(Event).where(_shown(with_kind)).order_by(Event.starts_at, Event.id)
    for with_kind in (False, True)
}
# Any write to an event moves its `updated_at` past every other (`changed_at` with it),
# and nothing enters the window without a write; leaving it lowers the count.
_FINGERPRINT = {
    with_kind: sa.select(
        sa.func.count(Event.id), sa.func.max(Event.id), sa.func.max(Event.updated_at)
    ).where(_shown(with_kind))
    for with_kind in (False, True)
}


def calendar_events(*, kind: EventKind | None = None, now: datetime | None = None) -> list[Event]:
    """The events a subscribed calendar shows at `now` (see the module's docstring),
    soonest first."""
    now = now or utcnow()
    return list(db.session.scalars(_EVENTS[kind is not None], _window(kind, now)))


def calendar_name(kind: EventKind | None = None, office: str | None = None) -> str:
    """e.g. "Geschäftsstelle KKP – Veranstaltungen", "… – Fortbildung" for a kind.

    office: the office's name (`kkp.office.office_name`, read when not given).
    """
    office = office or office_name()
    locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    if kind is not None:
        return f"{office} – {kind.label(locale)}"
    with force_locale(locale):
        return f"{office} – {_('Events')}"


def calendar_description(office: str | None = None) -> str:
    """e.g. "Meetings, trainings and information events of <office>." (office: as for
    `calendar_name`)."""
    office = office or office_name()
    # the office's language whatever the reader's cookie says: everyone gets the same bytes
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return _("Meetings, trainings and information events of %(office)s.") % {"office": office}


def last_change(events: list[Event], *, kind: EventKind | None, now: datetime) -> datetime:
    """The calendar's Last-Modified: the newest `changed_at` of its events, or the
    moment the latest event left it (cancelled 30 days, or ended 365 days, before
    `now`), or the kind's creation. From the data, never the clock."""
    kind_clause = [Event.kind_id == kind.id] if kind else []
    cancelled, ended = db.session.execute(
        sa.select(
            sa.func.max(
                sa.case(
                    (
                        sa.and_(
                            Event.status == EventStatus.CANCELLED,
                            Event.cancelled_at <= now - CANCELLED_KEPT,
                        ),
                        Event.cancelled_at,
                    )
                )
            ),
            sa.func.max(
                sa.case(
                    (
                        sa.and_(
                            Event.status != EventStatus.DRAFT, Event.ends_at <= now - PAST_KEPT
                        ),
                        Event.ends_at,
                    )
                )
            ),
        ).where(*kind_clause)
    ).one()
    candidates = [event.changed_at for event in events]
    candidates.append(kind.created_at if kind else EPOCH)
    if cancelled is not None:
        candidates.append(cancelled + CANCELLED_KEPT)
    if ended is not None:
        candidates.append(ended + PAST_KEPT)
    return max(candidates)


def build(
    kind: EventKind | None = None,
    now: datetime | None = None,
    *,
    convert=None,
    office: OfficeName | None = None,
) -> tuple[bytes, datetime]:
    """The calendar's bytes at `now` and their Last-Modified (a later change of the
    office's name counts: it shows in the calendar's name and its organizers).

    convert: Event -> CalendarEvent (the cache passes one that remembers them);
    office: the office's name as read for this build (read when not given).
    """
    now = now or utcnow()
    office = office or current_office_name()
    convert = convert or partial(calendar_event, office=office.name)
    events = calendar_events(kind=kind, now=now)
    body = calendar_feed(
        [convert(e) for e in events],
        name=calendar_name(kind, office.name),
        description=calendar_description(office.name),
    )
    changed = last_change(events, kind=kind, now=now)
    return body, max(changed, office.changed_at or changed)


@dataclass(frozen=True)
class Built:
    """A calendar's bytes, plain and gzipped (mtime 0: the same input, the same bytes),
    each with its strong ETag."""

    key: tuple
    body: bytes
    etag: str
    gzipped: bytes
    gzip_etag: str
    last_modified: datetime


class CalendarCache:
    """The last bytes of each calendar (all events, one per kind) in this process.

    clock: seconds, for `recheck` (time.monotonic; tests pass their own).
    """

    def __init__(self, *, clock=time.monotonic) -> None:
        self._entries: dict[int | None, Built] = {}
        self._checked: dict[int | None, float] = {}
        #: event id -> (updated_at, settings, CalendarEvent): a rebuild after one edit
        #: converts only that event (the Markdown to text is most of the work); at most
        #: one per event shown since the process started
        self._converted: dict[int, tuple] = {}
        self._lock = threading.Lock()
        self._clock = clock

    def get(
        self, kind: EventKind | None = None, now: datetime | None = None, *, recheck: float = 0
    ) -> Built:
        """The calendar at `now`; without `now`, the last one checked against the
        database less than `recheck` seconds ago, if the settings are still the same."""
        scope = kind.id if kind else None
        settings = _settings(kind)
        entry = self._entries.get(scope)
        if (
            now is None
            and entry is not None
            and entry.key[0] == settings
            and self._clock() - self._checked.get(scope, -math.inf) < recheck
        ):
            return entry
        now = now or utcnow()
        office = current_office_name()
        key = (settings, office, _fingerprint(kind, now))
        if entry is None or entry.key != key:
            with self._lock:  # one build at a time; the others wait for it and reuse it
                entry = self._entries.get(scope)
                if entry is None or entry.key != key:
                    body, last_modified = build(
                        kind, now, convert=self._converter(settings, office.name), office=office
                    )
                    gzipped = gzip.compress(body, compresslevel=6, mtime=0)
                    entry = Built(
                        key, body, etag_of(body), gzipped, etag_of(gzipped), last_modified
                    )
                    self._entries[scope] = entry
        self._checked[scope] = self._clock()
        return entry

    def _converter(self, settings: tuple, name: str):
        """name: the office's, the organizer of events without one of their own."""
        office = (settings[0], name)

        def convert(event: Event) -> CalendarEvent:
            known = self._converted.get(event.id)
            if known is not None and known[:2] == (event.updated_at, office):
                return known[2]
            converted = calendar_event(event, office=name)
            self._converted[event.id] = (event.updated_at, office, converted)
            return converted

        return convert

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._checked.clear()
            self._converted.clear()


def _settings(kind: EventKind | None) -> tuple:
    """What the bytes depend on besides the events and the office's name as the editors
    set it: (the settings that show in every event, the kind's names); no query."""
    config = current_app.config
    office = tuple(
        config[name]
        for name in ("KKP_OFFICE_NAME", "KKP_BASE_URL", "KKP_MAIL_FROM", "BABEL_DEFAULT_LOCALE")
    )
    return (
        office,
        (kind.id, kind.slug, kind.name, kind.name_en, kind.created_at) if kind else None,
    )


def _fingerprint(kind: EventKind | None, now: datetime) -> tuple:
    """The rows' part of the key, in one aggregate query."""
    # Core, not the ORM: a row of numbers, read on every check
    return tuple(
        db.session.connection().execute(_FINGERPRINT[kind is not None], _window(kind, now)).one()
    )


def cache() -> CalendarCache:
    """This process's cache for the current app."""
    return current_app.extensions.setdefault("events_calendar_cache", CalendarCache())


def current(kind: EventKind | None = None) -> Built:
    """The calendar as a request gets it (see RECHECK_SECONDS)."""
    recheck = current_app.config.get("KKP_CALENDAR_RECHECK_SECONDS", RECHECK_SECONDS)
    return cache().get(kind, recheck=recheck)
