"""The event API's input: what each body may hold, how times in it are read, and how an
event's body becomes an :class:`~events.operations.EventInput` (the simple fields by
:mod:`kkp.api`'s rules, lists and texts as in :mod:`newsletter.api_issues_input`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time

import sqlalchemy as sa
from flask_babel import gettext as _

from events import event_input
from events import operations as ops
from events.models import (
    EVENT_STATUSES,
    FORMATS,
    REGISTRATION_MODES,
    REGISTRATION_STATUSES,
    EventKind,
)
from kkp.api import ApiError, Field, _Invalid
from kkp.extensions import db
from kkp.i18n import BERLIN, year_problem
from newsletter import openapi
from newsletter.api_issues_input import (  # noqa: F401  (read_json: for the routes)
    Structured,
    read_json,
    text_field,
)

#: the longest summary and description, in characters
MAX_SUMMARY, MAX_DESCRIPTION = 2000, 50_000


# -- times ---------------------------------------------------------------------------------


def _when(value) -> tuple[date, time | None]:
    """ "YYYY-MM-DD" → (day, None); "YYYY-MM-DDTHH:MM" → German wall-clock time; with an
    offset or Z → converted to Europe/Berlin.

    A time given with an offset in the hour that occurs twice in autumn keeps its `fold`,
    which :func:`kkp.i18n.berlin_to_utc` honours: the instant stays the one given.
    """
    wrong = _("Please give a date (2026-05-12) or a date and time (2026-05-12T10:00).")
    if not isinstance(value, str) or len(value) > 40:
        raise _Invalid(wrong)
    value = value.strip()
    try:
        if len(value) == 10:
            return _in_range(date.fromisoformat(value)), None
        if not ("T" in value.upper() or " " in value):
            raise ValueError(value)
        moment = _in_range(datetime.fromisoformat(value))
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, _Invalid):
            raise
        raise _Invalid(wrong) from exc
    if moment.tzinfo is not None:
        try:
            moment = moment.astimezone(BERLIN)
        except (ValueError, OverflowError) as exc:
            raise _Invalid(wrong) from exc
    return moment.date(), moment.time().replace(tzinfo=None, microsecond=0)


def _in_range(day):
    """`day` (a date or datetime) if its year may be entered, else :class:`_Invalid`."""
    problem = year_problem(day)
    if problem:
        raise _Invalid(problem)
    return day


def _when_or_null(value) -> tuple[date, time | None] | None:
    return None if value is None else _when(value)


def query_day(args: dict, name: str) -> date | None:
    """A date parameter of the query string, or None when not given."""
    if name not in args:
        return None
    try:
        return parse_day(args[name])
    except _Invalid as exc:
        raise ApiError(422, _("Please check the fields named."), {name: str(exc)}) from exc


def parse_day(value) -> date:
    """A date alone, "YYYY-MM-DD"."""
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = date.fromisoformat(value.strip())
        except ValueError:
            pass
        else:
            return _in_range(day)
    raise _Invalid(_("Please give a date, e.g. 2026-05-12."))


# -- input specifications ------------------------------------------------------------------

EVENT_FIELDS: dict[str, Field | Structured] = {
    "kind": Field("string", required=True, max_length=80),
    "title": Field("string", required=True, max_length=event_input.MAX_TITLE),
    "summary": Structured(text_field(MAX_SUMMARY)),
    "description": Structured(text_field(MAX_DESCRIPTION)),
    "format": Field("string", max_length=20, choices=FORMATS),
    "venue": Field("string", max_length=200),
    "address": Field("string", max_length=event_input.MAX_LINE),
    "join_url": Field("string", max_length=1000),
    "all_day": Field("boolean"),
    "start": Structured(_when, required=True),
    "end": Structured(_when),
    "organizer_name": Field("string", max_length=200),
    "organizer_email": Field("string", max_length=254),
    "audience": Field("string", max_length=event_input.MAX_LINE),
    "cost_note": Field("string", max_length=event_input.MAX_LINE),
    "registration_mode": Field("string", max_length=20, choices=REGISTRATION_MODES),
    "capacity": Field("integer", nullable=True, maximum=event_input.MAX_CAPACITY),
    "registration_deadline": Structured(_when_or_null),
    "reminder_hours": Field("integer", nullable=True, maximum=event_input.MAX_REMINDER_HOURS),
    "series_id": Field("integer", nullable=True),
}
EVENT_CHANGES = {name: replace(field, required=False) for name, field in EVENT_FIELDS.items()}
EVENT_QUERY = {
    "status": Field("string", max_length=20, choices=EVENT_STATUSES),
    "kind": Field("string", max_length=80),
    "from": Field("string", max_length=10),
    "series_id": Field("integer"),
    "after": Field("integer", minimum=0),
    "limit": Field("integer", maximum=openapi.MAX_PAGE_SIZE),
}
KIND_FIELDS = {
    "name": Field("string", required=True, max_length=120),
    "name_en": Field("string", max_length=120),
}
SERIES_FIELDS: dict[str, Field | Structured] = {
    "title": Field("string", required=True, max_length=event_input.MAX_TITLE),
    "description": Structured(text_field(MAX_DESCRIPTION)),
}
SERIES_CHANGES = {name: replace(field, required=False) for name, field in SERIES_FIELDS.items()}
SERIES_QUERY = {
    "after": Field("integer", minimum=0),
    "limit": Field("integer", maximum=openapi.MAX_PAGE_SIZE),
}
COPY_FIELDS = {"start": Structured(parse_day, required=True)}
INVITATION_FIELDS = {"list_id": Field("integer", required=True)}
REGISTRATION_FIELDS = {
    "name": Field("string", required=True, max_length=200),
    "email": Field("string", required=True, max_length=254),
    "organisation": Field("string", max_length=200),
    "over_capacity": Field("boolean"),
}
REGISTRATION_QUERY = {
    "status": Field("string", max_length=20, choices=REGISTRATION_STATUSES),
    "after": Field("integer", minimum=0),
    "limit": Field("integer", maximum=openapi.MAX_PAGE_SIZE),
}

#: the operations' (the form's) field names → the names in this API's bodies
FIELD_NAMES = {
    "kind_id": "kind",
    "start_day": "start",
    "start_time": "start",
    "end_day": "end",
    "end_time": "end",
    "deadline_day": "registration_deadline",
    "deadline_time": "registration_deadline",
}


def api_fields(errors: dict[str, str]) -> dict[str, str]:
    """An :class:`~events.operations.EventError`'s messages under the API's field names
    (the first message wins where two form fields make one API field)."""
    fields: dict[str, str] = {}
    for name, message in errors.items():
        fields.setdefault(FIELD_NAMES.get(name, name), message)
    return fields


# -- a body → EventInput -------------------------------------------------------------------


def _kind_id(slug: str) -> int:
    kind_id = db.session.scalar(sa.select(EventKind.id).where(EventKind.slug == slug))
    if kind_id is None:
        raise ApiError(
            422,
            _("Please check the fields named."),
            {"kind": _("There is no such kind of event. GET /event-kinds lists them.")},
        )
    return kind_id


def event_input(values: dict, base: ops.EventInput | None = None) -> ops.EventInput:
    """The :class:`EventInput` of a checked body; fields not sent keep `base`'s values
    (a new event's defaults when there is no base)."""
    data = replace(base) if base is not None else ops.EventInput()
    data.notes = []
    simple = (
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
        "reminder_hours",
        "series_id",
    )
    for name in simple:
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
