"""JSON API for the participants of a date or a course by group, with the columns an
editor would pick on the export page: rows as JSON, or the same as a CSV or XLSX file,
a PDF list, or a PDF sheet of name badges (`format`). Thin routes over
:mod:`events.participant_files`; every call is audited like an export."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma
from flask import Response, jsonify
from flask_babel import gettext as _

from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.models import EventSeries
from events.participant_columns import chosen_columns, unknown_keys
from events.participant_export import ExportFormat
from events.participant_files import columns_of, participant_file, people_of
from events.participant_groups import PARTICIPANT_GROUPS, ParticipantGroup
from kkp.api import ApiBlueprint, ApiError, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Text, answer
from kkp.auth.operations import audit
from kkp.extensions import db

bp = ApiBlueprint("participants", __name__)
handle_errors(bp)

#: the formats of this route: the rows as JSON, or a file
API_FORMATS = ("json", *(f.value for f in ExportFormat))
_SERIES_ID = [id_parameter("series_id", "The series' id.")]
#: the answer: JSON by the schema below (flask-smorest documents only one content type)
_ROWS_OR_FILE = {
    "200": {
        "description": "The rows as JSON, or the file `format` asked for.",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ParticipantList"}},
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                "schema": {"type": "string", "format": "binary"}
            },
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


class ParticipantQuerySchema(ApiSchema):
    group = Text(
        20,
        choices=PARTICIPANT_GROUPS,
        metadata={"description": "Who: default `confirmed`.", "default": "confirmed"},
    )
    columns = Text(
        2000,
        metadata={
            "description": "Column keys separated by commas, as `columns` of the answer "
            "lists them (e.g. `name,email,q12,d7,attended`); default: the usual ones."
        },
    )
    format = Text(
        10,
        choices=API_FORMATS,
        metadata={
            "description": "`json` (default), `csv`, `xlsx`, `pdf` (a list with the chosen "
            "columns) or `badges` (name badges with name and organisation, an A4 sheet of "
            "2 × 5 labels; `columns` does not apply)."
        },
    )


class ParticipantColumnSchema(AnswerSchema):
    key = answer(
        description="`name`, `email`, … ; `q<id>` a question, `c<id>` a consent, "
        "`d<id>` attendance on the date with that event id."
    )
    label = answer(description="The heading, in the request's language.")


class ParticipantListSchema(AnswerSchema):
    group = answer(enum=list(PARTICIPANT_GROUPS))
    columns = answer(ma.fields.List, ma.fields.Nested(ParticipantColumnSchema))
    rows = answer(
        ma.fields.List,
        ma.fields.Dict(),
        description="One object per person, by column key: text, a number, an instant "
        "(UTC, ISO 8601) or null.",
    )


def _json_value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def _answer(owner, read_query):
    args = read_query()
    group = args.get("group", ParticipantGroup.CONFIRMED)
    keys = [k.strip() for k in args.get("columns", "").split(",") if k.strip()]
    every = columns_of(owner)
    if unknown := unknown_keys(every, keys):
        raise ApiError(
            422,
            _("Please check the fields named."),
            {"columns": _("Unknown columns: %(keys)s", keys=", ".join(unknown[:10]))},
        )
    export_format = args.get("format", "json")
    if export_format != "json":
        exported = participant_file(owner, group=group, keys=keys, export_format=export_format)
        db.session.commit()
        return Response(
            exported.data,
            mimetype=exported.mimetype,
            headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
        )
    people = people_of(owner, group)
    columns = chosen_columns(columns_of(owner, people), keys)
    audit(
        "registration.export",
        owner,
        group=group,
        format="json",
        rows=len(people),
        columns=len(keys),
    )
    db.session.commit()
    return jsonify(
        group=group,
        columns=[{"key": c.key, "label": c.label} for c in columns],
        rows=[{c.key: _json_value(c.value(p)) for c in columns} for p in people],
    )


@bp.route(
    "/events/<int:event_id>/participants",
    endpoint="event_participants",
    methods=["GET"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="listEventParticipants",
    summary="A date's participants by group, with the chosen columns: JSON, CSV, XLSX or PDF.",
    responses=_ROWS_OR_FILE,
)
@bp.query(ParticipantQuerySchema)
@bp.response(200, ParticipantListSchema, description="The rows (or the file).")
@bp.errors(404, 422)
def get_event_participants(read_query, event_id: int):
    return _answer(find_event(event_id), read_query)


@bp.route(
    "/series/<int:series_id>/participants",
    endpoint="series_participants",
    methods=["GET"],
    parameters=_SERIES_ID,
)
@bp.doc(
    operationId="listCourseParticipants",
    summary="A course's participants (one row per booking, attendance per date) by group.",
    responses=_ROWS_OR_FILE,
)
@bp.query(ParticipantQuerySchema)
@bp.response(200, ParticipantListSchema, description="The rows (or the file).")
@bp.errors(404, 422)
def get_series_participants(read_query, series_id: int):
    series = get_or_404(EventSeries, series_id, _("There is no such series."))
    return _answer(series, read_query)
