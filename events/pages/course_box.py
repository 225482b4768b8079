"""What a whole-course series' page shows of booking (templates/events/
_series_course.html): seats left, the deadline, whether it is open, the form."""

from __future__ import annotations

from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from events import course_seats
from events.dates import instant_text, when
from events.forms import RegistrationForm
from events.models import EventSeries, EventStatus
from kkp.db import utcnow
from people.lists import current_consent_text
from people.models import ConsentPurpose


def course_box(
    series: EventSeries,
    form: RegistrationForm | None = None,
    *,
    errors: dict | None = None,
    problem: str | None = None,
) -> dict | None:
    """The booking box of a course's page; None for a series booked date by date."""
    if not course_seats.is_course(series):
        return None
    locale = str(get_locale())
    now = utcnow()
    consent = current_consent_text(ConsentPurpose.EVENT_REGISTRATION)
    if form is None:
        form = RegistrationForm(formdata=None)
        form.consent_version.data = str(consent.version) if consent else ""
    left = course_seats.public_seats_left(series)
    closes = course_seats.closes_at(series)
    dates = course_seats.course_dates(series)
    if left is None:
        seats = ""
    elif left <= 0:
        seats = _("Fully booked – waiting list")
    else:
        seats = ngettext("%(num)d seat left", "%(num)d seats left", left)
    return {
        "open": course_seats.is_open(series, now),
        "started": bool(dates) and dates[0].starts_at <= now,
        "seats_left": left,
        "seats": seats,
        "closes_at": instant_text(closes, locale) if closes else "",
        "dates": [
            {"event": e, "when": when(e, locale)}
            for e in series.events
            if e.status in (EventStatus.PUBLISHED, EventStatus.CANCELLED)
        ],
        "form": form,
        "consent": consent,
        "errors": errors or {},
        "problem": problem,
    }
