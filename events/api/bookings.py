"""JSON API for the bookings of a whole course: thin routes over :mod:`events.courses`
(list, book someone, one booking, cancel it on every date, move up); a refusal the course's
state decides is a 409."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _

from events import course_seats, courses
from events.answers import record_consents, save_answers
from events.api.booking_schemas import (
    BookingCreateSchema,
    BookingPageSchema,
    BookingQuerySchema,
    BookingSchema,
    booking_json,
)
from events.api.errors import handle_errors
from events.api.events import require
from events.api.questions import given_json, read_sent_answers
from events.course_models import CourseBooking
from events.models import ACTIVE, UNCONFIRMED, EventSeries, RegistrationSource
from events.questions import consents_of, questions_of
from kkp.api import ApiBlueprint, get_or_404, keyset_page
from kkp.api_docs import id_parameter
from kkp.api_fields import PAGE_SIZE, NoBodySchema
from kkp.extensions import db
from people.models import ConsentSource

bp = ApiBlueprint("bookings", __name__, tag="events")
handle_errors(bp)

_SERIES_ID = [id_parameter("series_id", "The series' id.")]
_ID = [id_parameter("booking_id", "The booking's id.")]
_OF_SERIES = "/series/<int:series_id>/bookings"
_ONE = "/bookings/<int:booking_id>"


def _course(series_id: int) -> EventSeries:
    series = get_or_404(EventSeries, series_id, _("There is no such series."))
    require(course_seats.is_course(series), _("This series is not booked as a whole course."))
    return series


def _booking(booking_id: int) -> CourseBooking:
    return get_or_404(CourseBooking, booking_id, _("There is no such booking."))


@bp.route(_OF_SERIES, endpoint="bookings", methods=["GET"], parameters=_SERIES_ID)
@bp.doc(
    operationId="listBookings",
    summary="A course's bookings by id, a page at a time (keyset paging).",
)
@bp.query(BookingQuerySchema)
@bp.response(200, BookingPageSchema, description="One page.")
@bp.errors(404, 409, 422)
def get_bookings(read_query, series_id: int):
    series = _course(series_id)
    args = read_query()
    limit = args.get("limit", PAGE_SIZE)
    query = (
        sa.select(CourseBooking)
        .where(CourseBooking.series_id == series.id, CourseBooking.id > args.get("after", 0))
        .order_by(CourseBooking.id)
        .limit(limit + 1)
    )
    if "status" in args:
        query = query.where(CourseBooking.status == args["status"])
    places = course_seats.waiting_places(series)
    given = given_json(booking_ids=db.session.scalars(query.with_only_columns(CourseBooking.id)))
    return keyset_page(query, limit, lambda b: booking_json(b, places.get(b.id), given))


@bp.route(_OF_SERIES, endpoint="add_booking", methods=["POST"], parameters=_SERIES_ID)
@bp.doc(
    operationId="addBooking",
    summary="Book the whole course for someone who agreed elsewhere.",
    description=(
        "A seat when one is free (or with `over_capacity`), else the waiting list (a "
        "course with hybrid dates: of the kind in `participation`, required there); the "
        "person gets the matching mail, and with a seat a calendar invitation per date. "
        "Answers to the course's questions and its consents as with a registration. A "
        "series not booked as a course, or without dates to come: 409; someone booked "
        "already: 422 on `email`."
    ),
)
@bp.body(BookingCreateSchema)
@bp.response(
    201,
    BookingSchema,
    description="Booked: `status` is confirmed or waiting.",
    headers={"Location": {"description": "The booking's URL.", "schema": {"type": "string"}}},
)
@bp.errors(400, 404, 409, 422)
def post_booking(read_body, series_id: int):
    series = _course(series_id)
    values = read_body()
    offers = consents_of(series)
    kept, ticked = read_sent_answers(questions_of(series), offers, values)
    booking, _outcome = courses.add_booking(
        series.id,
        name=values["name"],
        email=values["email"],
        organisation=values.get("organisation", ""),
        over_capacity=values.get("over_capacity", False),
        participation=values.get("participation"),
        source=RegistrationSource.API,
    )
    save_answers(kept, booking=booking)
    record_consents(
        offers, ticked, booking=booking, locale=booking.locale, source=ConsentSource.API
    )
    db.session.commit()
    response = jsonify(booking_json(booking))
    response.status_code = 201
    response.headers["Location"] = url_for("api.bookings.booking", booking_id=booking.id)
    return response


@bp.route(_ONE, endpoint="booking", methods=["GET"], parameters=_ID)
@bp.doc(operationId="getBooking", summary="One booking of a course.")
@bp.response(200, BookingSchema, description="The booking.")
@bp.errors(404)
def get_booking(booking_id: int):
    return jsonify(booking_json(_booking(booking_id)))


@bp.route(_ONE + "/cancel", endpoint="cancel_booking", methods=["POST"], parameters=_ID)
@bp.doc(
    operationId="cancelBooking",
    summary="Remove someone from the course, on every date to come at once.",
    description=(
        "A freed seat goes to the next on the waiting list. The person is told (with a "
        "calendar CANCEL per date). Cancelled or lapsed already: 409."
    ),
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, BookingSchema, description="The booking afterwards.")
@bp.errors(400, 404, 409, 422)
def post_cancel_booking(read_body, booking_id: int):
    booking = _booking(booking_id)
    read_body()
    require(booking.status in ACTIVE + UNCONFIRMED, _("This booking is cancelled already."))
    courses.cancel_booking(booking, by_editor=True)
    db.session.commit()
    return jsonify(booking_json(booking))


@bp.route(_ONE + "/move-up", endpoint="move_up_booking", methods=["POST"], parameters=_ID)
@bp.doc(
    operationId="moveUpBooking",
    summary="Move someone up from the course's waiting list.",
    description=(
        "A free seat if there is one (the person is told, with a calendar invitation per "
        "date), otherwise the first place on the waiting list. Only people waiting; "
        "otherwise 409."
    ),
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, BookingSchema, description="The booking afterwards.")
@bp.errors(400, 404, 409, 422)
def post_move_up_booking(read_body, booking_id: int):
    booking = _booking(booking_id)
    read_body()
    courses.move_up_booking(booking)
    db.session.commit()
    return jsonify(booking_json(booking))
