"""The newsletter's part of the JSON API under /api/v1: lists, subscribers, issues and
their sending, data subject requests; each a blueprint whose routes declare their
input and output as schemas (see :mod:`kkp.api`)."""

from __future__ import annotations

from kkp.api import nest
from newsletter.api import data_requests, issues, lists, sending, subscribers


def register_api() -> None:
    """Put the newsletter's routes below /api/v1."""
    for module in (lists, subscribers, issues, sending, data_requests):
        nest(module.bp)
