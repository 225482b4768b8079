"""JSON API for attendance: a date's confirmed participants with their marks, and
marking one of them (thin routes over :mod:`events.attendance`; a date still to come,
a cancelled one or a registration that is not confirmed: 409). Schemas beside the
routes."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _

from events import attendance
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.models import ATTENDANCE_STATUSES, Registration
from kkp.api import ApiBlueprint, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Text, answer
from kkp.db import utcnow
from kkp.extensions import db

bp = ApiBlueprint("attendance", __name__)
handle_errors(bp)

_MARK = {
    "enum": [*ATTENDANCE_STATUSES, None],
    "description": "present, absent or excused; null: not marked.",
}


class AttendanceSchema(AnswerSchema):
    id = answer(ma.fields.Integer, description="The registration's id.")
    name = answer()
    organisation = answer()
    attendance = answer(nullable=True, **_MARK)
    attendance_at = answer(
        ma.fields.DateTime, nullable=True, description="When it was marked (UTC)."
    )


class AttendanceCountsSchema(AnswerSchema):
    present = answer(ma.fields.Integer)
    absent = answer(ma.fields.Integer)
    excused = answer(ma.fields.Integer)
    unmarked = answer(ma.fields.Integer)


class AttendanceListSchema(AnswerSchema):
    counts = answer(ma.fields.Nested, AttendanceCountsSchema)
    items = answer(
        ma.fields.List,
        ma.fields.Nested(AttendanceSchema),
        description="The date's confirmed participants, by name.",
    )


class AttendanceMarkSchema(ApiSchema):
    EXAMPLES = [{"attendance": "present"}, {"attendance": None}]

    attendance = Text(
        10,
        choices=ATTENDANCE_STATUSES,
        nullable=True,
        required=True,
        metadata={"description": "present, absent or excused; null takes the mark back."},
    )


def attendance_json(registration: Registration) -> dict:
    return {
        "id": registration.id,
        "name": registration.name,
        "organisation": registration.organisation,
        "attendance": registration.attendance,
        "attendance_at": (
            registration.attendance_at.isoformat() if registration.attendance_at else None
        ),
    }


@bp.route(
    "/events/<int:event_id>/attendance", endpoint="attendance", methods=["GET"], parameters=EVENT_ID
)
@bp.doc(
    operationId="listAttendance",
    summary="A date's confirmed participants and what was marked for each.",
)
@bp.response(200, AttendanceListSchema, description="The marks and their counts.")
@bp.errors(404)
def get_attendance(event_id: int):
    event = find_event(event_id)
    return jsonify(
        counts=attendance.counts(event.id).as_json(),
        items=[attendance_json(r) for r in attendance.confirmed(event.id)],
    )


@bp.route(
    "/registrations/<int:registration_id>/attendance",
    endpoint="mark_attendance",
    methods=["PATCH"],
    parameters=[id_parameter("registration_id", "The registration's id.")],
)
@bp.doc(
    operationId="markAttendance",
    summary="Mark one confirmed participant of a date present, absent or excused.",
    description=(
        "From the day the date starts on. Marking it the same again changes nothing. A "
        "date still to come or called off, or a registration that is not confirmed: 409."
    ),
)
@bp.body(AttendanceMarkSchema)
@bp.response(200, AttendanceSchema, description="The participant's mark afterwards.")
@bp.errors(400, 404, 409, 422)
def patch_attendance(read_body, registration_id: int):
    registration = get_or_404(Registration, registration_id, _("There is no such registration."))
    values = read_body()
    attendance.mark(registration.id, values["attendance"], utcnow())
    db.session.commit()
    return jsonify(attendance_json(registration))
