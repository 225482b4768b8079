"""JSON API for the kinds of events and for series: thin routes over
:mod:`events.operations`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from events import operations as ops
from events.api.answer_schemas import (
    EventKindListSchema,
    EventKindSchema,
    EventSeriesPageSchema,
    EventSeriesSchema,
)
from events.api.answers import kind_json, series_json
from events.api.booking_schemas import apply_settings
from events.api.errors import handle_errors
from events.api.schemas import (
    EventKindCreateSchema,
    EventSeriesCreateSchema,
    EventSeriesUpdateSchema,
    SeriesQuerySchema,
)
from events.models import EventSeries
from kkp.api import ApiBlueprint, get_or_404, keyset_page
from kkp.api_docs import id_parameter, links_to
from kkp.api_fields import PAGE_SIZE
from kkp.extensions import db

bp = ApiBlueprint("event_kinds", __name__, tag="events")
handle_errors(bp)

_SERIES_ID = [id_parameter("series_id", "The series' id.")]
_ONE = "/series/<int:series_id>"


def _series(series_id: int) -> EventSeries:
    return get_or_404(EventSeries, series_id, _("There is no such series."))


@bp.route("/event-kinds", endpoint="event_kinds", methods=["GET"])
@bp.doc(operationId="listEventKinds", summary="The kinds of events, in their order.")
@bp.response(200, EventKindListSchema, description="The kinds.")
@bp.errors()
def get_kinds():
    return jsonify(items=[kind_json(kind) for kind in ops.kinds()])


@bp.route("/event-kinds", endpoint="create_event_kind", methods=["POST"])
@bp.doc(operationId="createEventKind", summary="Add a kind; its slug comes from the name.")
@bp.body(EventKindCreateSchema)
@bp.response(201, EventKindSchema, description="The new kind.")
@bp.errors(400, 422)
def post_kind(read_body):
    values = read_body()
    kind = ops.create_kind(values["name"], values.get("name_en", ""))
    db.session.commit()
    response = jsonify(kind_json(kind))
    response.status_code = 201
    return response


@bp.route("/series", endpoint="event_series_list", methods=["GET"])
@bp.doc(
    operationId="listSeries",
    summary="Series by id, a page at a time (keyset paging), with their dates.",
)
@bp.query(SeriesQuerySchema)
@bp.response(200, EventSeriesPageSchema, description="One page.")
@bp.errors(422)
def get_series_list(read_query):
    args = read_query()
    limit = args.get("limit", PAGE_SIZE)
    query = (
        sa.select(EventSeries)
        .options(selectinload(EventSeries.events))
        .where(EventSeries.id > args.get("after", 0))
        .order_by(EventSeries.id)
        .limit(limit + 1)
    )
    return keyset_page(query, limit, series_json)


@bp.route("/series", endpoint="create_event_series", methods=["POST"])
@bp.doc(
    operationId="createSeries",
    summary="Start a series (a training in several dates).",
    description="Add dates with `series_id` on an event, or copy an event.",
)
@bp.body(EventSeriesCreateSchema)
@bp.response(
    201,
    EventSeriesSchema,
    description="The new series.",
    headers={"Location": {"description": "The series's URL.", "schema": {"type": "string"}}},
)
@bp.doc(responses={201: {"links": links_to("series_id", ("getSeries", "updateSeries"))}})
@bp.errors(400, 422)
def post_series(read_body):
    values = read_body()
    series = ops.save_series(None, title=values["title"], description=values.get("description"))
    apply_settings(series, values)
    db.session.commit()
    response = jsonify(series_json(series))
    response.status_code = 201
    response.headers["Location"] = url_for("api.event_kinds.event_series", series_id=series.id)
    return response


@bp.route(_ONE, endpoint="event_series", methods=["GET"], parameters=_SERIES_ID)
@bp.doc(operationId="getSeries", summary="One series with its dates.")
@bp.response(200, EventSeriesSchema, description="The series.")
@bp.errors(404)
def get_series(series_id: int):
    return jsonify(series_json(_series(series_id)))


@bp.route(_ONE, endpoint="update_event_series", methods=["PATCH"], parameters=_SERIES_ID)
@bp.doc(operationId="updateSeries", summary="Change a series' title or description.")
@bp.body(EventSeriesUpdateSchema)
@bp.response(200, EventSeriesSchema, description="The series afterwards.")
@bp.errors(400, 404, 422)
def patch_series(read_body, series_id: int):
    series = _series(series_id)
    values = read_body()
    ops.save_series(
        series,
        title=values.get("title", series.title),
        description=values.get("description", series.description),
    )
    apply_settings(series, values)
    db.session.commit()
    return jsonify(series_json(series))
