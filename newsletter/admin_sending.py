"""The editors' pages for sending an issue: send now or schedule, watch the progress,
pause, resume, cancel."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import format_number, format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from kkp.extensions import db
from kkp.i18n import BERLIN, NonexistentTime, berlin, berlin_to_utc, year_problem
from kkp.mail.reasons import describe
from newsletter import sending
from newsletter.admin import bp
from newsletter.admin_issues import ISSUE_STATUS_WORDS, RUNNING, issue_or_404
from newsletter.forms import (
    ConfirmForm,
    ScheduleForm,
)
from newsletter.issues import IssueError
from newsletter.models import Issue

# -- sending and scheduling --------------------------------------------------------------


def _send_page(issue: Issue, *, schedule_form=None, error: str | None = None, status=200):
    try:
        count = sending.check_sendable(issue)
        problem = None
    except IssueError as exc:
        count, problem = sending.count_recipients(issue), str(exc)
    if schedule_form is None:
        when = issue.scheduled_at.astimezone(BERLIN) if issue.scheduled_at else None
        schedule_form = ScheduleForm(
            formdata=None,
            day=when.date() if when else None,
            time=when.time().replace(tzinfo=None) if when else None,
        )
    return render_template(
        "admin/issues/send.html",
        issue=issue,
        count=count,
        problem=error or problem,
        form=ConfirmForm(),
        schedule_form=schedule_form,
    ), status


@bp.route("/issues/<int:issue_id>/send", methods=["GET", "POST"])
def issue_send(issue_id: int):
    issue = issue_or_404(issue_id)
    if issue.status not in ("draft", "scheduled"):
        return redirect(url_for(".issue_progress", issue_id=issue.id), 303)
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _send_page(issue)
    try:
        count = sending.start_sending(issue)
    except IssueError as exc:
        db.session.rollback()
        return _send_page(issue, error=str(exc), status=422)
    db.session.commit()
    flash(_("Sending started to %(n)s recipients.", n=count), "success")
    return redirect(url_for(".issue_progress", issue_id=issue.id), 303)


@bp.post("/issues/<int:issue_id>/schedule")
def issue_schedule(issue_id: int):
    issue = issue_or_404(issue_id)
    form = ScheduleForm()
    error = None
    valid = form.validate()
    if valid and year_problem(form.day.data):
        form.day.errors = [year_problem(form.day.data)]
    elif valid:
        try:
            when, ambiguous = berlin_to_utc(form.day.data, form.time.data)
            sending.schedule(issue, when)
        except NonexistentTime:
            form.time.errors = [
                _(
                    "This time does not exist on that day: the clocks go forward from "
                    "2:00 to 3:00. Please choose another time."
                )
            ]
        except IssueError as exc:
            db.session.rollback()
            if exc.field == "scheduled_at":
                form.day.errors = [str(exc)]
            else:
                error = str(exc)
        else:
            db.session.commit()
            flash(_("The issue will be sent on %(when)s.", when=berlin(when, "full")), "success")
            if ambiguous:
                flash(
                    _(
                        "This time happens twice that day, as the clocks go back; the "
                        "first, in summer time, was taken."
                    ),
                    "info",
                )
            return redirect(url_for(".issue_send", issue_id=issue.id), 303)
    return _send_page(issue, schedule_form=form, error=error, status=422)


@bp.post("/issues/<int:issue_id>/unschedule")
def issue_unschedule(issue_id: int):
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        try:
            sending.unschedule(issue)
        except IssueError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("The issue is no longer scheduled; it is a draft again."), "success")
    return redirect(url_for(".issue_send", issue_id=issue.id), 303)


# -- progress ----------------------------------------------------------------------------


def time_left(seconds: int | None) -> str | None:
    """E.g. "about 3 minutes"; None when nothing can be estimated."""
    if seconds is None:
        return None
    span = format_timedelta(timedelta(seconds=seconds), granularity="second", threshold=0.9)
    return _("about %(time)s", time=span)


def _progress(issue: Issue) -> dict:
    data = sending.progress(issue)
    data["status_text"] = str(ISSUE_STATUS_WORDS.get(issue.status, issue.status))
    data["time_left_text"] = time_left(data["seconds_left"])
    data["running"] = issue.status in RUNNING
    data["progress_text"] = _(
        "%(sent)s of %(total)s sent",
        sent=format_number(data["sent"]),
        total=format_number(data["total"]),
    )
    for failure in data["failures"]:
        failure["at_text"] = berlin(datetime.fromisoformat(failure["at"]))
        failure["answer"] = describe(failure["answer"])
        failure["outcome_text"] = _("failed for good") if failure["final"] else _("will be retried")
    return data


@bp.get("/issues/<int:issue_id>/progress")
def issue_progress(issue_id: int):
    issue = issue_or_404(issue_id)
    return render_template(
        "admin/issues/progress.html", issue=issue, progress=_progress(issue), form=ConfirmForm()
    )


@bp.get("/issues/<int:issue_id>/progress.json")
def issue_progress_json(issue_id: int):
    return jsonify(_progress(issue_or_404(issue_id)))


@bp.post("/issues/<int:issue_id>/<any(pause, resume):action>")
def issue_pause_resume(issue_id: int, action: str):
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        try:
            if action == "pause":
                sending.pause(
                    issue, _("Paused by %(name)s.", name=current_user.name or current_user.email)
                )
            else:
                sending.resume(issue)
        except IssueError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            if action == "pause":
                flash(_("Sending is paused. Nobody gets the issue twice when you resume."), "info")
            else:
                flash(_("Sending goes on."), "success")
    return redirect(url_for(".issue_progress", issue_id=issue.id), 303)


@bp.route("/issues/<int:issue_id>/resend-interrupted", methods=["GET", "POST"])
def issue_resend_interrupted(issue_id: int):
    """Send again to those whose delivery was interrupted: asks first, saying how many."""
    issue = issue_or_404(issue_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            count = sending.resend_interrupted(issue)
        except IssueError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(
                ngettext(
                    "The issue goes out again to %(num)d recipient.",
                    "The issue goes out again to %(num)d recipients.",
                    count,
                ),
                "success",
            )
        return redirect(url_for(".issue_progress", issue_id=issue.id), 303)
    return render_template(
        "admin/issues/resend_interrupted.html", issue=issue, form=form, progress=_progress(issue)
    )


@bp.route("/issues/<int:issue_id>/cancel", methods=["GET", "POST"])
def issue_cancel(issue_id: int):
    issue = issue_or_404(issue_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            sending.cancel(issue)
        except IssueError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Sending was cancelled. Nobody else gets this issue."), "success")
        return redirect(url_for(".issue_progress", issue_id=issue.id), 303)
    return render_template(
        "admin/issues/cancel.html", issue=issue, form=form, progress=_progress(issue)
    )
