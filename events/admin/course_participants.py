"""The editors' page of a whole course's participants: the bookings by status, the
waiting list in order, counts; add someone, remove someone (every date at once),
move someone up. Thin views over :mod:`events.courses`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from events import course_seats, courses
from events.admin.events import bp
from events.admin.forms import ParticipantForm
from events.admin.participants import _source_words
from events.course_models import CourseBooking
from events.errors import EventStateError
from events.models import PARTICIPATIONS, EventSeries, RegistrationStatus
from kkp.extensions import db
from kkp.forms import ConfirmForm, show_errors
from kkp.views import Confirmation, confirm_page, saving

#: the page's sections, in order, and the statuses each shows
SECTIONS = {
    "confirmed": (RegistrationStatus.CONFIRMED,),
    "pending": (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING),
    "waiting": (RegistrationStatus.WAITING,),
    "cancelled": (RegistrationStatus.CANCELLED, RegistrationStatus.EXPIRED),
}


def _course_or_404(series_id: int) -> EventSeries:
    series = db.get_or_404(EventSeries, series_id)
    if not course_seats.is_course(series):
        abort(404)
    return series


def _booking_or_404(series: EventSeries, booking_id: int) -> CourseBooking:
    booking = db.session.get(CourseBooking, booking_id)
    if booking is None or booking.series_id != series.id:
        abort(404)
    return booking


def _sections(series: EventSeries) -> dict[str, list[CourseBooking]]:
    bookings = db.session.scalars(
        sa.select(CourseBooking)
        .where(CourseBooking.series_id == series.id)
        .order_by(CourseBooking.waiting_since, CourseBooking.id)
    ).all()
    return {
        name: [b for b in bookings if b.status in statuses] for name, statuses in SECTIONS.items()
    }


def _page(series: EventSeries, *, add_form=None, problem=None, status=200):
    sections = _sections(series)
    return render_template(
        "admin/events/course_participants.html",
        series=series,
        sections=sections,
        seats_left=course_seats.seats_left(series),
        hybrid=course_seats.is_hybrid(series),
        seats_by_kind={kind: course_seats.seats_left(series, kind) for kind in PARTICIPATIONS},
        places=course_seats.waiting_places(series),
        dates=course_seats.course_dates(series),
        source_words=_source_words(),
        add_form=add_form or ParticipantForm(formdata=None),
        problem=problem,
    ), status


def _here(series: EventSeries, anchor: str | None = None):
    return redirect(url_for(".course_participants", series_id=series.id, _anchor=anchor), 303)


@bp.get("/series/<int:series_id>/participants")
def course_participants(series_id: int):
    return _page(_course_or_404(series_id))


@bp.post("/series/<int:series_id>/participants/add")
def course_participant_add(series_id: int):
    series = _course_or_404(series_id)
    form = ParticipantForm()
    if form.validate():
        with saving(quiet=True) as saved:
            booking, outcome = courses.add_booking(
                series.id,
                name=form.name.data or "",
                email=form.email.data or "",
                organisation=form.organisation.data or "",
                over_capacity=bool(form.over_capacity.data),
                participation=form.participation.data or None,
            )
            place = course_seats.waiting_place(booking)
        if saved:
            if outcome == RegistrationStatus.WAITING:
                message = _(
                    "%(name)s is on the waiting list, place %(place)d.",
                    name=booking.name,
                    place=place or 0,
                )
            else:
                message = _("%(name)s has booked the course.", name=booking.name)
            flash(message, "success")
            return _here(series, outcome)
        db.session.refresh(series)
        if isinstance(saved.error, EventStateError):
            return _page(series, problem=str(saved.error), status=409)
        show_errors(form, saved.error, "email")
    return _page(series, add_form=form, status=422)


@bp.route("/series/<int:series_id>/bookings/<int:booking_id>/remove", methods=["GET", "POST"])
def course_participant_remove(series_id: int, booking_id: int):
    series = _course_or_404(series_id)
    booking = _booking_or_404(series, booking_id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            courses.cancel_booking(booking, by_editor=True)
        if saved:
            flash(_("%(name)s was removed from the course.", name=booking.name), "success")
        return _here(series)
    if booking.status == RegistrationStatus.CONFIRMED:
        touches = _(
            "The person gets a mail for each date to come that takes it out of their "
            "calendar; the freed seat goes to the first person on the waiting list."
        )
    elif booking.status == RegistrationStatus.WAITING:
        touches = _("The person leaves the waiting list and is told by mail.")
    else:
        touches = None
    return confirm_page(
        Confirmation(
            title=_("Remove participant"),
            question=_(
                "Remove %(name)s from the course “%(title)s”, on every date?",
                name=booking.name or booking.email,
                title=series.title,
            ),
            lead=[booking.email + (", " + booking.organisation if booking.organisation else "")],
            touches=touches,
            button=_("Yes, remove"),
            back=url_for(".course_participants", series_id=series.id),
            back_label=_("No, back to the participants"),
        )
    )


@bp.post("/series/<int:series_id>/bookings/<int:booking_id>/move-up")
def course_participant_move_up(series_id: int, booking_id: int):
    series = _course_or_404(series_id)
    booking = _booking_or_404(series, booking_id)
    if not ConfirmForm().validate_on_submit():
        return _here(series)
    with saving(quiet=True) as saved:
        status = courses.move_up_booking(booking)
    if not saved:
        db.session.refresh(series)
        return _page(series, problem=str(saved.error), status=409)
    if status == RegistrationStatus.CONFIRMED:
        flash(_("%(name)s has a seat now and is told by mail.", name=booking.name), "success")
    else:
        flash(_("%(name)s is first on the waiting list now.", name=booking.name), "success")
    return _here(series, "waiting")
