"""The editors' pages for events, series, kinds and participants."""

from __future__ import annotations

from flask import Blueprint

from kkp.auth.access import protect

bp = Blueprint("events_admin", __name__, url_prefix="/admin/events")
protect(bp)
