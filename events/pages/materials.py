"""A participant's materials: the list on her registration's or booking's page, and
each file's download by the same signed token as that page. Only a confirmed
registration or booking gets them, and only once the event (a course: its first
date; a date's own materials: that date) has begun."""

from __future__ import annotations

from flask import abort, url_for

from events.course_models import CourseBooking
from events.course_notices import booking_for_token
from events.material_models import EventMaterial, MaterialKind
from events.materials import booking_materials, visible_materials
from events.models import Registration, RegistrationStatus
from events.pages.events import bp
from events.registrations import registration_for_token
from kkp.db import utcnow
from kkp.headers import stored_file
from kkp.tokens import InvalidToken


def registration_materials(registration: Registration) -> list[EventMaterial]:
    """What her page lists; nothing unless she is confirmed."""
    if registration.status != RegistrationStatus.CONFIRMED:
        return []
    return visible_materials(registration.event, utcnow())


def materials_of_booking(booking: CourseBooking) -> list[EventMaterial]:
    """What the booking's page lists; nothing unless it is confirmed."""
    if booking.status != RegistrationStatus.CONFIRMED:
        return []
    return booking_materials(booking, utcnow())


def entries(materials: list[EventMaterial], endpoint: str, token: str) -> list[dict]:
    """The include `events/_materials.html`'s rows: title, address, and for a file its
    type and size."""
    return [
        {
            "title": material.title,
            "file": material.kind == MaterialKind.FILE,
            "url": material.url
            if material.kind == MaterialKind.LINK
            else url_for(endpoint, token=token, material_id=material.id),
            "extension": material.filename.rsplit(".", 1)[-1].upper(),
            "kilobytes": max(1, -(-material.size // 1024)),
        }
        for material in materials
    ]


def _download(materials: list[EventMaterial], material_id: int):
    material = next((m for m in materials if m.id == material_id), None)
    if material is None or material.kind != MaterialKind.FILE:
        abort(404)
    return stored_file(material.data, material.content_type, material.filename)


@bp.get("/registrations/<token>/materials/<int:material_id>")
def registration_material(token: str, material_id: int):
    try:
        registration = registration_for_token(token)
    except InvalidToken:
        abort(404)
    return _download(registration_materials(registration), material_id)


@bp.get("/events/booking/<token>/materials/<int:material_id>")
def booking_material(token: str, material_id: int):
    try:
        booking = booking_for_token(token)
    except InvalidToken:
        abort(404)
    return _download(materials_of_booking(booking), material_id)
