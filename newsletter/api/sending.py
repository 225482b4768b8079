"""JSON API for sending an issue: test sends, scheduling, sending, pausing and its
progress. Thin routes over :mod:`newsletter.sending`, the operations the editors' pages
use; an action the issue's status forbids is a 409."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from kkp.api import ApiBlueprint, invalid
from kkp.api_fields import NoBodySchema
from kkp.extensions import db
from newsletter import issues, sending
from newsletter.api.errors import handle_errors
from newsletter.api.issue_answers import (
    IssueDetailSchema,
    IssueProgressSchema,
    IssueSendingSchema,
    TestSendResultSchema,
    issue_json,
)
from newsletter.api.issue_input import PauseSchema, ScheduleSchema, TestSendSchema
from newsletter.api.issues import ISSUE_ID, find_issue, issue_response, require
from newsletter.models import Issue
from people.addresses import SubscriptionError

bp = ApiBlueprint("issue_sending", __name__, tag="issues")
handle_errors(bp)

_ISSUE = "/issues/<int:issue_id>"


def _action(path: str, endpoint: str, operation_id: str, summary: str, description: str):
    """A POST on one issue."""

    def decorate(view):
        view = bp.doc(operationId=operation_id, summary=summary, description=description)(view)
        return bp.route(_ISSUE + path, endpoint=endpoint, methods=["POST"], parameters=[ISSUE_ID])(
            view
        )

    return decorate


def _sending_response(issue: Issue, recipients: int, status: int):
    response = jsonify(recipients=recipients, issue=issue_json(issue, detail=True))
    response.status_code = status
    return response


@_action(
    "/test-send",
    "test_send_issue",
    "testSendIssue",
    "Send the issue as it is now to up to five addresses, marked [Test].",
    "In any status. Nobody on the lists gets anything.",
)
@bp.body(TestSendSchema)
@bp.response(202, TestSendResultSchema, description="Queued; the mails go out in the background.")
@bp.errors(400, 404, 422)
def post_test_send(read_body, issue_id: int):
    issue = find_issue(issue_id)
    values = read_body()
    try:
        queued = sending.test_send(issue, values["addresses"])
    except issues.IssueError:
        raise
    except SubscriptionError as exc:  # an address that is not one
        raise invalid("addresses", str(exc)) from exc
    db.session.commit()
    response = jsonify(queued=len(queued))
    response.status_code = 202
    return response


@_action(
    "/schedule",
    "schedule_issue",
    "scheduleIssue",
    "Send the issue at a time in the future.",
    "A draft or a scheduled issue (then the time changes). The issue needs articles, lists "
    "and someone confirmed on them (else 422); other states 409.",
)
@bp.body(ScheduleSchema)
@bp.response(200, IssueSendingSchema, description="Scheduled.")
@bp.errors(400, 404, 409, 422)
def post_schedule(read_body, issue_id: int):
    issue = find_issue(issue_id)
    require(issue.is_editable, _("This issue is being sent or was sent already."))
    values = read_body()
    recipients = sending.schedule(issue, values["at"])
    db.session.commit()
    return _sending_response(issue, recipients, 200)


@_action(
    "/unschedule",
    "unschedule_issue",
    "unscheduleIssue",
    "Take a scheduled issue back to draft.",
    "Only a scheduled issue; otherwise 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, IssueDetailSchema, description="The issue afterwards.")
@bp.errors(400, 404, 409, 422)
def post_unschedule(read_body, issue_id: int):
    issue = find_issue(issue_id)
    read_body()
    sending.unschedule(issue)
    db.session.commit()
    return issue_response(issue)


@_action(
    "/send",
    "send_issue",
    "sendIssue",
    "Start sending now, to every confirmed subscriber of the issue's lists, once.",
    "A draft or a scheduled issue. The issue needs articles, lists and someone confirmed on "
    "them (else 422); other states 409. The mail is frozen now: later changes are "
    "impossible.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(202, IssueSendingSchema, description="Sending started; follow it with the progress.")
@bp.errors(400, 404, 409, 422)
def post_send(read_body, issue_id: int):
    issue = find_issue(issue_id)
    read_body()
    recipients = sending.start_sending(issue)
    db.session.commit()
    return _sending_response(issue, recipients, 202)


@_action(
    "/pause",
    "pause_issue",
    "pauseIssue",
    "Pause sending; nothing more goes out until resumed.",
    "Only an issue being sent; otherwise 409.",
)
@bp.body(PauseSchema, optional=True)
@bp.response(200, IssueDetailSchema, description="The issue afterwards.")
@bp.errors(400, 404, 409, 422)
def post_pause(read_body, issue_id: int):
    issue = find_issue(issue_id)
    values = read_body()
    sending.pause(issue, values.get("reason") or None)
    db.session.commit()
    return issue_response(issue)


@_action(
    "/resume",
    "resume_issue",
    "resumeIssue",
    "Continue a paused issue where it stopped; nobody gets it twice.",
    "Only a paused issue; otherwise 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, IssueDetailSchema, description="The issue afterwards.")
@bp.errors(400, 404, 409, 422)
def post_resume(read_body, issue_id: int):
    issue = find_issue(issue_id)
    read_body()
    sending.resume(issue)
    db.session.commit()
    return issue_response(issue)


@_action(
    "/cancel",
    "cancel_issue",
    "cancelIssue",
    "Stop for good; what was sent stays sent.",
    "Only a scheduled, sending or paused issue; otherwise 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, IssueDetailSchema, description="The issue afterwards.")
@bp.errors(400, 404, 409, 422)
def post_cancel(read_body, issue_id: int):
    issue = find_issue(issue_id)
    read_body()
    sending.cancel(issue)
    db.session.commit()
    return issue_response(issue)


@bp.route(_ISSUE + "/progress", endpoint="issue_progress", methods=["GET"], parameters=[ISSUE_ID])
@bp.doc(
    operationId="getIssueProgress",
    summary="How far sending is: counts, rate, time left, failures.",
)
@bp.response(200, IssueProgressSchema, description="The progress.")
@bp.errors(404)
def get_progress(issue_id: int):
    return jsonify(sending.progress(find_issue(issue_id)))
