"""The editors' page of an event's or a course's (series') own registration questions
and optional consents: add, change, delete, move up and down, the typical questions in
one click (/admin/events/<id>/questions, /admin/events/series/<id>/questions). The
rules are :mod:`events.questions`'."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from wtforms.fields.choices import SelectChoice

from events import questions as ops
from events.admin.events import bp
from events.admin.forms import ConsentOfferForm, QuestionForm
from events.models import Event, EventSeries
from events.question_models import Answer, ConsentOffer, Question
from events.questions import YES
from kkp.extensions import db
from kkp.forms import ConfirmForm, options
from kkp.views import Confirmation, confirm_page, saving

EVENT = {"owner": "event"}
SERIES = {"owner": "series"}


def _owner(owner: str, owner_id: int) -> Event | EventSeries:
    return db.get_or_404(Event if owner == "event" else EventSeries, owner_id)


def _page_url(owner_obj, anchor: str = "") -> str:
    owner = "event" if isinstance(owner_obj, Event) else "series"
    return url_for(".questions", owner=owner, owner_id=owner_obj.id, _anchor=anchor or None)


def _own(model, item_id: int, owner_obj):
    item = db.get_or_404(model, item_id)
    mine = item.event_id if isinstance(owner_obj, Event) else item.series_id
    if mine != owner_obj.id:
        abort(404)
    return item


def _condition_choices(owner_obj, question: Question | None) -> list[SelectChoice]:
    """ "Always", or after one of the earlier one-choice or yes/no questions' answers."""
    earlier = ops.questions_of(owner_obj)
    if question is not None and question in earlier:
        earlier = earlier[: earlier.index(question)]
    choices = [("", _("Always"))]
    for source in earlier:
        for value in ops.condition_values(source):
            words = {YES: _("Yes"), ops.NO: _("No")}.get(value, value)
            choices.append(
                (
                    f"{source.id}:{value}",
                    _("Only if “%(question)s” is “%(value)s”", question=source.label, value=words),
                )
            )
    return options(choices)


def _question_form(owner_obj, question: Question | None) -> QuestionForm:
    if request.method == "POST":
        form = QuestionForm()
    else:
        form = QuestionForm(formdata=None, obj=question)
        if question is not None:
            form.choices.data = "\n".join(question.choices or [])
            if question.shown_if_question_id:
                form.shown_if.data = f"{question.shown_if_question_id}:{question.shown_if_value}"
    form.shown_if.choices = _condition_choices(owner_obj, question)
    return form


def _question_input(form: QuestionForm) -> ops.QuestionInput:
    source_id, _sep, value = (form.shown_if.data or "").partition(":")
    return ops.QuestionInput(
        kind=form.kind.data or "",
        label=form.label.data or "",
        label_en=form.label_en.data or "",
        help=form.help.data or "",
        choices=tuple((form.choices.data or "").splitlines()),
        required=bool(form.required.data),
        shown_if_question_id=int(source_id) if source_id.isdigit() else None,
        shown_if_value=value,
    )


def _render(owner_obj, *, question_form=None, consent_form=None, editing=None, status=200):
    return render_template(
        "admin/events/questions.html",
        owner=owner_obj,
        event=owner_obj if isinstance(owner_obj, Event) else None,
        series=owner_obj if isinstance(owner_obj, EventSeries) else None,
        questions=ops.questions_of(owner_obj),
        consents=ops.consents_of(owner_obj),
        question_form=question_form or _question_form(owner_obj, None),
        consent_form=consent_form or ConsentOfferForm(formdata=None),
        editing=editing,
        typical=ops.TYPICAL,
        button=ConfirmForm(),
    ), status


def _route(rule: str, **options):
    """The same view for an event's and a series' page."""

    def register(view):
        bp.route("/<int:owner_id>" + rule, defaults=EVENT, **options)(view)
        bp.route("/series/<int:owner_id>" + rule, defaults=SERIES, **options)(view)
        return view

    return register


@_route("/questions")
def questions(owner: str, owner_id: int):
    return _render(_owner(owner, owner_id))


@_route("/questions/new", methods=["POST"])
@_route("/questions/<int:question_id>", methods=["GET", "POST"])
def question_edit(owner: str, owner_id: int, question_id: int | None = None):
    owner_obj = _owner(owner, owner_id)
    question = _own(Question, question_id, owner_obj) if question_id else None
    form = _question_form(owner_obj, question)
    if request.method == "POST":
        valid = form.validate()
        with saving(form, default="shown_if", valid=valid) as saved:
            ops.save_question(owner_obj, question, _question_input(form))
        if saved:
            flash(_("The question was saved."), "success")
            return redirect(_page_url(owner_obj, "questions"), 303)
        return _render(owner_obj, question_form=form, editing=question, status=422)
    return _render(owner_obj, question_form=form, editing=question)


@_route("/questions/typical", methods=["POST"])
def question_typical(owner: str, owner_id: int):
    owner_obj = _owner(owner, owner_id)
    if ConfirmForm().validate():
        with saving() as saved:
            ops.add_typical(owner_obj, request.form.get("name", ""))
        if saved:
            flash(_("The question was added."), "success")
    return redirect(_page_url(owner_obj, "questions"), 303)


@_route("/questions/<int:question_id>/delete", methods=["GET", "POST"])
def question_delete(owner: str, owner_id: int, question_id: int):
    owner_obj = _owner(owner, owner_id)
    question = _own(Question, question_id, owner_obj)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            ops.delete_question(owner_obj, question)
        if saved:
            flash(_("The question was deleted."), "success")
        return redirect(_page_url(owner_obj, "questions"), 303)
    answered = db.session.scalar(
        sa.select(sa.func.count()).select_from(Answer).where(Answer.question_id == question.id)
    )
    return confirm_page(
        Confirmation(
            title=_("Delete question"),
            question=_("Delete the question “%(label)s”?", label=question.label),
            back=_page_url(owner_obj, f"question-{question.id}"),
            back_label=_("No, back to the questions"),
            button=_("Yes, delete the question"),
            touches=ngettext(
                "%(num)d person answered it: the answer is deleted too.",
                "%(num)d people answered it: their answers are deleted too.",
                answered,
            )
            if answered
            else None,
        )
    )


@_route("/questions/<int:question_id>/move", methods=["POST"])
def question_move(owner: str, owner_id: int, question_id: int):
    owner_obj = _owner(owner, owner_id)
    question = _own(Question, question_id, owner_obj)
    if ConfirmForm().validate():
        with saving():
            ops.move_question(owner_obj, question, -1 if request.form.get("to") == "up" else 1)
    return redirect(_page_url(owner_obj, f"question-{question.id}"), 303)


@_route("/consents/new", methods=["POST"])
@_route("/consents/<int:offer_id>", methods=["GET", "POST"])
def consent_edit(owner: str, owner_id: int, offer_id: int | None = None):
    owner_obj = _owner(owner, owner_id)
    offer = _own(ConsentOffer, offer_id, owner_obj) if offer_id else None
    if request.method == "GET":
        form = ConsentOfferForm(formdata=None, obj=offer)
        return _render(owner_obj, consent_form=form, editing=offer)
    form = ConsentOfferForm()
    valid = form.validate()
    with saving(form, default="text", valid=valid) as saved:
        ops.save_consent(owner_obj, offer, form.text.data or "", form.text_en.data or "")
    if saved:
        flash(_("The consent was saved."), "success")
        return redirect(_page_url(owner_obj, "consents"), 303)
    return _render(owner_obj, consent_form=form, editing=offer, status=422)


@_route("/consents/<int:offer_id>/delete", methods=["POST"])
def consent_delete(owner: str, owner_id: int, offer_id: int):
    owner_obj = _owner(owner, owner_id)
    offer = _own(ConsentOffer, offer_id, owner_obj)
    if ConfirmForm().validate():
        with saving() as saved:
            ops.delete_consent(owner_obj, offer)
        if saved:
            flash(_("The consent was deleted."), "success")
    return redirect(_page_url(owner_obj, "consents"), 303)


@_route("/consents/<int:offer_id>/move", methods=["POST"])
def consent_move(owner: str, owner_id: int, offer_id: int):
    owner_obj = _owner(owner, owner_id)
    offer = _own(ConsentOffer, offer_id, owner_obj)
    if ConfirmForm().validate():
        with saving():
            ops.move_consent(owner_obj, offer, -1 if request.form.get("to") == "up" else 1)
    return redirect(_page_url(owner_obj, f"consent-{offer.id}"), 303)
