"""JSON API for the questions of the anonymous feedback form of an event or a course (a
series): list, add, change, delete (thin routes over :mod:`events.questions` with the
feedback purpose, as the editors' feedback page; no conditions: every feedback question
is always shown). What is wrong: 422 on its field. The summary, the typical questions
and the invitation: :mod:`events.api.feedback`."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _

from events import feedback
from events import questions as ops
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.api.owners import SERIES_ID, find_feedback_series
from events.api.questions import QuestionSchema, question_json
from events.question_models import QUESTION_KINDS, Question, QuestionPurpose
from events.questions import Owner
from kkp.api import ApiBlueprint, ApiError
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Flag, Text, answer
from kkp.extensions import db

bp = ApiBlueprint("feedback_questions", __name__, tag="events")
handle_errors(bp)

_EVENT_LIST = "/events/<int:event_id>/feedback/questions"
_SERIES_LIST = "/series/<int:series_id>/feedback/questions"
_QUESTION_ID = [id_parameter("feedback_question_id", "The feedback question's id.")]
_EVENT_QUESTION = [*EVENT_ID, *_QUESTION_ID]
_SERIES_QUESTION = [*SERIES_ID, *_QUESTION_ID]


class FeedbackQuestionUpdateSchema(ApiSchema):
    """A change: the fields sent; the others keep their values."""

    EXAMPLES = [{"label": "Wie bewerten Sie den Ort?", "required": True}]

    kind = Text(20, choices=QUESTION_KINDS)
    label = Text(ops.MAX_LABEL, min_length=1, metadata={"description": "German."})
    label_en = Text(ops.MAX_LABEL, metadata={"description": "English; empty: the German one."})
    help = Text(ops.MAX_HELP, metadata={"description": "A hint below the question."})
    choices = ma.fields.List(
        ma.fields.String(), metadata={"description": "one_choice, choices: the options."}
    )
    required = Flag(metadata={"description": "An answer is required."})


class FeedbackQuestionCreateSchema(FeedbackQuestionUpdateSchema):
    EXAMPLES = [{"kind": "one_choice", "label": "Wie war der Raum?", "choices": ["gut", "eng"]}]

    kind = Text(20, choices=QUESTION_KINDS, required=True)
    label = Text(ops.MAX_LABEL, min_length=1, required=True, metadata={"description": "German."})


class FeedbackQuestionListSchema(AnswerSchema):
    items = answer(ma.fields.List, ma.fields.Nested(QuestionSchema), description="In order.")


def _question(owner: Owner, question_id: int) -> Question:
    question = feedback.feedback_question(owner, question_id)
    if question is None:
        raise ApiError(404, _("There is no such question."))
    return question


def _save(owner: Owner, question: Question | None, values: dict) -> Question:
    """Add a question, or change the fields sent and keep the others."""

    def value(name: str, default):
        return values[name] if name in values else default

    return ops.save_question(
        owner,
        question,
        ops.QuestionInput(
            kind=value("kind", question.kind if question else ""),
            label=value("label", question.label if question else ""),
            label_en=value("label_en", question.label_en if question else ""),
            help=value("help", question.help if question else ""),
            choices=tuple(value("choices", (question.choices or []) if question else ())),
            required=value("required", question.required if question else False),
            purpose=QuestionPurpose.FEEDBACK,
        ),
    )


def _list(owner: Owner):
    return jsonify(items=[question_json(q) for q in feedback.feedback_questions(owner)])


def _add(owner: Owner, read_body):
    question = _save(owner, None, read_body())
    db.session.commit()
    return jsonify(question_json(question)), 201


def _change(owner: Owner, question_id: int, read_body):
    question = _question(owner, question_id)
    _save(owner, question, read_body())
    db.session.commit()
    return jsonify(question_json(question))


def _delete(owner: Owner, question_id: int):
    ops.delete_question(owner, _question(owner, question_id))
    db.session.commit()
    return "", 204


_PER_DATE = (
    "Only a series booked as a whole course (registration_scope `course`) has feedback "
    "questions of its own; any other series: 409, as each of its dates has its own."
)
_DELETED = {"204": {"description": "Deleted, with the answers given to it."}}


@bp.route(_EVENT_LIST, endpoint="event_feedback_questions", parameters=EVENT_ID)
@bp.doc(operationId="listEventFeedbackQuestions", summary="An event's feedback questions.")
@bp.response(200, FeedbackQuestionListSchema, description="The questions, in order.")
@bp.errors(404)
def get_event_questions(event_id: int):
    return _list(find_event(event_id))


@bp.route(_SERIES_LIST, endpoint="series_feedback_questions", parameters=SERIES_ID)
@bp.doc(
    operationId="listSeriesFeedbackQuestions",
    summary="A course's feedback questions.",
    description=_PER_DATE,
)
@bp.response(200, FeedbackQuestionListSchema, description="The questions, in order.")
@bp.errors(404, 409)
def get_series_questions(series_id: int):
    return _list(find_feedback_series(series_id))


@bp.route(
    _EVENT_LIST,
    endpoint="add_event_feedback_question",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(operationId="addEventFeedbackQuestion", summary="Add a feedback question to an event.")
@bp.body(FeedbackQuestionCreateSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 422)
def post_event_question(read_body, event_id: int):
    return _add(find_event(event_id), read_body)


@bp.route(
    _SERIES_LIST,
    endpoint="add_series_feedback_question",
    methods=["POST"],
    parameters=SERIES_ID,
)
@bp.doc(
    operationId="addSeriesFeedbackQuestion",
    summary="Add a feedback question to a course.",
    description=_PER_DATE,
)
@bp.body(FeedbackQuestionCreateSchema)
@bp.response(201, QuestionSchema, description="The question, last in the form.")
@bp.errors(400, 404, 409, 422)
def post_series_question(read_body, series_id: int):
    return _add(find_feedback_series(series_id), read_body)


@bp.route(
    _EVENT_LIST + "/<int:feedback_question_id>",
    endpoint="update_event_feedback_question",
    methods=["PATCH"],
    parameters=_EVENT_QUESTION,
)
@bp.doc(
    operationId="updateEventFeedbackQuestion",
    summary="Change some of an event's feedback question's fields; the others stay.",
)
@bp.body(FeedbackQuestionUpdateSchema)
@bp.response(200, QuestionSchema, description="The question afterwards.")
@bp.errors(400, 404, 422)
def patch_event_question(read_body, event_id: int, feedback_question_id: int):
    return _change(find_event(event_id), feedback_question_id, read_body)


@bp.route(
    _SERIES_LIST + "/<int:feedback_question_id>",
    endpoint="update_series_feedback_question",
    methods=["PATCH"],
    parameters=_SERIES_QUESTION,
)
@bp.doc(
    operationId="updateSeriesFeedbackQuestion",
    summary="Change some of a course's feedback question's fields; the others stay.",
    description=_PER_DATE,
)
@bp.body(FeedbackQuestionUpdateSchema)
@bp.response(200, QuestionSchema, description="The question afterwards.")
@bp.errors(400, 404, 409, 422)
def patch_series_question(read_body, series_id: int, feedback_question_id: int):
    return _change(find_feedback_series(series_id), feedback_question_id, read_body)


@bp.route(
    _EVENT_LIST + "/<int:feedback_question_id>",
    endpoint="delete_event_feedback_question",
    methods=["DELETE"],
    parameters=_EVENT_QUESTION,
)
@bp.doc(
    operationId="deleteEventFeedbackQuestion",
    summary="Delete one of an event's feedback questions.",
    responses=_DELETED,
)
@bp.errors(404)
def delete_event_question(event_id: int, feedback_question_id: int):
    return _delete(find_event(event_id), feedback_question_id)


@bp.route(
    _SERIES_LIST + "/<int:feedback_question_id>",
    endpoint="delete_series_feedback_question",
    methods=["DELETE"],
    parameters=_SERIES_QUESTION,
)
@bp.doc(
    operationId="deleteSeriesFeedbackQuestion",
    summary="Delete one of a course's feedback questions.",
    description=_PER_DATE,
    responses=_DELETED,
)
@bp.errors(404, 409)
def delete_series_question(series_id: int, feedback_question_id: int):
    return _delete(find_feedback_series(series_id), feedback_question_id)
