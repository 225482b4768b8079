"""The events' part of the JSON API under /api/v1: kinds, series, events,
registrations, course bookings, attendance (with the sign-in sheet and its scans),
certificates, participants by group and messages to a group, materials and their files,
the feedback and its questions, registration questions and consents (and withdrawing
one a person gave), each a blueprint whose routes declare their input and output as
schemas (see :mod:`kkp.api`)."""

from __future__ import annotations

from events.api import (
    attendance,
    attendance_scans,
    bookings,
    certificates,
    consents,
    events,
    feedback,
    feedback_questions,
    kinds,
    material_files,
    materials,
    messages,
    participants,
    question_edits,
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
        consents,
        attendance,
        attendance_scans,
        certificates,
        participants,
        messages,
        materials,
        material_files,
        feedback,
        feedback_questions,
        question_routes,
        question_edits,
    ):
        nest(module.bp)
