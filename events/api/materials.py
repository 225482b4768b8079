"""JSON API for an event's materials: list them, add a link, delete one (thin routes
over :mod:`events.materials`; files are uploaded on the editors' page). Schemas beside
the routes."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, url_for
from flask_babel import gettext as _

from events import materials
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.material_models import EventMaterial, MaterialKind
from kkp.api import ApiBlueprint, ApiError
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Text, answer
from kkp.extensions import db

bp = ApiBlueprint("materials", __name__)
handle_errors(bp)

_LIST = "/events/<int:event_id>/materials"
_BOTH_IDS = [*EVENT_ID, id_parameter("material_id", "The material's id.")]


class MaterialSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    position = answer(ma.fields.Integer, description="The order, smallest first.")
    title = answer()
    kind = answer(enum=[kind.value for kind in MaterialKind], description="file or link.")
    url = answer(description="A link's address; a file's download on the editors' page.")
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


def material_json(material: EventMaterial) -> dict:
    is_file = material.kind == MaterialKind.FILE
    return {
        "id": material.id,
        "position": material.position,
        "title": material.title,
        "kind": material.kind,
        "url": url_for(
            "events_admin.material_download",
            owner="event",
            owner_id=material.event_id,
            material_id=material.id,
            _external=True,
        )
        if is_file and material.event_id
        else material.url,
        "filename": material.filename,
        "content_type": material.content_type,
        "size": material.size,
        "created_at": material.created_at.isoformat(),
    }


@bp.route(_LIST, endpoint="materials", methods=["GET"], parameters=EVENT_ID)
@bp.doc(operationId="listMaterials", summary="An event's materials: files and links.")
@bp.response(200, MaterialListSchema, description="The materials, in order.")
@bp.errors(404)
def get_materials(event_id: int):
    event = find_event(event_id)
    return jsonify(items=[material_json(m) for m in materials.materials_of(event)])


@bp.route(_LIST, endpoint="add_material_link", methods=["POST"], parameters=EVENT_ID)
@bp.doc(
    operationId="addMaterialLink",
    summary="Add a link to an event's materials (last in order).",
    description="Participants see it on their page once the event has begun.",
)
@bp.body(LinkCreateSchema)
@bp.response(201, MaterialSchema, description="The new link.")
@bp.errors(400, 404, 422)
def post_material_link(read_body, event_id: int):
    event = find_event(event_id)
    values = read_body()
    material = materials.add_link(event, values["title"], values["url"])
    db.session.commit()
    return jsonify(material_json(material)), 201


@bp.route(
    _LIST + "/<int:material_id>",
    endpoint="delete_material",
    methods=["DELETE"],
    parameters=_BOTH_IDS,
)
@bp.doc(
    operationId="deleteMaterial",
    summary="Delete one of an event's materials.",
    responses={"204": {"description": "Deleted."}},
)
@bp.errors(404)
def delete_material(event_id: int, material_id: int):
    event = find_event(event_id)
    if not materials.delete_material(event, material_id):
        raise ApiError(404, _("There is no such material."))
    db.session.commit()
    return "", 204
