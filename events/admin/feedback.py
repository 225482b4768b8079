"""The editors' feedback page of an event or a course (a series)
(/admin/events/<id>/feedback, /admin/events/series/<id>/feedback): its questions (the
typical ones in one click), the invitation by mail, and the answers summarised, with
the CSV. The rules are :mod:`events.feedback`'s; nothing here names who answered. A
series that is not booked as a whole has no feedback of its own: its page says so and
links each date's, and its other addresses lead there."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from events import feedback
from events.admin.events import bp
from events.admin.forms import QuestionForm
from events.admin.questions import EVENT, SERIES, _own, _owner
from events.feedback_summary import answers_csv, summary, withheld_reason
from events.models import Event, EventSeries
from events.question_models import Question, QuestionPurpose
from events.questions import QuestionInput, delete_question, save_question
from kkp.forms import ConfirmForm, options
from kkp.views import Confirmation, confirm_page, saving


def _route(rule: str, **options):
    """The same view for an event's and a series' page."""

    def register(view):
        bp.route("/<int:owner_id>/feedback" + rule, defaults=EVENT, **options)(view)
        bp.route("/series/<int:owner_id>/feedback" + rule, defaults=SERIES, **options)(view)
        return view

    return register


def _page_url(owner_obj, anchor: str = "") -> str:
    owner = "event" if isinstance(owner_obj, Event) else "series"
    return url_for(".feedback_page", owner=owner, owner_id=owner_obj.id, _anchor=anchor or None)


def _feedback_owner(owner: str, owner_id: int) -> Event | EventSeries:
    """The event or course; a series not booked as a whole: to its page, which says that
    each date has the feedback."""
    owner_obj = _owner(owner, owner_id)
    if not feedback.has_own_feedback(owner_obj):
        abort(redirect(_page_url(owner_obj), 303))
    return owner_obj


def _per_date(series: EventSeries):
    return render_template("admin/events/feedback_per_date.html", series=series)


def _present_only() -> bool:
    return request.values.get("present") == "1"


def _render(owner_obj, *, question_form=None, editing=None, status=200):
    form = question_form or QuestionForm(formdata=None)
    form.shown_if.choices = options([("", _("Always"))])
    return render_template(
        "admin/events/feedback.html",
        owner=owner_obj,
        event=owner_obj if isinstance(owner_obj, Event) else None,
        series=owner_obj if isinstance(owner_obj, EventSeries) else None,
        owner_kind="event" if isinstance(owner_obj, Event) else "series",
        questions=feedback.feedback_questions(owner_obj),
        summary=summary(owner_obj),
        withheld_reason=withheld_reason(),
        window=feedback.window(owner_obj),
        uninvited=len(feedback.uninvited(owner_obj)),
        uninvited_present=len(feedback.uninvited(owner_obj, present_only=True)),
        question_form=form,
        editing=editing,
        button=ConfirmForm(),
    ), status


@_route("")
def feedback_page(owner: str, owner_id: int):
    owner_obj = _owner(owner, owner_id)
    if not feedback.has_own_feedback(owner_obj):
        return _per_date(owner_obj)
    return _render(owner_obj)


@_route("/typical", methods=["POST"])
def feedback_typical(owner: str, owner_id: int):
    owner_obj = _feedback_owner(owner, owner_id)
    if ConfirmForm().validate():
        with saving() as saved:
            added = feedback.add_typical(owner_obj)
        if saved:
            flash(
                ngettext("%(num)d question was added.", "%(num)d questions were added.", added),
                "success",
            )
    return redirect(_page_url(owner_obj, "questions"), 303)


def _feedback_question(owner_obj, question_id: int | None) -> Question | None:
    if question_id is None:
        return None
    question = _own(Question, question_id, owner_obj)
    if question.purpose != QuestionPurpose.FEEDBACK:
        abort(404)
    return question


@_route("/questions", methods=["POST"])
@_route("/questions/<int:question_id>", methods=["GET", "POST"])
def feedback_question_edit(owner: str, owner_id: int, question_id: int | None = None):
    """A new question, or one changed (conditions are for registration forms only)."""
    owner_obj = _feedback_owner(owner, owner_id)
    question = _feedback_question(owner_obj, question_id)
    if request.method == "GET":
        form = QuestionForm(formdata=None, obj=question)
        form.choices.data = "\n".join(question.choices or [])
        return _render(owner_obj, question_form=form, editing=question)
    form = QuestionForm()
    form.shown_if.choices = options([("", _("Always"))])
    valid = form.validate()
    with saving(form, default="label", valid=valid) as saved:
        save_question(
            owner_obj,
            question,
            QuestionInput(
                kind=form.kind.data or "",
                label=form.label.data or "",
                label_en=form.label_en.data or "",
                help=form.help.data or "",
                choices=tuple((form.choices.data or "").splitlines()),
                required=bool(form.required.data),
                purpose=QuestionPurpose.FEEDBACK,
            ),
        )
    if saved:
        flash(_("The question was saved."), "success")
        return redirect(_page_url(owner_obj, "questions"), 303)
    return _render(owner_obj, question_form=form, editing=question, status=422)


@_route("/questions/<int:question_id>/delete", methods=["POST"])
def feedback_question_delete(owner: str, owner_id: int, question_id: int):
    owner_obj = _feedback_owner(owner, owner_id)
    question = _feedback_question(owner_obj, question_id)
    if ConfirmForm().validate():
        with saving() as saved:
            delete_question(owner_obj, question)
        if saved:
            flash(_("The question was deleted."), "success")
    return redirect(_page_url(owner_obj, "questions"), 303)


@_route("/invite", methods=["GET", "POST"])
def feedback_invite(owner: str, owner_id: int):
    owner_obj = _feedback_owner(owner, owner_id)
    present_only = _present_only()
    back = _page_url(owner_obj, "invite")
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            sent = feedback.invite(owner_obj, present_only)
        if saved:
            flash(
                ngettext(
                    "%(num)d invitation is on its way.",
                    "%(num)d invitations are on their way.",
                    sent,
                ),
                "success",
            )
        return redirect(back, 303)
    count = len(feedback.uninvited(owner_obj, present_only))
    ready = count and feedback.feedback_questions(owner_obj) and feedback.is_open(owner_obj)
    return confirm_page(
        Confirmation(
            title=_("Invite to give feedback"),
            question=_("Invite to the feedback on “%(title)s”?", title=owner_obj.title),
            touches=ngettext(
                "%(num)d participant not invited before gets the link to the form by e-mail.",
                "%(num)d participants not invited before get the link to the form by e-mail.",
                count,
            ),
            notes=[_("Nobody is invited twice.")]
            + ([] if feedback.is_open(owner_obj) else [_("The feedback form is not open now.")]),
            button=_("Yes, send the invitations") if ready else None,
            danger=False,
            back=back,
            back_label=_("No, back to the feedback"),
            action=url_for(
                ".feedback_invite",
                owner=owner,
                owner_id=owner_id,
                present="1" if present_only else None,
            ),
        )
    )


@_route(".csv")
def feedback_csv(owner: str, owner_id: int):
    owner_obj = _feedback_owner(owner, owner_id)
    stem = "feedback" if isinstance(owner_obj, Event) else "feedback-course"
    return (
        answers_csv(owner_obj),
        200,
        {
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{stem}-{owner_obj.id}.csv"',
            "Cache-Control": "private, no-store",
        },
    )
