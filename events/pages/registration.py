"""A participant's own registration, by the signed link in every mail: status,
cancel, and for invitations accept or decline. A GET never changes anything (link
scanners fetch it); the buttons POST."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from events import invitations, moving, registrations
from events.certificates import certificate_for_registration
from events.course_notices import token_for as booking_token_for
from events.dates import when
from events.errors import EventError
from events.forms import AnswerForm, OwnRegistrationForm
from events.models import EventFormat, EventStatus, Registration, RegistrationStatus
from events.moving import RegisteredElsewhere
from events.pages.events import _form_limit, _locale, bp, place_text
from events.pages.materials import entries, registration_materials
from events.pages.own_consents import consent_entries
from kkp.db import utcnow
from kkp.extensions import db, limiter
from kkp.tokens import InvalidToken, TokenPurpose

# -- a participant's own registration -----------------------------------------------------


def _render_registration(registration: Registration, form: OwnRegistrationForm, **context):
    event = registration.event
    now = utcnow()
    context.setdefault("errors", {})
    return render_template(
        "events/registration.html",
        registration=registration,
        event=event,
        when=when(event, _locale()),
        place=place_text(event),
        place_in_line=registrations.waiting_place(registration),
        started=event.starts_at <= now,
        closed=now >= event.registration_closes_at(),
        other_dates=_other_dates(registration),
        form=form,
        certificate=certificate_for_registration(registration.id),
        materials=entries(
            registration_materials(registration),
            "events.registration_material",
            registrations.token_for(registration),
        ),
        consents=consent_entries(
            registration,
            "events.withdraw_registration_consent",
            registrations.token_for(registration),
        ),
        hybrid=event.format == EventFormat.HYBRID,
        seats_by_kind=registrations.public_seats_by_kind(event),
        **context,
    )


def _other_dates(registration: Registration) -> list[dict]:
    """One of several dates: the dates she may move to, with their seats left."""
    locale = _locale()
    return [
        {
            "event": event,
            "when": when(event, locale),
            "left": registrations.public_seats_left(event, registration.participation or None),
        }
        for event in moving.dates_to_move_to(registration)
    ]


def _answer(action: str, registration: Registration) -> str:
    """Carry out the person's choice; the message that confirms it."""
    if action == "move":
        to = request.form.get("to", "")
        moving.move(registration, int(to) if to.isdigit() and len(to) < 10 else 0)
        return _(
            "You are registered for %(when)s now. The confirmation with the calendar "
            "invitation is on its way by e-mail.",
            when=when(registration.event, _locale()),
        )
    if action == "cancel":
        registrations.cancel(registration)
        return _("Your registration has been cancelled.")
    status = invitations.respond(
        registration,
        accept=action == "accept",
        participation=request.form.get("participation") or None,
    )
    if status == RegistrationStatus.CONFIRMED:
        return _(
            "Thank you for accepting. The confirmation with the calendar invitation is on its "
            "way by e-mail."
        )
    if status == RegistrationStatus.WAITING:
        return _(
            "Thank you for accepting. The event is fully booked: you are number %(n)d on the "
            "waiting list.",
            n=registrations.waiting_place(registration) or 1,
        )
    return _("Sorry you cannot make it. Thank you for letting us know.")


@bp.route("/registrations/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def own_registration(token: str):
    try:
        registration = registrations.registration_for_token(token)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    if registration.booking is not None:  # a date of a course: the booking's page
        return redirect(
            url_for("events.own_booking", token=booking_token_for(registration.booking))
        )
    form = OwnRegistrationForm()
    if request.method == "GET":  # link scanners fetch this: a GET changes nothing
        answer = request.args.get("answer")
        return _render_registration(
            registration, form, answer=answer if answer in ("accept", "decline") else None
        )
    action = request.form.get("action")
    if action not in ("cancel", "accept", "decline", "move") or not form.validate():
        abort(400)
    event = registration.event
    if event.status == EventStatus.CANCELLED or event.starts_at <= utcnow():
        return _render_registration(registration, form), 409
    try:
        message = _answer(action, registration)
    except RegisteredElsewhere as exc:  # one of several dates: the way to hers
        db.session.rollback()
        other = url_for("events.own_registration", token=registrations.token_for(exc.other))
        return _render_registration(
            registration, form, problem=str(exc), elsewhere_url=other, answer=action
        ), 409
    except EventError as exc:
        db.session.rollback()
        if exc.field == "participation":  # the choice missing: at its field, input kept
            return _render_registration(
                registration, form, errors=dict(exc.errors), answer=action
            ), 422
        return _render_registration(registration, form, problem=str(exc)), 409
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("events.own_registration", token=token), code=303)


# -- confirming the address -----------------------------------------------------------------


def _render_confirm(registration: Registration, form: AnswerForm, problem: str | None = None):
    event = registration.event
    return render_template(
        "events/confirm.html",
        registration=registration,
        event=event,
        when=when(event, _locale()),
        place=place_text(event),
        form=form,
        problem=problem,
        manage_url=url_for("events.own_registration", token=registrations.token_for(registration)),
    )


@bp.route("/registrations/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def confirm_registration(token: str):
    """The link in the mail after registering: a page with a button (GET, which link
    scanners fetch, changes nothing); the button (POST) confirms."""
    try:
        registration = registrations.registration_for_token(
            token, TokenPurpose.REGISTRATION_CONFIRM
        )
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    form = AnswerForm()
    if request.method == "GET":
        return _render_confirm(registration, form)
    if not form.validate():
        abort(400)
    was = registration.status
    try:
        status = registrations.confirm(registration)
    except EventError as exc:
        db.session.rollback()
        db.session.refresh(registration)
        return _render_confirm(registration, form, problem=str(exc)), 409
    db.session.commit()
    if was not in (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING):
        flash(_("Your registration is confirmed already."), "info")
    elif status == RegistrationStatus.CONFIRMED:
        flash(
            _(
                "Thank you: your registration is confirmed. The confirmation with the "
                "calendar invitation is on its way by e-mail."
            ),
            "success",
        )
    else:
        flash(
            _(
                "Thank you: your address is confirmed. The event is fully booked: you are "
                "number %(n)d on the waiting list.",
                n=registrations.waiting_place(registration) or 1,
            ),
            "success",
        )
    token = registrations.token_for(registration)
    return redirect(url_for("events.own_registration", token=token), code=303)
