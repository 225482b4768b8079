"""What owns materials and feedback in the API: an event, or a series (a course); their
path parameters and lookups (404 in German; the feedback of a series that is not booked
as a whole: 409, its dates have it)."""

from __future__ import annotations

from flask_babel import gettext as _

from events.feedback import require_own_feedback
from events.models import EventSeries
from kkp.api import get_or_404
from kkp.api_docs import id_parameter

SERIES_ID = [id_parameter("series_id", "The series' id.")]


def find_series(series_id: int) -> EventSeries:
    return get_or_404(EventSeries, series_id, _("There is no such series."))


def find_feedback_series(series_id: int) -> EventSeries:
    """A series booked as a whole course. Any other: 409 (via :class:`EventStateError`),
    as each of its dates collects its own feedback."""
    series = find_series(series_id)
    require_own_feedback(series)
    return series
