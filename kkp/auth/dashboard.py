"""The editors' start page answers "what needs me today": each domain registers a
function that returns its sections' variables (the foundation knows no domain), and
the foundation adds what it keeps itself: how mail leaves the service."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app

#: what the dashboard shows, given by the domains that keep it: functions that return
#: the template's variables, registered with :func:`dashboard_part`
_DASHBOARD_PARTS: list[Callable[[], dict]] = []


def dashboard_part(fn: Callable[[], dict]) -> Callable[[], dict]:
    """Register a function whose variables the dashboard's template shows."""
    _DASHBOARD_PARTS.append(fn)
    return fn


def dashboard_context() -> dict:
    """Every registered part's variables, and the mail set-up's warnings."""
    context: dict = {"mail_warnings": mail_warnings()}
    for part in _DASHBOARD_PARTS:
        context.update(part())
    return context


def mail_warnings() -> list[str]:
    """What is missing for mail to reach people well: "smtp" (mail stays in the local
    outbox), "dkim" (mail goes out unsigned)."""
    config = current_app.config
    missing = []
    if not config.get("KKP_SMTP_URL"):
        missing.append("smtp")
    if not (
        config.get("KKP_DKIM_SELECTOR")
        and config.get("KKP_DKIM_DOMAIN")
        and config.get("KKP_DKIM_KEY_FILE")
    ):
        missing.append("dkim")
    return missing
