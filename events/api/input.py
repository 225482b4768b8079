"""How the event API reads times, and how an event's checked body becomes an
:class:`~events.operations.EventInput` (the schemas: :mod:`events.api.schemas`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import gettext as _

from events import operations as ops
from events.models import EventKind
from kkp.api import ApiError
from kkp.api_docs import DATE_IN_RANGE
from kkp.extensions import db
from kkp.i18n import BERLIN, year_problem

# -- times ---------------------------------------------------------------------------------


def when(value) -> tuple[date, time | None]:
    """ "YYYY-MM-DD" → (day, None); "YYYY-MM-DDTHH:MM" → German wall-clock time; with an
    offset or Z → converted to Europe/Berlin.

    A time given with an offset in the hour that occurs twice in autumn keeps its `fold`,
    which :func:`kkp.i18n.berlin_to_utc` honours: the instant stays the one given.
    """
    wrong = _("Please give a date (2026-05-12) or a date and time (2026-05-12T10:00).")
    if not isinstance(value, str) or len(value) > 40:
        raise ma.ValidationError(wrong)
    value = value.strip()
    try:
        if len(value) == 10:
            return _in_range(date.fromisoformat(value)), None
        if not ("T" in value.upper() or " " in value):
            raise ValueError(value)
        moment = _in_range(datetime.fromisoformat(value))
    except (ValueError, OverflowError) as exc:
        raise ma.ValidationError(wrong) from exc
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(BERLIN)
        except (ValueError, OverflowError) as exc:
            raise ma.ValidationError(wrong) from exc
    return moment.date(), moment.time().replace(tzinfo=None, microsecond=0)


def _in_range(day):
    """`day` (a date or datetime) if its year may be entered."""
    problem = year_problem(day)
    if problem:
        raise ma.ValidationError(problem)
    return day


def when_or_null(value) -> tuple[date, time | None] | None:
    return None if value is None else when(value)


def parse_day(value) -> date:
    """A date alone, "YYYY-MM-DD"."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return _in_range(day)
    raise ma.ValidationError(_("Please give a date, e.g. 2026-05-12."))


# -- a body → EventInput -------------------------------------------------------------------

_SIMPLE = (
    "title",
    "summary",
    "description",
    "format",
    "venue",
    "address",
    "join_url",
    "all_day",
    "organizer_name",
    "organizer_email",
    "audience",
    "cost_note",
    "registration_mode",
    "capacity",
    "capacity_online",
    "reminder_hours",
    "retention_months",
    "series_id",
)


def _kind_id(slug: str) -> int:
    kind_id = db.session.scalar(sa.select(EventKind.id).where(EventKind.slug == slug))
    if kind_id is None:
        raise ApiError(
            422,
            _("Please check the fields named."),
            {"kind": _("There is no such kind of event. GET /event-kinds lists them.")},
        )
    return kind_id


def event_input_of(values: dict, base: ops.EventInput | None = None) -> ops.EventInput:
    """The :class:`EventInput` of a checked body; fields not sent keep `base`'s values
    (a new event's defaults when there is no base)."""
    data = replace(base) if base is not None else ops.EventInput()
    data.notes = []
    for name in _SIMPLE:
        if name in values:
            setattr(data, name, values[name])
    if "kind" in values:
        data.kind_id = _kind_id(values["kind"])
    problems: dict[str, str] = {}
    for name in ("start", "end"):
        if name not in values:
            continue
        day, at = values[name]
        if data.all_day and at is not None:
            problems[name] = _("An all-day event takes dates only, e.g. 2026-05-12.")
        elif not data.all_day and at is None:
            problems[name] = _(
                "Please give a date and time, e.g. 2026-05-12T10:00, or set all_day to true."
            )
        elif name == "start":
            data.start_day, data.start_time = day, at
        else:
            data.end_day, data.end_time = day, at
    if "registration_deadline" in values:
        deadline = values["registration_deadline"]
        data.deadline_day, data.deadline_time = deadline if deadline else (None, None)
    if problems:
        raise ApiError(422, _("Please check the fields named."), problems)
    return data


#: what the document says of `start`, `end` and `registration_deadline`
WHEN = {
    "type": "string",
    "maxLength": 40,
    "pattern": DATE_IN_RANGE,
    "description": (
        '"YYYY-MM-DDTHH:MM" in German time (Europe/Berlin), or with an offset or `Z` '
        '(converted to German time); "YYYY-MM-DD" for all-day events (`end`: the last '
        "day). A time the clocks skip in spring is refused; one that occurs twice in "
        "autumn, given without an offset, is the first (summer time), and `notes` says so. "
        "Years 1900 to 2200."
    ),
}
