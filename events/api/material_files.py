"""JSON API for the files among an event's or a course's materials: the upload (a
multipart/form-data body with `title` and `file`, checked as the editors' page checks
it: at most :data:`events.materials.MAX_BYTES`, the type read from the first bytes, the
name cleaned) and the download of the stored bytes. Thin routes over
:mod:`events.materials`; the list and the links: :mod:`events.api.materials`."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from events import materials
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.api.materials import (
    EVENT_LIST,
    EVENT_MATERIAL,
    SERIES_LIST,
    SERIES_MATERIAL,
    MaterialSchema,
    find_material,
    material_json,
)
from events.api.owners import SERIES_ID, find_series
from events.material_models import MaterialKind
from events.materials import Owner
from kkp.api import ApiBlueprint, ApiError
from kkp.api_fields import ApiSchema, Text, Upload
from kkp.extensions import db
from kkp.headers import stored_file

bp = ApiBlueprint("material_files", __name__, tag="materials")
handle_errors(bp)


class MaterialFileUploadSchema(ApiSchema):
    title = Text(
        materials.MAX_TITLE,
        metadata={"description": "What it is; empty or left out: the file's cleaned name."},
    )
    file = Upload(
        required=True,
        metadata={
            "description": "PDF, Word, Excel, PowerPoint, OpenDocument, PNG or JPEG, at most "
            "20 MB; the type is read from the first bytes, never from the name."
        },
    )


#: the stored bytes, in the type read from them on upload
_FILE = {
    "200": {
        "description": "The file, as an attachment, in the type stored with it.",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        "headers": {
            "Content-Disposition": {
                "description": "attachment, with the file's cleaned name.",
                "schema": {"type": "string"},
            }
        },
    }
}
_UPLOAD_NOTE = (
    "Participants see it on their page once the event (a course: its first date) has "
    "begun. A file that is too large or of another type: 422 on `file`; a body over "
    "the uploads' limit: 413."
)


def _upload(owner: Owner, read_body):
    values = read_body()
    upload = values["file"]
    data = upload.read(materials.MAX_BYTES + 1)
    material = materials.add_file(owner, values.get("title", ""), upload.filename or "", data)
    db.session.commit()
    return jsonify(material_json(material)), 201


def _download(owner: Owner, material_id: int):
    material = find_material(owner, material_id)
    if material.kind != MaterialKind.FILE:
        raise ApiError(404, _("This material is a link, not a file."))
    return stored_file(material.data, material.content_type, material.filename)


@bp.route(
    EVENT_LIST + "/files", endpoint="upload_material_file", methods=["POST"], parameters=EVENT_ID
)
@bp.doc(
    operationId="uploadMaterialFile",
    summary="Upload a file to an event's materials (last in order).",
    description=_UPLOAD_NOTE,
)
@bp.upload(MaterialFileUploadSchema)
@bp.response(201, MaterialSchema, description="The new file.")
@bp.errors(404, 413, 422)
def post_material_file(read_body, event_id: int):
    return _upload(find_event(event_id), read_body)


@bp.route(
    SERIES_LIST + "/files",
    endpoint="upload_series_material_file",
    methods=["POST"],
    parameters=SERIES_ID,
)
@bp.doc(
    operationId="uploadSeriesMaterialFile",
    summary="Upload a file to a course's materials (last in order).",
    description=_UPLOAD_NOTE,
)
@bp.upload(MaterialFileUploadSchema)
@bp.response(201, MaterialSchema, description="The new file.")
@bp.errors(404, 413, 422)
def post_series_material_file(read_body, series_id: int):
    return _upload(find_series(series_id), read_body)


@bp.route(
    EVENT_LIST + "/<int:material_id>/file",
    endpoint="event_material_file",
    methods=["GET"],
    parameters=EVENT_MATERIAL,
)
@bp.doc(
    operationId="getMaterialFile",
    summary="The bytes of a file among an event's materials.",
    responses=_FILE,
)
@bp.errors(404)
def get_material_file(event_id: int, material_id: int):
    return _download(find_event(event_id), material_id)


@bp.route(
    SERIES_LIST + "/<int:material_id>/file",
    endpoint="series_material_file",
    methods=["GET"],
    parameters=SERIES_MATERIAL,
)
@bp.doc(
    operationId="getSeriesMaterialFile",
    summary="The bytes of a file among a course's materials.",
    responses=_FILE,
)
@bp.errors(404)
def get_series_material_file(series_id: int, material_id: int):
    return _download(find_series(series_id), material_id)
