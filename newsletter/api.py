"""JSON API for lists and subscribers."""

from __future__ import annotations

from flask import Blueprint


def register_api(bp: Blueprint) -> None:
    """Add the newsletter's routes to the API blueprint."""
