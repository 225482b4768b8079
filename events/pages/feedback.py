"""The anonymous feedback form after an event or a course (/events/feedback/<token>):
open from the start of the event (a course's last date) for KKP_FEEDBACK_DAYS days
after its end, once per person; it shows neither name nor address. The rules are
:mod:`events.feedback`'s."""

from __future__ import annotations

from flask import render_template, request

from events import feedback
from events.errors import EventError
from events.pages.events import _form_limit, _locale, bp
from events.registration_extras import registration_extras
from kkp.extensions import db, limiter
from kkp.forms import ConfirmForm
from kkp.tokens import InvalidToken


def _render(respondent: feedback.Respondent, *, state: str, errors=None, status=200):
    questions = feedback.feedback_questions(respondent.owner)
    extras = registration_extras(
        questions,
        [],
        formdata=request.form if request.method == "POST" else None,
        errors=errors or {},
        locale=_locale(),
        newsletter=False,
    )
    return render_template(
        "events/feedback.html",
        title=respondent.owner.title,
        extras=extras,
        state=state,
        errors=errors or {},
        form=ConfirmForm(),
        window=feedback.window(respondent.owner),
    ), status


@bp.route("/events/feedback/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def feedback_form(token: str):
    try:
        respondent = feedback.respondent_for_token(token)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    if feedback.has_answered(respondent):
        return _render(respondent, state="thanks")
    if not feedback.is_open(respondent.owner):
        return _render(respondent, state="closed", status=409 if request.method == "POST" else 200)
    if request.method == "GET" or not feedback.feedback_questions(respondent.owner):
        return _render(respondent, state="open")
    if not ConfirmForm().validate():
        return _render(respondent, state="open", errors={"form": "csrf"}, status=400)
    try:
        feedback.submit(respondent, request.form, _locale())
    except EventError as exc:
        db.session.rollback()
        errors = dict(exc.errors) or {exc.field or "form": str(exc)}
        return _render(respondent, state="open", errors=errors, status=422)
    db.session.commit()
    return _render(respondent, state="thanks")
