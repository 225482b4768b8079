"""Public event pages: the list, one event with its registration form, a
participant's own registration. Calendars and feeds: :mod:`events.published`."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("events", __name__)
