"""The editors' pages of the events, on the blueprint ``events_admin`` (/admin/events):
the events themselves (:mod:`.events`), their participants (:mod:`.participants`; the
bulk actions on a selection in :mod:`.participant_bulk`, moving one to another date
in :mod:`.participant_moving`), every registration across
them (:mod:`.registrations`), series (:mod:`.series`), the forms (:mod:`.forms`), their
section of the start page (:mod:`.dashboard`), and how events read in the audit log
(:mod:`.audit`)."""

from events.admin import (  # noqa: F401  (their routes join bp)
    audit,
    dashboard,
    participant_bulk,
    participant_moving,
    participants,
    registrations,
    series,
)
from events.admin.events import bp

__all__ = ["bp"]
