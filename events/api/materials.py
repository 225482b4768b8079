"""JSON API for the materials of an event or a course (a series): list them, add a link,
delete one, move one up or down, send the follow-up mail (thin routes over
:mod:`events.materials` and :mod:`events.follow_up`, as the editors' page). Files are
uploaded and downloaded in :mod:`events.api.material_files`. Schemas beside the routes."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, url_for
from flask_babel import gettext as _

from events import follow_up, materials
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.api.owners import SERIES_ID, find_series
from events.material_models import EventMaterial, MaterialKind
from events.materials import Owner
from kkp.api import ApiBlueprint, ApiError
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Flag, Text, answer
from kkp.db import utcnow
from kkp.extensions import db

bp = ApiBlueprint("materials", __name__)
handle_errors(bp)

EVENT_LIST = "/events/<int:event_id>/materials"
SERIES_LIST = "/series/<int:series_id>/materials"
MATERIAL_ID = [id_parameter("material_id", "The material's id.")]
EVENT_MATERIAL = [*EVENT_ID, *MATERIAL_ID]
SERIES_MATERIAL = [*SERIES_ID, *MATERIAL_ID]


class MaterialSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    position = answer(ma.fields.Integer, description="The order, smallest first.")
    title = answer()
    kind = answer(enum=[kind.value for kind in MaterialKind], description="file or link.")
    url = answer(description="A link's address; a file's download in this API.")
    filename = answer(description="A file's name; empty for a link.")
    content_type = answer(description="A file's media type; empty for a link.")
    size = answer(ma.fields.Integer, description="A file's size in bytes; 0 for a link.")
    created_at = answer(ma.fields.DateTime, description="When it was added (UTC).")


class MaterialListSchema(AnswerSchema):
    items = answer(ma.fields.List, ma.fields.Nested(MaterialSchema), description="In order.")


class LinkCreateSchema(ApiSchema):
    EXAMPLES = [{"title": "Slides", "url": "https://example.org/slides"}]

    title = Text(materials.MAX_TITLE, required=True, metadata={"description": "What it is."})
    url = Text(
        materials.MAX_URL,
        required=True,
        metadata={"description": "An address that starts with https:// or http://."},
    )


class MaterialMoveSchema(ApiSchema):
    EXAMPLES = [{"to": "up"}]

    to = Text(
        4,
        choices=("up", "down"),
        required=True,
        metadata={"description": "One place up or down; at either end nothing changes."},
    )


class FollowUpSchema(ApiSchema):
    EXAMPLES = [{"present_only": True}]

    present_only = Flag(
        metadata={
            "description": "Only the participants marked present (on a date, for a course).",
            "default": False,
        }
    )


class FollowUpSentSchema(AnswerSchema):
    queued = answer(
        ma.fields.Integer,
        description="How many follow-up mails were queued: nobody gets it twice.",
    )


def material_json(material: EventMaterial) -> dict:
    url = material.url
    if material.kind == MaterialKind.FILE:
        if material.event_id:
            url = url_for(
                "api.material_files.event_material_file",
                event_id=material.event_id,
                material_id=material.id,
                _external=True,
            )
        else:
            url = url_for(
                "api.material_files.series_material_file",
                series_id=material.series_id,
                material_id=material.id,
                _external=True,
            )
    return {
        "id": material.id,
        "position": material.position,
        "title": material.title,
        "kind": material.kind,
        "url": url,
        "filename": material.filename,
        "content_type": material.content_type,
        "size": material.size,
        "created_at": material.created_at.isoformat(),
    }


def find_material(owner: Owner, material_id: int) -> EventMaterial:
    material = materials.material_of(owner, material_id)
    if material is None:
        raise ApiError(404, _("There is no such material."))
    return material


def _list(owner: Owner):
    return jsonify(items=[material_json(m) for m in materials.materials_of(owner)])


def _add_link(owner: Owner, read_body):
    values = read_body()
    material = materials.add_link(owner, values["title"], values["url"])
    db.session.commit()
    return jsonify(material_json(material)), 201


def _delete(owner: Owner, material_id: int):
    if not materials.delete_material(owner, material_id):
        raise ApiError(404, _("There is no such material."))
    db.session.commit()
    return "", 204


def _move(owner: Owner, material_id: int, read_body):
    find_material(owner, material_id)
    step = -1 if read_body()["to"] == "up" else 1
    materials.move_material(owner, material_id, step)
    db.session.commit()
    return _list(owner)


def _follow_up(owner: Owner, read_body):
    present_only = read_body().get("present_only", False)
    queued = follow_up.send_follow_up(owner, utcnow(), present_only=present_only)
    db.session.commit()
    return jsonify(queued=queued)


_DELETED = {"204": {"description": "Deleted."}}
_MOVE_NOTE = "Answers the materials in their new order."
_FOLLOW_UP_NOTE = (
    "The mail lists the materials and links to each person's own page; it goes to the "
    "confirmed participants (or only those marked present) who did not get it before. "
    "409 before the event (a course: its first date) has begun or without materials."
)


# -- an event's ---------------------------------------------------------------------------


@bp.route(EVENT_LIST, endpoint="materials", methods=["GET"], parameters=EVENT_ID)
@bp.doc(operationId="listMaterials", summary="An event's materials: files and links.")
@bp.response(200, MaterialListSchema, description="The materials, in order.")
@bp.errors(404)
def get_materials(event_id: int):
    return _list(find_event(event_id))


@bp.route(EVENT_LIST, endpoint="add_material_link", methods=["POST"], parameters=EVENT_ID)
@bp.doc(
    operationId="addMaterialLink",
    summary="Add a link to an event's materials (last in order).",
    description="Participants see it on their page once the event has begun.",
)
@bp.body(LinkCreateSchema)
@bp.response(201, MaterialSchema, description="The new link.")
@bp.errors(400, 404, 422)
def post_material_link(read_body, event_id: int):
    return _add_link(find_event(event_id), read_body)


@bp.route(
    EVENT_LIST + "/<int:material_id>",
    endpoint="delete_material",
    methods=["DELETE"],
    parameters=EVENT_MATERIAL,
)
@bp.doc(
    operationId="deleteMaterial", summary="Delete one of an event's materials.", responses=_DELETED
)
@bp.errors(404)
def delete_material(event_id: int, material_id: int):
    return _delete(find_event(event_id), material_id)


@bp.route(
    EVENT_LIST + "/<int:material_id>/move",
    endpoint="move_material",
    methods=["POST"],
    parameters=EVENT_MATERIAL,
)
@bp.doc(
    operationId="moveMaterial", summary="Move one of an event's materials.", description=_MOVE_NOTE
)
@bp.body(MaterialMoveSchema)
@bp.response(200, MaterialListSchema, description="The materials, in their new order.")
@bp.errors(400, 404, 422)
def post_material_move(read_body, event_id: int, material_id: int):
    return _move(find_event(event_id), material_id, read_body)


@bp.route(EVENT_LIST + "/follow-up", endpoint="follow_up", methods=["POST"], parameters=EVENT_ID)
@bp.doc(
    operationId="sendFollowUp",
    summary="Send an event's follow-up mail with its materials.",
    description=_FOLLOW_UP_NOTE,
)
@bp.body(FollowUpSchema, optional=True)
@bp.response(200, FollowUpSentSchema, description="How many mails were queued.")
@bp.errors(400, 404, 409, 422)
def post_follow_up(read_body, event_id: int):
    return _follow_up(find_event(event_id), read_body)


# -- a series' (a course's) ---------------------------------------------------------------


@bp.route(SERIES_LIST, endpoint="series_materials", methods=["GET"], parameters=SERIES_ID)
@bp.doc(operationId="listSeriesMaterials", summary="A course's (series') materials.")
@bp.response(200, MaterialListSchema, description="The materials, in order.")
@bp.errors(404)
def get_series_materials(series_id: int):
    return _list(find_series(series_id))


@bp.route(SERIES_LIST, endpoint="add_series_material_link", methods=["POST"], parameters=SERIES_ID)
@bp.doc(
    operationId="addSeriesMaterialLink",
    summary="Add a link to a course's materials (last in order).",
    description="Participants see it on their booking's page once the first date has begun.",
)
@bp.body(LinkCreateSchema)
@bp.response(201, MaterialSchema, description="The new link.")
@bp.errors(400, 404, 422)
def post_series_material_link(read_body, series_id: int):
    return _add_link(find_series(series_id), read_body)


@bp.route(
    SERIES_LIST + "/<int:material_id>",
    endpoint="delete_series_material",
    methods=["DELETE"],
    parameters=SERIES_MATERIAL,
)
@bp.doc(
    operationId="deleteSeriesMaterial",
    summary="Delete one of a course's materials.",
    responses=_DELETED,
)
@bp.errors(404)
def delete_series_material(series_id: int, material_id: int):
    return _delete(find_series(series_id), material_id)


@bp.route(
    SERIES_LIST + "/<int:material_id>/move",
    endpoint="move_series_material",
    methods=["POST"],
    parameters=SERIES_MATERIAL,
)
@bp.doc(
    operationId="moveSeriesMaterial",
    summary="Move one of a course's materials.",
    description=_MOVE_NOTE,
)
@bp.body(MaterialMoveSchema)
@bp.response(200, MaterialListSchema, description="The materials, in their new order.")
@bp.errors(400, 404, 422)
def post_series_material_move(read_body, series_id: int, material_id: int):
    return _move(find_series(series_id), material_id, read_body)


@bp.route(
    SERIES_LIST + "/follow-up", endpoint="series_follow_up", methods=["POST"], parameters=SERIES_ID
)
@bp.doc(
    operationId="sendSeriesFollowUp",
    summary="Send a course's follow-up mail with its materials, once per booking.",
    description=_FOLLOW_UP_NOTE,
)
@bp.body(FollowUpSchema, optional=True)
@bp.response(200, FollowUpSentSchema, description="How many mails were queued.")
@bp.errors(400, 404, 409, 422)
def post_series_follow_up(read_body, series_id: int):
    return _follow_up(find_series(series_id), read_body)
