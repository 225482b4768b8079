"""What calendar apps and feed readers fetch: one event's .ics, the subscribable
calendars and the feeds of upcoming events (routes on the public blueprint).

Every answer carries a strong ETag from its bytes and a Last-Modified from the data,
and answers a matching If-None-Match (checked first) or If-Modified-Since with 304.
Which events the calendars show, and for how long cancelled ones stay, is in
`events.calendar_cache`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, current_app, request
from flask_babel import force_locale

from events import feeds
from events.calendar_cache import Built, calendar_description, calendar_name, current
from events.calendars import calendar_event
from events.ical import calendar_feed
from events.models import Event, EventKind, EventStatus
from events.operations import upcoming_events
from events.pages.events import bp
from kkp.conditional import conditional_response
from kkp.db import utcnow
from kkp.extensions import db
from kkp.office import current_office_name

CALENDAR_TYPE = "text/calendar"
#: calendar apps poll hourly (REFRESH-INTERVAL); proxies may reuse an answer this long
CALENDAR_MAX_AGE = 300


@bp.get("/calendar.ics")
def calendar():
    return _calendar_response(current())


@bp.get("/calendar/<kind>.ics")
def kind_calendar(kind: str):
    found = db.session.scalar(sa.select(EventKind).where(EventKind.slug == kind))
    if found is None:
        abort(404)
    return _calendar_response(current(found))


def _calendar_response(built: Built):
    """Gzipped to clients that accept it (most calendar apps do): a tenth of the
    bytes. Each encoding has its own strong ETag."""
    headers = {"Vary": "Accept-Encoding"}
    if request.accept_encodings["gzip"]:
        body, etag = built.gzipped, built.gzip_etag
        headers["Content-Encoding"] = "gzip"
    else:
        body, etag = built.body, built.etag
    return conditional_response(
        body, CALENDAR_TYPE, built.last_modified, headers, etag=etag, max_age=CALENDAR_MAX_AGE
    )


# Static parts outrank a bare `<slug>` in Werkzeug's routing, and slugs never contain a
# dot: /events/<slug>.ics and /events/feed.rss do not collide with /events/<slug>.


@bp.get("/events/<slug>.ics")
def event_ics(slug: str):
    event = db.session.scalar(
        sa.select(Event).where(
            Event.slug == slug, Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED))
        )
    )
    if event is None:
        abort(404)
    office = current_office_name()
    body = calendar_feed(
        [calendar_event(event, office=office.name)],
        name=event.title,
        description=calendar_description(office.name),
    )
    return conditional_response(
        body,
        CALENDAR_TYPE,
        max(event.changed_at, office.changed_at or event.changed_at),
        {"Content-Disposition": f'attachment; filename="{slug}.ics"'},
        max_age=CALENDAR_MAX_AGE,
    )


@bp.get("/events/feed.<any(rss, atom):kind>")
def feed(kind: str):
    now = utcnow()
    config = current_app.config
    locale = config["BABEL_DEFAULT_LOCALE"]
    events = upcoming_events(now=now, limit=feeds.FEED_SIZE)
    office = current_office_name()
    updated = feeds_changed(now)
    common = {
        "title": calendar_name(office=office.name),
        "description": calendar_description(office.name),
        "base_url": config["KKP_BASE_URL"],
        # the office's name shows in the title and as the author
        "updated": max(updated, office.changed_at or updated),
        "language": locale,
    }
    with force_locale(locale):
        body = feeds.feed(kind, events, author=office.name, **common)
    return conditional_response(body, f"application/{kind}+xml", common["updated"])


def feeds_changed(now: datetime) -> datetime:
    """When the feeds of upcoming events last changed: the newest change made to an
    event while it was still ahead (publishing, an edit, a cancellation), or the end
    of the latest event that has ended since, whichever is later. From the data, so
    the same data gives the same bytes."""
    changed, ended = db.session.execute(
        sa.select(
            sa.select(sa.func.max(Event.changed_at))
            .where(
                Event.status.in_((EventStatus.PUBLISHED, EventStatus.CANCELLED)),
                Event.ends_at > Event.changed_at,
            )
            .scalar_subquery(),
            sa.select(sa.func.max(Event.ends_at))
            .where(Event.status == EventStatus.PUBLISHED, Event.ends_at <= now)
            .scalar_subquery(),
        )
    ).one()
    return max(changed or feeds.EPOCH, ended or feeds.EPOCH)
