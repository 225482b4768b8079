"""What a whole-course series' page shows of booking (templates/events/
_series_course.html): seats left, the deadline, whether it is open, the form."""

from __future__ import annotations

from flask import request
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from events import course_seats
from events.dates import instant_text, when
from events.forms import RegistrationForm
from events.models import EventSeries, EventStatus
from events.questions import consents_of, questions_of
from events.registration_extras import registration_extras
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
        # a course whose dates are hybrid asks on site or online (seats counted apart)
        "hybrid": course_seats.is_hybrid(series),
        "seats_by_kind": course_seats.public_seats_by_kind(series),
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
        # the course's own questions, optional consents and the newsletter box
        "extras": registration_extras(
            questions_of(series),
            consents_of(series),
            formdata=request.form if request.method == "POST" else None,
            errors=errors,
            locale=locale,
        ),
    }
