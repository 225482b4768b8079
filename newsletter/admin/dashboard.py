"""The newsletter's sections of the editors' start page (see kkp.auth.dashboard)."""

from __future__ import annotations

from kkp.auth.blueprint import dashboard_part
from newsletter import dashboard
from newsletter.settings import unpublished_legal_pages


@dashboard_part
def _dashboard() -> dict:
    """Sends running and planned, the last week's changes and failures, the lists'
    figures, and the legal pages the office has not published yet."""
    return {
        "running": dashboard.running_sends(),
        "scheduled": dashboard.scheduled_sends(),
        "audience": dashboard.audience_changes(),
        "failures": dashboard.failures(),
        "recent_days": dashboard.RECENT_DAYS,
        "figures": dashboard.figures(),
        "unpublished": unpublished_legal_pages(),
    }
