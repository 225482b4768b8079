"""Booking a whole course: the form's post on the series' page, the page after it,
the confirm link, and the booking's own page by its signed link (status, every date,
cancelling the course). A GET never changes anything (link scanners fetch it)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from events import course_seats, courses
from events.answers import read_answers, record_consents, save_answers
from events.certificates import certificate_for
from events.course_dates import booking_dates
from events.course_models import CourseBooking
from events.course_notices import booking_for_token, token_for
from events.dates import when
from events.errors import EventError
from events.forms import AnswerForm, RegistrationForm
from events.models import EventSeries, EventStatus, RegistrationStatus
from events.newsletter_box import start_newsletter_signup
from events.pages.course_box import course_box
from events.pages.events import (
    PURPOSE,
    _consent_version,
    _form_limit,
    _locale,
    bp,
    place_text,
)
from events.pages.materials import entries, materials_of_booking
from events.pages.own_consents import consent_entries
from events.pages.series import render_series
from events.questions import consents_of, questions_of
from kkp.db import utcnow
from kkp.extensions import db, limiter
from kkp.tokens import InvalidToken, TokenPurpose
from people.lists import current_consent_text
from people.models import ConsentSource


def _course(slug: str) -> EventSeries:
    series = db.session.scalar(sa.select(EventSeries).where(EventSeries.slug == slug))
    if series is None or not course_seats.is_course(series):
        abort(404)
    return series


def save_booking_form(series: EventSeries, form: RegistrationForm, consent_version: int | None):
    """The form's booking with the answers to the course's questions, the optional
    consents and the newsletter box, in one transaction. Raises :class:`EventError` with
    every field's message at once."""
    values, answer_errors = read_answers(questions_of(series), request.form, _locale())
    booking, outcome = courses.book(
        series.id,
        name=form.name.data or "",
        email=form.email.data or "",
        organisation=form.organisation.data or "",
        consent=bool(form.consent.data),
        consent_version=consent_version,
        participation=form.participation.data or "",
        locale=_locale(),
    )
    if answer_errors:  # the booking's own checks passed: these are all
        raise EventError(next(iter(answer_errors.values())), None, answer_errors)
    if outcome in (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING):
        # a new booking (or one again after cancelling); "already" keeps its details
        save_answers(values, booking=booking)
        record_consents(
            consents_of(series),
            request.form,
            booking=booking,
            locale=_locale(),
            source=ConsentSource.FORM,
            ip=request.remote_addr,
        )
    start_newsletter_signup(
        request.form,
        email=form.email.data or "",
        name=form.name.data or "",
        organisation=form.organisation.data or "",
        locale=_locale(),
        ip=request.remote_addr,
    )
    return booking, outcome


@bp.route("/events/series/<slug>/book", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def book_course(slug: str):
    series = _course(slug)
    if request.method == "GET":
        return redirect(url_for("events.series_page", slug=series.slug) + "#course-booking")
    consent = current_consent_text(PURPOSE)
    form = RegistrationForm()
    if not course_seats.is_open(series):
        return render_series(series, course=course_box(series, form), status=409)
    choice_error = form.choice_error(course_seats.is_hybrid(series))
    if not form.validate():
        errors = {field: messages[0] for field, messages in form.errors.items()}
        answer_errors = read_answers(questions_of(series), request.form, _locale())[1]
        errors = {**choice_error, **errors, **answer_errors}
        return render_series(series, course=course_box(series, form, errors=errors), status=422)
    try:
        save_booking_form(series, form, _consent_version(form.consent_version.data, consent))
    except course_seats.RegistrationClosed as exc:
        db.session.rollback()
        return render_series(series, course=course_box(series, form, problem=str(exc)), status=409)
    except EventError as exc:
        db.session.rollback()
        errors = {**choice_error, **(dict(exc.errors) or {exc.field or "email": str(exc)})}
        if not form.consent.data:
            errors.setdefault("consent", _("Please agree to the processing of your data."))
        form.consent_version.data = str(consent.version) if consent else ""
        return render_series(series, course=course_box(series, form, errors=errors), status=422)
    # every address gets the same answer, booked before or not: the mail says the rest
    db.session.commit()
    return redirect(url_for("events.course_booked", slug=series.slug), code=303)


@bp.get("/events/series/<slug>/booked")
def course_booked(slug: str):
    series = _course(slug)
    return render_template(
        "events/course_booked.html",
        series=series,
        hold_minutes=current_app.config["KKP_REGISTRATION_HOLD_MINUTES"],
    )


# -- the booking's own page ------------------------------------------------------------


def _cancellable(booking: CourseBooking, published: list, now) -> bool:
    """She may cancel while she holds a seat or waits for one and a date is still to
    come; a course that is over stays as it was (attendance, certificates)."""
    return booking.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING) and any(
        event.ends_at > now for event in published
    )


def _render_booking(booking: CourseBooking, token: str, **context):
    locale = _locale()
    now = utcnow()
    dates = [
        {"event": e, "when": when(e, locale), "place": place_text(e), "registration": r}
        for e, r in booking_dates(booking)
    ]
    upcoming = [d for d in dates if d["event"].status == EventStatus.PUBLISHED]
    return render_template(
        "events/booking.html",
        booking=booking,
        series=booking.series,
        dates=dates,
        token=token,
        form=AnswerForm(),
        place_in_line=course_seats.waiting_place(booking),
        certificate=certificate_for(booking.id),
        materials=entries(materials_of_booking(booking), "events.booking_material", token),
        consents=consent_entries(booking, "events.withdraw_booking_consent", token),
        can_cancel=_cancellable(booking, [d["event"] for d in upcoming], now),
        **context,
    )


@bp.route("/events/booking/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def own_booking(token: str):
    try:
        booking = booking_for_token(token)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    if request.method == "GET":
        return _render_booking(booking, token, asking=request.args.get("cancel") == "ask")
    form = AnswerForm()
    if request.form.get("action") != "cancel" or not form.validate():
        abort(400)
    published = [e for e, _r in booking_dates(booking) if e.status == EventStatus.PUBLISHED]
    if not _cancellable(booking, published, utcnow()):
        problem = _("This booking can no longer be cancelled: the course is over.")
        return _render_booking(booking, token, problem=problem), 409
    try:
        courses.cancel_booking(booking)
    except EventError as exc:
        db.session.rollback()
        return _render_booking(booking, token, problem=str(exc)), 409
    db.session.commit()
    flash(_("Your booking of the course has been cancelled, for every date."), "success")
    return redirect(url_for("events.own_booking", token=token), code=303)


@bp.route("/events/booking/confirm/<token>", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def confirm_booking(token: str):
    """The link in the mail after booking: a page with a button (a GET changes
    nothing); the button (POST) confirms."""
    try:
        booking = booking_for_token(token, TokenPurpose.BOOKING_CONFIRM)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    manage = token_for(booking)
    if request.method == "GET":
        return _render_booking(booking, manage, confirming=token)
    if not AnswerForm().validate():
        abort(400)
    was = booking.status
    try:
        status = courses.confirm_booking(booking)
    except EventError as exc:
        db.session.rollback()
        db.session.refresh(booking)
        return _render_booking(booking, manage, confirming=token, problem=str(exc)), 409
    db.session.commit()
    if was not in (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING):
        flash(_("Your booking is confirmed already."), "info")
    elif status == RegistrationStatus.CONFIRMED:
        flash(
            _(
                "Thank you: your booking of the course is confirmed. The confirmation and a "
                "calendar invitation for each date are on their way by e-mail."
            ),
            "success",
        )
    else:
        flash(
            _(
                "Thank you: your address is confirmed. The course is fully booked: you are "
                "number %(n)d on the waiting list.",
                n=course_seats.waiting_place(booking) or 1,
            ),
            "success",
        )
    return redirect(url_for("events.own_booking", token=manage), code=303)
