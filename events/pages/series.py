"""A series' public page: its dates, and for a whole course the booking box
(:mod:`events.pages.course_box`)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template
from markupsafe import Markup

from events.models import EventSeries
from events.pages.course_box import course_box
from events.pages.events import VISIBLE, bp, calendar_links, event_rows
from kkp.extensions import db
from kkp.markup import to_html


@bp.get("/events/series/<slug>")
def series_page(slug: str):
    series = db.session.scalar(sa.select(EventSeries).where(EventSeries.slug == slug))
    if series is None:
        abort(404)
    return render_series(series)


def render_series(series: EventSeries, *, course: dict | None = None, status: int = 200):
    """A series' page; `course`: its booking box as a post left it (the course scope)."""
    dates = [e for e in series.events if e.status in VISIBLE]
    if not dates:
        abort(404)
    return render_template(
        "events/series.html",
        series=series,
        description=Markup(to_html(series.description)) if series.description.strip() else "",
        rows=event_rows(dates),
        calendars=calendar_links(),
        course=course or course_box(series),
    ), status
