"""How a series is booked and certified: the scope (each date, the whole course, one
of several dates), the course's seats (a hybrid course's on site and online) and
deadline, the certificate's share of dates (percent), teaching units (45 minutes),
summary and signer, and how many months after the last date registrations are kept.
Editors set them on the series' page and in the API; every wrong field is named at
once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from events.course_seats import course_dates, lock_series, seated_count, waiting_count
from events.courses import promote_waiting
from events.event_input import MAX_CAPACITY, Errors, line, text
from events.models import REGISTRATION_SCOPES, EventSeries, RegistrationScope
from kkp.auth.operations import audit
from kkp.i18n import NonexistentTime, berlin_to_utc, year_problem

MAX_RETENTION_MONTHS = 120
#: the settings' names, as the form's fields and the API's keys
FIELDS = (
    "registration_scope",
    "capacity",
    "capacity_online",
    "registration_deadline",
    "certificate_share",
    "teaching_units",
    "certificate_summary",
    "signer_name",
    "signer_role",
    "retention_months",
)


@dataclass
class SeriesSettings:
    registration_scope: str = RegistrationScope.DATES
    #: the course's seats; None: no limit
    capacity: int | None = None
    #: a hybrid course's online seats; None: no limit
    capacity_online: int | None = None
    #: UTC; None: booking closes at the first date's start
    registration_deadline: datetime | None = None
    #: percent of the dates attended for a certificate
    certificate_share: int = 75
    teaching_units: bool = False
    certificate_summary: str = ""
    signer_name: str = ""
    signer_role: str = ""
    #: months after the last date; None: the default
    retention_months: int | None = None

    @classmethod
    def of(cls, series: EventSeries) -> SeriesSettings:
        return cls(**{name: getattr(series, name) for name in FIELDS})


def berlin_deadline(
    day: date | None, at: time | None, errors: Errors, field: str = "registration_deadline"
) -> datetime | None:
    """A deadline typed as a day (and a time; none: the end of that day) in German
    time, in UTC; a problem goes to `field`."""
    if day is None:
        if at is not None:
            errors.add(field, _("Please enter the date of the deadline."))
        return None
    if year_problem(day):
        errors.add(field, year_problem(day))
        return None
    try:
        if at is None:
            instant, _ambiguous = berlin_to_utc(day + timedelta(days=1), time(0))
            return instant - timedelta(minutes=1)
        instant, _ambiguous = berlin_to_utc(day, at)
    except NonexistentTime:
        errors.add(field, _("This time does not exist on that day (clocks go forward)."))
        return None
    return instant


def _number(value, field: str, low: int, high: int, errors: Errors) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.add(
            field, _("Please enter a whole number from %(low)d to %(high)d.", low=low, high=high)
        )
        return None
    return value


def save_settings(
    series: EventSeries,
    settings: SeriesSettings,
    errors: Errors | None = None,
    *,
    deadline_field: str = "registration_deadline",
) -> EventSeries:
    """Check and store; raises :class:`~events.errors.EventError` naming every wrong
    field (with those already in `errors`, e.g. a deadline the form could not read).
    More course seats give the waiting list its seats at once."""
    errors = errors if errors is not None else Errors()
    if (
        series.registration_scope == RegistrationScope.COURSE
        and settings.registration_scope != RegistrationScope.COURSE
        and seated_count(series.id) + waiting_count(series.id) > 0
    ):
        errors.add(
            "registration_scope",
            _("People have booked the whole course: remove their bookings first."),
        )
    first = next((e.starts_at for e in course_dates(series)), None)
    deadline = settings.registration_deadline
    if deadline is not None and first is not None and deadline > first:
        errors.add(deadline_field, _("The booking deadline must not be after the first date."))
    if settings.registration_scope not in REGISTRATION_SCOPES:
        errors.add("registration_scope", _("Please choose from the options shown."))
    capacity = _number(settings.capacity, "capacity", 1, MAX_CAPACITY, errors)
    online = _number(settings.capacity_online, "capacity_online", 1, MAX_CAPACITY, errors)
    share = _number(settings.certificate_share, "certificate_share", 0, 100, errors)
    months = _number(settings.retention_months, "retention_months", 1, MAX_RETENTION_MONTHS, errors)
    summary = text(settings.certificate_summary, "certificate_summary", errors)[:5000]
    signer = line(settings.signer_name, "signer_name", 200, errors)
    role = line(settings.signer_role, "signer_role", 200, errors)
    errors.raise_any()
    series = lock_series(series.id)
    series.registration_scope = settings.registration_scope
    series.capacity, series.capacity_online = capacity, online
    series.registration_deadline = settings.registration_deadline
    series.certificate_share = 75 if share is None else share
    series.teaching_units = bool(settings.teaching_units)
    series.certificate_summary = summary
    series.signer_name, series.signer_role = signer, role
    series.retention_months = months
    audit("event_series.settings", series, scope=series.registration_scope)
    promote_waiting(series)
    return series
