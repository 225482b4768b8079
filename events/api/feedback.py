"""JSON API for the anonymous feedback: an event's summary (how many answered of how
many invited; per question the counts and shares, or the free texts in random order).
A thin route over :mod:`events.feedback_summary`; nothing names a person."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _

from events.api.errors import handle_errors
from events.feedback_summary import FeedbackSummary, summary
from events.models import Event
from kkp.api import ApiBlueprint, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, answer

bp = ApiBlueprint("feedback", __name__, tag="events")
handle_errors(bp)

_EVENT_ID = [id_parameter("event_id", "The event's id.")]


class FeedbackShareSchema(AnswerSchema):
    label = answer(description="The choice; for yes/no questions 'Yes' or 'No'.")
    count = answer(ma.fields.Integer)
    percent = answer(ma.fields.Integer, description="Of those who answered the question.")


class FeedbackQuestionSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    label = answer()
    kind = answer(description="short_text, long_text, one_choice, choices or yes_no.")
    answered = answer(ma.fields.Integer)
    shares = answer(ma.fields.List, ma.fields.Nested(FeedbackShareSchema))
    texts = answer(ma.fields.List, ma.fields.String, description="Free texts, in random order.")


class FeedbackSummarySchema(AnswerSchema):
    invited = answer(ma.fields.Integer)
    answered = answer(ma.fields.Integer)
    questions = answer(ma.fields.List, ma.fields.Nested(FeedbackQuestionSchema))


def summary_json(found: FeedbackSummary) -> dict:
    return {
        "invited": found.invited,
        "answered": found.answered,
        "questions": [
            {
                "id": s.question.id,
                "label": s.question.label,
                "kind": s.question.kind,
                "answered": s.answered,
                "shares": [
                    {"label": share.label, "count": share.count, "percent": share.percent}
                    for share in s.shares
                ],
                "texts": s.texts,
            }
            for s in found.questions
        ],
    }


@bp.route(
    "/events/<int:event_id>/feedback",
    endpoint="event_feedback",
    methods=["GET"],
    parameters=_EVENT_ID,
)
@bp.doc(operationId="getEventFeedback", summary="The anonymous feedback of an event, summarised.")
@bp.response(200, FeedbackSummarySchema, description="Counts and shares per question.")
@bp.errors(404)
def get_feedback(event_id: int):
    event = get_or_404(Event, event_id, _("There is no such event."))
    return jsonify(summary_json(summary(event)))
