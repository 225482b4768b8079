"""JSON API for what a date's attendance leaves on paper: the sign-in sheet to print
(a PDF), and the scans of the signed sheet: list, upload (multipart, typed by their
first bytes, at most 10 MB), download, delete. Thin routes over
:mod:`events.attendance` and :mod:`events.attendance_scans`, audited as on the
editors' page."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, jsonify, request
from flask_babel import gettext as _

from events import attendance, attendance_scans
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.course_models import AttendanceScan
from kkp.api import ApiBlueprint, ApiError
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, answer
from kkp.extensions import db

bp = ApiBlueprint("attendance_scans", __name__, tag="attendance")
handle_errors(bp)

_SCANS = "/events/<int:event_id>/attendance/scans"
_BOTH_IDS = [*EVENT_ID, id_parameter("scan_id", "The scan's id.")]
_SCAN_TYPES = [content_type for _magic, content_type, _ext in attendance_scans.MAGIC]
#: a file the route answers with: binary, of one of `types`
_FILE = {"schema": {"type": "string", "format": "binary"}}
_UPLOAD = {
    "required": True,
    "description": "The scan as the form field `scan`: a PDF, JPEG or PNG file (read "
    "by its first bytes, not its name), at most 10 MB.",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["scan"],
                "properties": {"scan": {"type": "string", "format": "binary"}},
            }
        }
    },
}


def _file_response(description: str, types: list[str]) -> dict:
    return {"200": {"description": description, "content": dict.fromkeys(types, _FILE)}}


class AttendanceScanSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    filename = answer(description="The uploaded file's name, made safe, with its type's ending.")
    type = answer(enum=_SCAN_TYPES, description="The media type its first bytes show.")
    size = answer(ma.fields.Integer, description="In bytes.")
    uploaded_at = answer(ma.fields.DateTime, description="UTC.")


class AttendanceScanListSchema(AnswerSchema):
    items = answer(
        ma.fields.List, ma.fields.Nested(AttendanceScanSchema), description="Oldest first."
    )


def scan_json(scan: AttendanceScan) -> dict:
    return {
        "id": scan.id,
        "filename": scan.filename,
        "type": scan.content_type,
        "size": scan.size,
        "uploaded_at": scan.uploaded_at.isoformat(),
    }


def _download(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(
        data,
        mimetype=mimetype,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _scan_or_404(event_id: int, scan_id: int) -> AttendanceScan:
    scan = attendance_scans.scan_of(find_event(event_id).id, scan_id)
    if scan is None:
        raise ApiError(404, _("There is no such scan."))
    return scan


@bp.route(
    "/events/<int:event_id>/sign-in-sheet",
    endpoint="sign_in_sheet",
    methods=["GET"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="getSignInSheet",
    summary="A date's sign-in sheet to print: its confirmed participants by name (PDF).",
    description="Audited like an export of the participants.",
    responses=_file_response("The sheet.", ["application/pdf"]),
)
@bp.errors(404)
def get_sign_in_sheet(event_id: int):
    event = find_event(event_id)
    data = attendance.sign_in_pdf(event)
    db.session.commit()
    return _download(data, "application/pdf", f"unterschriften-{event.slug}.pdf")


@bp.route(_SCANS, endpoint="scans", methods=["GET"], parameters=EVENT_ID)
@bp.doc(operationId="listAttendanceScans", summary="The scans of a date's signed sheet.")
@bp.response(200, AttendanceScanListSchema, description="The scans, without their bytes.")
@bp.errors(404)
def get_scans(event_id: int):
    event = find_event(event_id)
    return jsonify(items=[scan_json(s) for s in attendance_scans.scans(event.id)])


@bp.route(_SCANS, endpoint="upload_scan", methods=["POST"], parameters=EVENT_ID)
@bp.doc(
    operationId="uploadAttendanceScan",
    summary="Upload a scan of a date's signed sheet (multipart/form-data, field `scan`).",
    description="An empty file, one over 10 MB or one that is no PDF, JPEG or PNG: 422.",
    requestBody=_UPLOAD,
)
@bp.response(201, AttendanceScanSchema, description="The scan as stored.")
@bp.errors(404, 422)
def post_scan(event_id: int):
    event = find_event(event_id)
    upload = request.files.get("scan")
    data = upload.read(attendance_scans.MAX_BYTES + 1) if upload else b""
    scan = attendance_scans.add_scan(event, upload.filename if upload else "", data)
    db.session.commit()
    return jsonify(scan_json(scan)), 201


@bp.route(
    f"{_SCANS}/<int:scan_id>/file", endpoint="scan_file", methods=["GET"], parameters=_BOTH_IDS
)
@bp.doc(
    operationId="getAttendanceScanFile",
    summary="Download one scan, as uploaded.",
    responses=_file_response("The file, of the type the list names.", _SCAN_TYPES),
)
@bp.errors(404)
def get_scan_file(event_id: int, scan_id: int):
    scan = _scan_or_404(event_id, scan_id)
    return _download(scan.data, scan.content_type, scan.filename)


@bp.route(
    f"{_SCANS}/<int:scan_id>", endpoint="delete_scan", methods=["DELETE"], parameters=_BOTH_IDS
)
@bp.doc(
    operationId="deleteAttendanceScan",
    summary="Delete one scan of a date's signed sheet.",
    responses={"204": {"description": "Deleted."}},
)
@bp.errors(404)
def delete_scan(event_id: int, scan_id: int):
    event = find_event(event_id)
    if not attendance_scans.delete_scan(event, scan_id):
        raise ApiError(404, _("There is no such scan."))
    db.session.commit()
    return "", 204
