"""JSON API for registrations: thin routes over :mod:`events.registrations`; a
:class:`~events.registrations.RegistrationClosed` is a 409."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _

from events import moving
from events import registrations as regs
from events.answers import record_consents, save_answers
from events.api.answer_schemas import RegistrationPageSchema, RegistrationSchema
from events.api.answers import registration_json
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event, require
from events.api.questions import given_json, read_sent_answers
from events.api.schemas import (
    RegistrationCreateSchema,
    RegistrationMoveSchema,
    RegistrationQuerySchema,
)
from events.models import Registration, RegistrationStatus
from events.questions import consents_of, questions_of
from events.search import waiting_places
from kkp.api import ApiBlueprint, get_or_404, keyset_page
from kkp.api_docs import id_parameter
from kkp.api_fields import PAGE_SIZE, NoBodySchema
from kkp.extensions import db
from people.models import ConsentSource

bp = ApiBlueprint("registrations", __name__)
handle_errors(bp)

_ID = [id_parameter("registration_id", "The registration's id.")]
_OF_EVENT = "/events/<int:event_id>/registrations"
_ONE = "/registrations/<int:registration_id>"


def _registration(registration_id: int) -> Registration:
    return get_or_404(Registration, registration_id, _("There is no such registration."))


@bp.route(_OF_EVENT, endpoint="registrations", methods=["GET"], parameters=EVENT_ID)
@bp.doc(
    operationId="listRegistrations",
    summary="The event's registrations by id, a page at a time (keyset paging).",
)
@bp.query(RegistrationQuerySchema)
@bp.response(200, RegistrationPageSchema, description="One page.")
@bp.errors(404, 422)
def get_registrations(read_query, event_id: int):
    event = find_event(event_id)
    args = read_query()
    limit = args.get("limit", PAGE_SIZE)
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.id > args.get("after", 0))
        .order_by(Registration.id)
        .limit(limit + 1)
    )
    if "status" in args:
        query = query.where(Registration.status == args["status"])
    places = waiting_places(event.id)
    given = given_json(db.session.scalars(query.with_only_columns(Registration.id)))
    return keyset_page(query, limit, lambda r: registration_json(r, places.get(r.id), given))


@bp.route(_OF_EVENT, endpoint="add_registration", methods=["POST"], parameters=EVENT_ID)
@bp.doc(
    operationId="addRegistration",
    summary="Register someone who agreed elsewhere (the office states consent).",
    description=(
        "A seat when one is free (or with `over_capacity`), else the waiting list; the "
        "person gets the matching mail. A cancelled event: 409; someone registered "
        "already: 422 on `email`."
    ),
)
@bp.body(RegistrationCreateSchema)
@bp.response(
    201,
    RegistrationSchema,
    description="Registered: `status` is confirmed or waiting.",
    headers={"Location": {"description": "The registration's URL.", "schema": {"type": "string"}}},
)
@bp.errors(400, 404, 409, 422)
def post_registration(read_body, event_id: int):
    event = find_event(event_id)
    values = read_body()
    offers = consents_of(event)
    kept, ticked = read_sent_answers(questions_of(event), offers, values)
    registration, _outcome = regs.add_participant(
        event.id,
        name=values["name"],
        email=values["email"],
        organisation=values.get("organisation", ""),
        over_capacity=values.get("over_capacity", False),
        participation=values.get("participation", ""),
    )
    save_answers(kept, registration=registration)
    record_consents(
        offers,
        ticked,
        registration=registration,
        locale=registration.locale,
        source=ConsentSource.API,
    )
    db.session.commit()
    response = jsonify(registration_json(registration))
    response.status_code = 201
    response.headers["Location"] = url_for(
        "api.registrations.registration", registration_id=registration.id
    )
    return response


@bp.route(_ONE, endpoint="registration", methods=["GET"], parameters=_ID)
@bp.doc(operationId="getRegistration", summary="One registration.")
@bp.response(200, RegistrationSchema, description="The registration.")
@bp.errors(404)
def get_registration(registration_id: int):
    return jsonify(registration_json(_registration(registration_id)))


@bp.route(_ONE + "/cancel", endpoint="cancel_registration", methods=["POST"], parameters=_ID)
@bp.doc(
    operationId="cancelRegistration",
    summary="Remove someone; a freed seat goes to the next on the waiting list.",
    description="The person is told. Cancelled or declined already: 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, RegistrationSchema, description="The registration afterwards.")
@bp.errors(400, 404, 409, 422)
def post_cancel_registration(read_body, registration_id: int):
    registration = _registration(registration_id)
    read_body()
    require(
        registration.status
        in (
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.WAITING,
            RegistrationStatus.INVITED,
            RegistrationStatus.PENDING,
            RegistrationStatus.PENDING_WAITING,
        ),
        _("This registration is cancelled or declined already."),
    )
    regs.cancel(registration, by_editor=True)
    db.session.commit()
    return jsonify(registration_json(registration))


@bp.route(_ONE + "/move-up", endpoint="move_up_registration", methods=["POST"], parameters=_ID)
@bp.doc(
    operationId="moveUpRegistration",
    summary="Move someone up from the waiting list.",
    description=(
        "A free seat if there is one (the person is told), otherwise the first place on "
        "the waiting list. Only people waiting; otherwise 409."
    ),
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, RegistrationSchema, description="The registration afterwards.")
@bp.errors(400, 404, 409, 422)
def post_move_up(read_body, registration_id: int):
    registration = _registration(registration_id)
    read_body()
    regs.move_up(registration)
    db.session.commit()
    return jsonify(registration_json(registration))


@bp.route(_ONE + "/move", endpoint="move_registration", methods=["POST"], parameters=_ID)
@bp.doc(
    operationId="moveRegistration",
    summary="Move someone to another date of a series of one of several dates.",
    description=(
        "The same registration moves, confirmed on the new date; the person gets a CANCEL "
        "for the old date and a REQUEST for the new, and the old date's seat goes to its "
        "waiting list. A date of another series: 422 on `event_id`; a full, started or "
        "unpublished date, or a registration without a seat or waiting place: 409."
    ),
)
@bp.body(RegistrationMoveSchema)
@bp.response(200, RegistrationSchema, description="The registration afterwards.")
@bp.errors(400, 404, 409, 422)
def post_move_registration(read_body, registration_id: int):
    registration = _registration(registration_id)
    values = read_body()
    moving.move(registration, values["event_id"], by_editor=True)
    db.session.commit()
    return jsonify(registration_json(registration))
