"""The events' part of the JSON API under /api/v1: kinds, series, events,
registrations and course bookings, each a blueprint whose routes declare their input
and output as schemas (see :mod:`kkp.api`)."""

from __future__ import annotations

from events.api import bookings, events, kinds, registrations
from kkp.api import nest


def register_api() -> None:
    """Put the events' routes below /api/v1."""
    for module in (kinds, events, registrations, bookings):
        nest(module.bp)
