"""A four-date course for the tests of whole-course booking."""

from __future__ import annotations

from datetime import time

from tests.events.conftest import day_in


def make_course(kinds, *, capacity: int | None = 3, dates: int = 4, title="Kinderschutz"):
    """A published course series ("course" scope) of `dates` weekly dates from in 14
    days, 10:00 to 12:00; the series."""
    from events.models import RegistrationScope
    from events.operations import EventInput, create_event, publish_event, save_series
    from kkp.extensions import db

    series = save_series(None, title=f"Fortbildung {title}", description="Vier Termine.")
    series.registration_scope = RegistrationScope.COURSE
    series.capacity = capacity
    for n in range(dates):
        event = create_event(
            EventInput(
                kind_id=kinds["fortbildung"],
                title=f"Fortbildung {title}",
                summary="Teil einer Fortbildung",
                format="in_person",
                venue="Rathaus",
                address="Markt 1, 01067 Dresden",
                start_day=day_in(14 + 7 * n),
                start_time=time(10, 0),
                end_time=time(12, 0),
                organizer_name="Koordinierungsstelle",
                organizer_email="kkp@example.org",
                cost_note="kostenfrei",
                series_id=series.id,
            )
        )
        publish_event(event)
    db.session.commit()
    return series
