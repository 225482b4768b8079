"""JSON API for an event's or a course's (series') own registration questions and
optional consents: adding one (thin routes over :mod:`events.questions`; what is wrong:
422 on its field). The schemas of what they answer: :mod:`events.api.questions`."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _

from events import questions as ops
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.api.questions import ConsentOfferSchema, QuestionSchema, question_json
from events.models import EventSeries
from events.question_models import QUESTION_KINDS
from kkp.api import ApiBlueprint, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import ApiSchema, Flag, Text
from kkp.extensions import db

bp = ApiBlueprint("questions", __name__, tag="events")
handle_errors(bp)

_SERIES_ID = [id_parameter("series_id", "The series' id.")]


class QuestionCreateSchema(ApiSchema):
    EXAMPLES = [{"kind": "short_text", "label": "Kommune", "required": True}]

    kind = Text(20, choices=QUESTION_KINDS, required=True)
    label = Text(300, min_length=1, required=True, metadata={"description": "German."})
    label_en = Text(300, metadata={"description": "English; empty: the German one."})
    help = Text(500)
    choices = ma.fields.List(
        ma.fields.String(), metadata={"description": "one_choice, choices: the options."}
    )
    required = Flag(metadata={"default": False})
    shown_if_question_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "Asked only after this earlier question's"}
    )
    shown_if_value = Text(300, metadata={"description": "... answer (a choice, yes or no)."})


class ConsentCreateSchema(ApiSchema):
    EXAMPLES = [{"text": "Mein Name darf auf der Teilnehmerliste stehen."}]

    text = Text(2000, min_length=1, required=True, metadata={"description": "German."})
    text_en = Text(2000, metadata={"description": "English; empty: the German one."})


def _add_question(owner, values: dict):
    question = ops.save_question(
        owner,
        None,
        ops.QuestionInput(
            kind=values["kind"],
            label=values["label"],
            label_en=values.get("label_en", ""),
            help=values.get("help", ""),
            choices=tuple(values.get("choices") or ()),
            required=values.get("required", False),
            shown_if_question_id=values.get("shown_if_question_id"),
            shown_if_value=values.get("shown_if_value", ""),
        ),
    )
    db.session.commit()
    response = jsonify(question_json(question))
    response.status_code = 201
    return response


def _add_consent(owner, values: dict):
    offer = ops.save_consent(owner, None, values["text"], values.get("text_en", ""))
    db.session.commit()
    response = jsonify({"id": offer.id, "text": offer.text, "text_en": offer.text_en})
    response.status_code = 201
    return response


def _series(series_id: int) -> EventSeries:
    return get_or_404(EventSeries, series_id, _("There is no such series."))


@bp.route(
    "/events/<int:event_id>/questions",
    endpoint="add_event_question",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(operationId="addEventQuestion", summary="Add a registration question to an event.")
@bp.body(QuestionCreateSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 422)
def post_event_question(read_body, event_id: int):
    return _add_question(find_event(event_id), read_body())


@bp.route(
    "/series/<int:series_id>/questions",
    endpoint="add_series_question",
    methods=["POST"],
    parameters=_SERIES_ID,
)
@bp.doc(
    operationId="addSeriesQuestion",
    summary="Add a booking question to a course (a series booked as a whole).",
)
@bp.body(QuestionCreateSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 422)
def post_series_question(read_body, series_id: int):
    return _add_question(_series(series_id), read_body())


@bp.route(
    "/events/<int:event_id>/consents",
    endpoint="add_event_consent",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(operationId="addEventConsent", summary="Offer an optional consent on an event.")
@bp.body(ConsentCreateSchema)
@bp.response(201, ConsentOfferSchema, description="The consent offered.")
@bp.errors(400, 404, 422)
def post_event_consent(read_body, event_id: int):
    return _add_consent(find_event(event_id), read_body())


@bp.route(
    "/series/<int:series_id>/consents",
    endpoint="add_series_consent",
    methods=["POST"],
    parameters=_SERIES_ID,
)
@bp.doc(operationId="addSeriesConsent", summary="Offer an optional consent on a course.")
@bp.body(ConsentCreateSchema)
@bp.response(201, ConsentOfferSchema, description="The consent offered.")
@bp.errors(400, 404, 422)
def post_series_consent(read_body, series_id: int):
    return _add_consent(_series(series_id), read_body())
