"""The events' section of the editors' start page (see kkp.auth.dashboard)."""

from __future__ import annotations

from events import dashboard
from kkp.auth.blueprint import dashboard_part


@dashboard_part
def _dashboard() -> dict:
    """The published events of the next weeks, with seats and waiting lists."""
    return {"upcoming": dashboard.upcoming_events(), "ahead_days": dashboard.AHEAD_DAYS}
