"""JSON API for an event's or a course's (series') own registration questions and
optional consents: list them, add one, add a typical question (thin routes over
:mod:`events.questions`, the operations the editors' page uses; what is wrong: 422 on
its field). One question or consent changed, deleted or moved:
:mod:`events.api.question_edits`; the schemas of what they answer:
:mod:`events.api.questions`, of what they take: :mod:`events.api.question_input`."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from events import questions as ops
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.api.question_input import (
    ConsentCreateSchema,
    QuestionCreateSchema,
    TypicalQuestionSchema,
    question_input,
)
from events.api.questions import (
    AskedSchema,
    ConsentOfferSchema,
    QuestionSchema,
    consent_json,
    owner_asked_json,
    question_json,
)
from events.models import EventSeries
from kkp.api import ApiBlueprint, get_or_404
from kkp.api_docs import id_parameter
from kkp.extensions import db

bp = ApiBlueprint("questions", __name__, tag="events")
handle_errors(bp)

_SERIES_ID = [id_parameter("series_id", "The series' id.")]
_EVENT_QUESTIONS = "/events/<int:event_id>/questions"
_SERIES_QUESTIONS = "/series/<int:series_id>/questions"
_TYPICAL = "Organisation, function or municipality: a short-text question, last in the form."


def _created(data: dict):
    response = jsonify(data)
    response.status_code = 201
    return response


def _add_question(owner: ops.Owner, values: dict):
    question = ops.save_question(owner, None, question_input(values))
    db.session.commit()
    return _created(question_json(question))


def _add_typical(owner: ops.Owner, values: dict):
    question = ops.add_typical(owner, values["name"])
    db.session.commit()
    return _created(question_json(question))


def _add_consent(owner: ops.Owner, values: dict):
    offer = ops.save_consent(owner, None, values["text"], values.get("text_en", ""))
    db.session.commit()
    return _created(consent_json(offer))


def _series(series_id: int) -> EventSeries:
    return get_or_404(EventSeries, series_id, _("There is no such series."))


# -- the list --------------------------------------------------------------------------------


@bp.route(_EVENT_QUESTIONS, endpoint="event_questions", methods=["GET"], parameters=EVENT_ID)
@bp.doc(
    operationId="listEventQuestions",
    summary="An event's registration questions and optional consents, in order.",
)
@bp.response(200, AskedSchema, description="The questions and the consents.")
@bp.errors(404)
def get_event_questions(event_id: int):
    return jsonify(owner_asked_json(find_event(event_id)))


@bp.route(_SERIES_QUESTIONS, endpoint="series_questions", methods=["GET"], parameters=_SERIES_ID)
@bp.doc(
    operationId="listSeriesQuestions",
    summary="A course's booking questions and optional consents, in order.",
)
@bp.response(200, AskedSchema, description="The questions and the consents.")
@bp.errors(404)
def get_series_questions(series_id: int):
    return jsonify(owner_asked_json(_series(series_id)))


# -- adding ----------------------------------------------------------------------------------


@bp.route(_EVENT_QUESTIONS, endpoint="add_event_question", methods=["POST"], parameters=EVENT_ID)
@bp.doc(operationId="addEventQuestion", summary="Add a registration question to an event.")
@bp.body(QuestionCreateSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 422)
def post_event_question(read_body, event_id: int):
    return _add_question(find_event(event_id), read_body())


@bp.route(
    _SERIES_QUESTIONS, endpoint="add_series_question", methods=["POST"], parameters=_SERIES_ID
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
    _EVENT_QUESTIONS + "/typical",
    endpoint="add_event_typical_question",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="addEventTypicalQuestion",
    summary="Add a typical question to an event.",
    description=_TYPICAL,
)
@bp.body(TypicalQuestionSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 422)
def post_event_typical_question(read_body, event_id: int):
    return _add_typical(find_event(event_id), read_body())


@bp.route(
    _SERIES_QUESTIONS + "/typical",
    endpoint="add_series_typical_question",
    methods=["POST"],
    parameters=_SERIES_ID,
)
@bp.doc(
    operationId="addSeriesTypicalQuestion",
    summary="Add a typical question to a course.",
    description=_TYPICAL,
)
@bp.body(TypicalQuestionSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 422)
def post_series_typical_question(read_body, series_id: int):
    return _add_typical(_series(series_id), read_body())


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
