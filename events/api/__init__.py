"""The events' part of the JSON API under /api/v1: kinds, series, events,
registrations, course bookings, attendance, certificates, participants by group,
materials and their files, the feedback and its questions, each a blueprint whose
routes declare their input and output as schemas (see :mod:`kkp.api`)."""

from __future__ import annotations

from events.api import (
    attendance,
    bookings,
    certificates,
    events,
    feedback,
    feedback_questions,
    kinds,
    material_files,
    materials,
    participants,
    question_routes,
    registrations,
)
from kkp.api import nest


def register_api() -> None:
    """Put the events' routes below /api/v1."""
    for module in (
        kinds,
        events,
        registrations,
        bookings,
        attendance,
        certificates,
        participants,
        materials,
        material_files,
        feedback,
        feedback_questions,
        question_routes,
    ):
        nest(module.bp)
