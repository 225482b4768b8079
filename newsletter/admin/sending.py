"""The editors' pages for sending an issue: send now or schedule, watch the progress,
pause, resume, cancel."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, jsonify, redirect, render_template, url_for
from flask_babel import format_number, format_timedelta, ngettext
from flask_babel import gettext as _
from flask_login import current_user

from kkp.forms import ConfirmForm
from kkp.i18n import BERLIN, Count, NonexistentTime, berlin, berlin_to_utc, year_problem
from kkp.mail.reasons import describe
from kkp.views import Confirmation, confirm_page, saving
from newsletter import sending
from newsletter.admin.issues import ISSUE_STATUS_WORDS, RUNNING, issue_or_404
from newsletter.admin.subscribers import bp
from newsletter.forms import ScheduleForm
from newsletter.issues import IssueError
from newsletter.models import Issue, IssueStatus

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
    if issue.status not in (IssueStatus.DRAFT, IssueStatus.SCHEDULED):
        return redirect(url_for(".issue_progress", issue_id=issue.id), 303)
    if not ConfirmForm().validate_on_submit():
        return _send_page(issue)
    with saving(quiet=True) as saved:
        count = sending.start_sending(issue)
    if not saved:
        return _send_page(issue, error=str(saved.error), status=422)
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
        except NonexistentTime:
            form.time.errors = [
                _(
                    "This time does not exist on that day: the clocks go forward from "
                    "2:00 to 3:00. Please choose another time."
                )
            ]
            return _send_page(issue, schedule_form=form, status=422)
        with saving(quiet=True) as saved:
            sending.schedule(issue, when)
        if saved:
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
        if saved.error.field == "scheduled_at":
            form.day.errors = [str(saved.error)]
        else:
            error = str(saved.error)
    return _send_page(issue, schedule_form=form, error=error, status=422)


@bp.post("/issues/<int:issue_id>/unschedule")
def issue_unschedule(issue_id: int):
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            sending.unschedule(issue)
        if saved:
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
        with saving() as saved:
            if action == "pause":
                sending.pause(
                    issue, _("Paused by %(name)s.", name=current_user.name or current_user.email)
                )
            else:
                sending.resume(issue)
        if saved and action == "pause":
            flash(_("Sending is paused. Nobody gets the issue twice when you resume."), "info")
        elif saved:
            flash(_("Sending goes on."), "success")
    return redirect(url_for(".issue_progress", issue_id=issue.id), 303)


@bp.route("/issues/<int:issue_id>/resend-interrupted", methods=["GET", "POST"])
def issue_resend_interrupted(issue_id: int):
    """Send again to those whose delivery was interrupted: asks first, saying how many."""
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            count = sending.resend_interrupted(issue)
        if saved:
            flash(
                ngettext(
                    "The issue goes out again to %(num)d recipient.",
                    "The issue goes out again to %(num)d recipients.",
                    count,
                ),
                "success",
            )
        return redirect(url_for(".issue_progress", issue_id=issue.id), 303)
    return confirm_page(_resend_question(issue, sending.progress(issue)["interrupted"]))


def _resend_question(issue: Issue, interrupted: int) -> Confirmation:
    title = _("Send again where it was interrupted")
    question = _(
        "Send %(number)s: %(title)s again where it was interrupted?",
        number=issue.number,
        title=issue.title,
    )
    back = url_for(".issue_progress", issue_id=issue.id)
    if not interrupted:
        return Confirmation(
            title=title,
            question=question,
            notes=[_("No delivery of this issue was interrupted.")],
            back=back,
            back_label=_("Back to the progress"),
        )
    count = Count(interrupted)
    return Confirmation(
        title=title,
        question=question,
        touches=ngettext(
            "Sending was interrupted while the issue was being handed to the mail server for "
            "%(num)s recipient. It may have arrived or not; the service cannot tell.",
            "Sending was interrupted while the issue was being handed to the mail server for "
            "%(num)s recipients. Each may have it or not; the service cannot tell.",
            count,
        ),
        notes=[
            _(
                "If you send it again, those who have it already get it a second time (with "
                "the same Message-ID, so many mail programs show it once). If you do not, "
                "those who do not have it stay without it."
            )
        ],
        button=ngettext(
            "Yes, send it again to %(num)s recipient",
            "Yes, send it again to %(num)s recipients",
            count,
        ),
        danger=False,
        back=back,
        back_label=_("No, back to the progress"),
    )


@bp.route("/issues/<int:issue_id>/cancel", methods=["GET", "POST"])
def issue_cancel(issue_id: int):
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            sending.cancel(issue)
        if saved:
            flash(_("Sending was cancelled. Nobody else gets this issue."), "success")
        return redirect(url_for(".issue_progress", issue_id=issue.id), 303)
    progress = sending.progress(issue)
    return confirm_page(
        Confirmation(
            title=_("Cancel sending"),
            question=_(
                "Cancel sending %(number)s: %(title)s?", number=issue.number, title=issue.title
            ),
            touches=_(
                "%(sent)s of %(total)s recipients have the issue already; that stays so. "
                "Nobody else gets it, and sending cannot be started again.",
                sent=format_number(progress["sent"]),
                total=format_number(progress["total"]),
            ),
            notes=[_("To stop for a while instead, pause the sending.")],
            button=_("Yes, cancel sending"),
            back=url_for(".issue_progress", issue_id=issue.id),
            back_label=_("No, back to the progress"),
        )
    )
