"""JSON API for the anonymous feedback of an event or a course (a series): the summary
(how many answered of how many invited; per question the counts and shares, or the
free texts in random order, once at least :data:`events.feedback_summary.MIN_ANSWERS`
people answered), the typical questions in one call, and the invitation by mail. Thin
routes over :mod:`events.feedback` and :mod:`events.feedback_summary`; nothing names a
person. A series not booked as a whole has none of its own (each date has it): 409. The
questions themselves: :mod:`events.api.feedback_questions`."""

from __future__ import annotations

import marshmallow as ma
from flask import jsonify

from events import feedback
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.api.owners import SERIES_ID, find_feedback_series
from events.api.questions import QuestionSchema, question_json
from events.feedback_summary import MIN_ANSWERS, FeedbackSummary, summary
from events.questions import Owner
from kkp.api import ApiBlueprint
from kkp.api_fields import AnswerSchema, ApiSchema, Flag, NoBodySchema, answer
from kkp.extensions import db

bp = ApiBlueprint("feedback", __name__, tag="events")
handle_errors(bp)


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
    minimum = answer(
        ma.fields.Integer,
        description="The fewest people who answered whose answers are shown.",
    )
    withheld = answer(
        ma.fields.Boolean,
        description="True: fewer than `minimum` answered, so `questions` is empty (with "
        "one or two answers, an answer could be traced to the person who gave it).",
    )
    questions = answer(ma.fields.List, ma.fields.Nested(FeedbackQuestionSchema))


class TypicalFeedbackQuestionsSchema(AnswerSchema):
    added = answer(ma.fields.Integer, description="How many were added: none asked twice.")
    items = answer(
        ma.fields.List,
        ma.fields.Nested(QuestionSchema),
        description="All the feedback questions now, in order.",
    )


class FeedbackInviteSchema(ApiSchema):
    EXAMPLES = [{"present_only": True}]

    present_only = Flag(
        metadata={
            "description": "Only the participants marked present (on a date, for a course).",
            "default": False,
        }
    )


class FeedbackInvitedSchema(AnswerSchema):
    invited = answer(
        ma.fields.Integer,
        description="How many invitations were queued now: nobody is invited twice.",
    )


def summary_json(found: FeedbackSummary) -> dict:
    return {
        "invited": found.invited,
        "answered": found.answered,
        "minimum": MIN_ANSWERS,
        "withheld": found.withheld,
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


def _typical(owner: Owner, read_body):
    read_body()
    added = feedback.add_typical(owner)
    db.session.commit()
    return jsonify(
        added=added, items=[question_json(q) for q in feedback.feedback_questions(owner)]
    )


def _invite(owner: Owner, read_body):
    present_only = read_body().get("present_only", False)
    invited = feedback.invite(owner, present_only)
    db.session.commit()
    return jsonify(invited=invited)


_PER_DATE = (
    "Only a series booked as a whole course (registration_scope `course`) has feedback of "
    "its own; any other series: 409, as each of its dates collects its own feedback "
    "(/events/{event_id}/feedback)."
)
_SUMMARY = "Counts and shares per question (none below the minimum)."
_TYPICAL = "Rating 1–5, what was most useful, recommendation: those not asked yet, at the end."
_ADDED = "How many were added, and the questions."
_INVITE = (
    "Each confirmed participant (a course: each booking) not invited before gets a "
    "personal link to the form by e-mail. 409 without feedback questions or while the "
    "form is not open (from the start of the event, a course's last date, until "
    "KKP_FEEDBACK_DAYS days after its end)."
)


@bp.route("/events/<int:event_id>/feedback", endpoint="event_feedback", parameters=EVENT_ID)
@bp.doc(operationId="getEventFeedback", summary="The anonymous feedback of an event, summarised.")
@bp.response(200, FeedbackSummarySchema, description=_SUMMARY)
@bp.errors(404)
def get_feedback(event_id: int):
    return jsonify(summary_json(summary(find_event(event_id))))


@bp.route("/series/<int:series_id>/feedback", endpoint="series_feedback", parameters=SERIES_ID)
@bp.doc(
    operationId="getSeriesFeedback",
    summary="The anonymous feedback of a course, summarised.",
    description=_PER_DATE,
)
@bp.response(200, FeedbackSummarySchema, description=_SUMMARY)
@bp.errors(404, 409)
def get_series_feedback(series_id: int):
    return jsonify(summary_json(summary(find_feedback_series(series_id))))


@bp.route(
    "/events/<int:event_id>/feedback/typical",
    endpoint="event_feedback_typical",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="addEventTypicalFeedbackQuestions",
    summary="Add the typical feedback questions to an event.",
    description=_TYPICAL,
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, TypicalFeedbackQuestionsSchema, description=_ADDED)
@bp.errors(400, 404, 422)
def post_event_typical(read_body, event_id: int):
    return _typical(find_event(event_id), read_body)


@bp.route(
    "/series/<int:series_id>/feedback/typical",
    endpoint="series_feedback_typical",
    methods=["POST"],
    parameters=SERIES_ID,
)
@bp.doc(
    operationId="addSeriesTypicalFeedbackQuestions",
    summary="Add the typical feedback questions to a course.",
    description=f"{_TYPICAL} {_PER_DATE}",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, TypicalFeedbackQuestionsSchema, description=_ADDED)
@bp.errors(400, 404, 409, 422)
def post_series_typical(read_body, series_id: int):
    return _typical(find_feedback_series(series_id), read_body)


@bp.route(
    "/events/<int:event_id>/feedback/invite",
    endpoint="event_feedback_invite",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="inviteEventFeedback",
    summary="Invite an event's participants to give feedback.",
    description=_INVITE,
)
@bp.body(FeedbackInviteSchema, optional=True)
@bp.response(200, FeedbackInvitedSchema, description="How many were invited now.")
@bp.errors(400, 404, 409, 422)
def post_event_invite(read_body, event_id: int):
    return _invite(find_event(event_id), read_body)


@bp.route(
    "/series/<int:series_id>/feedback/invite",
    endpoint="series_feedback_invite",
    methods=["POST"],
    parameters=SERIES_ID,
)
@bp.doc(
    operationId="inviteSeriesFeedback",
    summary="Invite a course's participants (one mail per booking) to give feedback.",
    description=f"{_INVITE} {_PER_DATE}",
)
@bp.body(FeedbackInviteSchema, optional=True)
@bp.response(200, FeedbackInvitedSchema, description="How many were invited now.")
@bp.errors(400, 404, 409, 422)
def post_series_invite(read_body, series_id: int):
    return _invite(find_feedback_series(series_id), read_body)
