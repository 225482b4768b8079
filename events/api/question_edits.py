"""JSON API for one registration question or one optional consent of an event or a
course: change it (only the fields sent), delete it, move it one place (thin routes over
:mod:`events.questions`, the operations the editors' page uses, which audit each
change). A consent's new words are offered from then on; who agreed before keeps the
words she saw."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from events import questions as ops
from events.api.errors import handle_errors
from events.api.question_input import ConsentUpdateSchema, MoveSchema, QuestionUpdateSchema
from events.api.question_input import question_input as input_of
from events.api.questions import (
    AskedSchema,
    ConsentOfferSchema,
    QuestionSchema,
    consent_json,
    owner_asked_json,
    question_json,
)
from events.errors import EventError
from events.models import Event, EventSeries
from events.question_models import ConsentOffer, Question, QuestionPurpose
from kkp.api import ApiBlueprint, ApiError, get_or_404
from kkp.api_docs import id_parameter
from kkp.extensions import db

bp = ApiBlueprint("question_edits", __name__, tag="events")
handle_errors(bp)

_QUESTION = "/questions/<int:question_id>"
_CONSENT = "/consents/<int:offer_id>"
_QUESTION_ID = [id_parameter("question_id", "A registration question's id.")]
_OFFER_ID = [id_parameter("offer_id", "An optional consent's id.")]
_DELETED = {"204": {"description": "Deleted."}}


def _owner(item: Question | ConsentOffer) -> ops.Owner:
    if item.event_id is not None:
        return db.session.get(Event, item.event_id)
    return db.session.get(EventSeries, item.series_id)


def _question(question_id: int) -> Question:
    """A registration question (a feedback form's has its own page)."""
    message = _("There is no such question.")
    question = get_or_404(Question, question_id, message)
    if question.purpose != QuestionPurpose.REGISTRATION:
        raise ApiError(404, message)
    return question


def _offer(offer_id: int) -> ConsentOffer:
    return get_or_404(ConsentOffer, offer_id, _("There is no such consent."))


def _step(read_body) -> int:
    return -1 if read_body()["to"] == "up" else 1


# -- questions -------------------------------------------------------------------------------


@bp.route(_QUESTION, endpoint="update_question", methods=["PATCH"], parameters=_QUESTION_ID)
@bp.doc(
    operationId="updateQuestion",
    summary="Change a registration question.",
    description="The fields sent replace the stored ones, checked as the editors' form "
    "checks them. Answers given before are kept.",
)
@bp.body(QuestionUpdateSchema)
@bp.response(200, QuestionSchema, description="The question afterwards.")
@bp.errors(400, 404, 422)
def patch_question(read_body, question_id: int):
    question = _question(question_id)
    values = read_body()
    if values:
        ops.save_question(_owner(question), question, input_of(values, question))
        db.session.commit()
    return jsonify(question_json(question))


@bp.route(_QUESTION, endpoint="delete_question", methods=["DELETE"], parameters=_QUESTION_ID)
@bp.doc(
    operationId="deleteQuestion",
    summary="Delete a registration question and the answers given to it.",
    description="As on the editors' page: its answers are deleted with it (the list says "
    "how many); questions shown only after it are then always shown.",
    responses=_DELETED,
)
@bp.errors(404)
def delete_question(question_id: int):
    question = _question(question_id)
    ops.delete_question(_owner(question), question)
    db.session.commit()
    return "", 204


@bp.route(_QUESTION + "/move", endpoint="move_question", methods=["POST"], parameters=_QUESTION_ID)
@bp.doc(
    operationId="moveQuestion",
    summary="Move a registration question one place up or down.",
    description="A question stays after the question it depends on: otherwise 409.",
)
@bp.body(MoveSchema)
@bp.response(200, AskedSchema, description="The questions and consents in their new order.")
@bp.errors(400, 404, 409, 422)
def post_move_question(read_body, question_id: int):
    question = _question(question_id)
    owner = _owner(question)
    try:
        ops.move_question(owner, question, _step(read_body))
    except EventError as exc:
        raise ApiError(409, str(exc)) from exc
    db.session.commit()
    return jsonify(owner_asked_json(owner))


# -- consents --------------------------------------------------------------------------------


@bp.route(_CONSENT, endpoint="update_consent", methods=["PATCH"], parameters=_OFFER_ID)
@bp.doc(
    operationId="updateConsent",
    summary="Change the words of an optional consent.",
    description="Offered with the new words from now on; each person who agreed before "
    "keeps the very words she saw (her registration's `consents`).",
)
@bp.body(ConsentUpdateSchema)
@bp.response(200, ConsentOfferSchema, description="The consent afterwards.")
@bp.errors(400, 404, 422)
def patch_consent(read_body, offer_id: int):
    offer = _offer(offer_id)
    values = read_body()
    if values:
        text, text_en = values.get("text", offer.text), values.get("text_en", offer.text_en)
        ops.save_consent(_owner(offer), offer, text, text_en)
        db.session.commit()
    return jsonify(consent_json(offer))


@bp.route(_CONSENT, endpoint="delete_consent", methods=["DELETE"], parameters=_OFFER_ID)
@bp.doc(
    operationId="deleteConsent",
    summary="No longer offer an optional consent.",
    description="The records of who agreed stay, with the words each person saw.",
    responses=_DELETED,
)
@bp.errors(404)
def delete_consent(offer_id: int):
    offer = _offer(offer_id)
    ops.delete_consent(_owner(offer), offer)
    db.session.commit()
    return "", 204


@bp.route(_CONSENT + "/move", endpoint="move_consent", methods=["POST"], parameters=_OFFER_ID)
@bp.doc(operationId="moveConsent", summary="Move an optional consent one place up or down.")
@bp.body(MoveSchema)
@bp.response(200, AskedSchema, description="The questions and consents in their new order.")
@bp.errors(400, 404, 422)
def post_move_consent(read_body, offer_id: int):
    offer = _offer(offer_id)
    owner = _owner(offer)
    ops.move_consent(owner, offer, _step(read_body))
    db.session.commit()
    return jsonify(owner_asked_json(owner))
