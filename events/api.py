"""The JSON API for events, series, kinds and registrations (under /api/v1)."""

from __future__ import annotations

from flask import Blueprint


def register_api(bp: Blueprint) -> None:
    """Add the event routes to the API blueprint."""
