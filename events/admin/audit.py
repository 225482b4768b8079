"""The events' objects in the audit log: by title, linked to their editors' pages."""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for
from flask_babel import get_locale

from events.models import Event, EventKind, EventSeries, Registration
from kkp.auth.audit_log import register_names
from kkp.extensions import db


def _events(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(Event.id, Event.title).where(Event.id.in_(ids)))
    return {i: (title, url_for("events_admin.event_edit", event_id=i)) for i, title in rows}


def _kinds(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    kinds = db.session.scalars(sa.select(EventKind).where(EventKind.id.in_(ids)))
    link = url_for("events_admin.kinds")
    return {k.id: (k.label(str(get_locale())), link) for k in kinds}


def _series(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(
        sa.select(EventSeries.id, EventSeries.title).where(EventSeries.id.in_(ids))
    )
    return {i: (title, url_for("events_admin.series_edit", series_id=i)) for i, title in rows}


def _registrations(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    """A registration by its event, never by the person's name or address."""
    rows = db.session.execute(
        sa.select(Registration.id, Event.id, Event.title)
        .join(Event, Event.id == Registration.event_id)
        .where(Registration.id.in_(ids))
    )
    return {
        i: (title, url_for("events_admin.participants", event_id=event_id))
        for i, event_id, title in rows
    }


register_names("Event", _events)
register_names("EventKind", _kinds)
register_names("EventSeries", _series)
register_names("Registration", _registrations)
