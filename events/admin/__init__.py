"""The editors' pages of the events, on the blueprint ``events_admin`` (/admin/events):
the events themselves (:mod:`.events`), their participants (:mod:`.participants`; the
bulk actions on a selection in :mod:`.participant_bulk`), every registration across
them (:mod:`.registrations`), series (:mod:`.series`; a whole course's participants
in :mod:`.course_participants`), the forms (:mod:`.forms`), their section of the start
page (:mod:`.dashboard`), and how events read in the audit log (:mod:`.audit`)."""

from events.admin import (  # noqa: F401  (their routes join bp)
    audit,
    course_participants,
    dashboard,
    participant_bulk,
    participants,
    registrations,
    series,
)
from events.admin.events import bp

__all__ = ["bp"]
