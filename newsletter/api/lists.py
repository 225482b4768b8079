"""JSON API for mailing lists: thin routes over :mod:`newsletter.operations`, with
their input and output declared as schemas."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify, url_for
from flask_babel import gettext as _

from kkp.api import ApiBlueprint, get_or_404
from kkp.api_docs import id_parameter, links_to
from kkp.api_fields import AnswerSchema, ApiSchema, Flag, Number, Text
from kkp.extensions import db
from newsletter import operations as ops
from newsletter.api.errors import handle_errors
from newsletter.models import MailingList

bp = ApiBlueprint("lists", __name__)
handle_errors(bp)

_SLUG_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$"


def _list_fields(required: bool) -> dict[str, ma.fields.Field]:
    return {
        "name": Text(
            200, min_length=1, required=required, metadata={"description": "Shown to subscribers."}
        ),
        "slug": Text(
            80,
            required=required,
            pattern=_SLUG_PATTERN,
            metadata={"description": "Unique; lower-case letters, digits, single hyphens."},
        ),
        "description": Text(2000),
        "is_public": Flag(
            metadata={
                "default": True,
                "description": "Offered on the sign-up form and in the preference centre.",
            }
        ),
        "position": Number(
            minimum=0,
            maximum=10_000,
            metadata={"default": 0, "description": "Sort order, ascending."},
        ),
    }


ListCreateSchema = ApiSchema.from_dict(_list_fields(required=True), name="ListCreateSchema")
ListCreateSchema.EXAMPLES = [{"name": "Fortbildungen", "slug": "fortbildungen", "is_public": True}]
ListUpdateSchema = ApiSchema.from_dict(_list_fields(required=False), name="ListUpdateSchema")


class ListSchema(AnswerSchema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    is_public = ma.fields.Boolean(required=True)
    position = ma.fields.Integer(required=True)
    created_at = ma.fields.DateTime(required=True)


class ListPageSchema(AnswerSchema):
    items = ma.fields.List(ma.fields.Nested(ListSchema), required=True)


def list_json(mailing_list: MailingList) -> dict:
    return {
        "id": mailing_list.id,
        "slug": mailing_list.slug,
        "name": mailing_list.name,
        "description": mailing_list.description,
        "is_public": mailing_list.is_public,
        "position": mailing_list.position,
        "created_at": mailing_list.created_at.isoformat() if mailing_list.created_at else None,
    }


def _list(list_id: int) -> MailingList:
    return get_or_404(MailingList, list_id, _("There is no such list."))


_LIST_ID = [id_parameter("list_id", "The list's id.")]
_LOCATION = {"Location": {"description": "The list's URL.", "schema": {"type": "string"}}}


@bp.route("/lists", endpoint="lists", methods=["GET"])
@bp.doc(operationId="listLists", summary="All lists, in their order.")
@bp.response(200, ListPageSchema, description="The lists.")
@bp.errors()
def get_lists():
    return jsonify(items=[list_json(m) for m in ops.all_lists()])


@bp.route("/lists", endpoint="create_list", methods=["POST"])
@bp.doc(operationId="createList", summary="Create a list.")
@bp.body(ListCreateSchema)
@bp.response(
    201,
    ListSchema,
    description="The new list.",
    headers=_LOCATION,
)
@bp.doc(responses={201: {"links": links_to("list_id", ("getList", "updateList"))}})
@bp.errors(400, 409, 422)
def post_list(read_body):
    values = read_body()
    mailing_list = ops.create_list(**values)
    db.session.commit()
    response = jsonify(list_json(mailing_list))
    response.status_code = 201
    response.headers["Location"] = url_for("api.lists.list", list_id=mailing_list.id)
    return response


@bp.route("/lists/<int:list_id>", endpoint="list", methods=["GET"], parameters=_LIST_ID)
@bp.doc(operationId="getList", summary="One list.")
@bp.response(200, ListSchema, description="The list.")
@bp.errors(404)
def get_list(list_id: int):
    return jsonify(list_json(_list(list_id)))


@bp.route("/lists/<int:list_id>", endpoint="update_list", methods=["PATCH"], parameters=_LIST_ID)
@bp.doc(operationId="updateList", summary="Change some of a list's fields.")
@bp.body(ListUpdateSchema)
@bp.response(200, ListSchema, description="The list afterwards.")
@bp.errors(400, 404, 409, 422)
def patch_list(read_body, list_id: int):
    mailing_list = _list(list_id)
    values = read_body()
    ops.update_list(mailing_list, **values)
    db.session.commit()
    return jsonify(list_json(mailing_list))
