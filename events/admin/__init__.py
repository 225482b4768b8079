"""The editors' pages of the events, on the blueprint ``events_admin`` (/admin/events):
the events themselves (:mod:`.events`), their participants (:mod:`.participants`),
series (:mod:`.series`), the forms (:mod:`.forms`), their section of the start page
(:mod:`.dashboard`), and how events read in the audit log (:mod:`.audit`)."""

from events.admin import audit, dashboard, participants, series  # noqa: F401  (their routes join bp)
from events.admin.events import bp

__all__ = ["bp"]
