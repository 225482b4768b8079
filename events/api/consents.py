"""Withdrawing a person's optional consent in the API, for an editor acting on her
request: thin routes over :func:`events.consents.withdraw_consent` for a date's
registration and a course's booking. The record stays with its words; a consent she
never gave is a 404; withdrawing twice changes nothing."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from events.api.errors import handle_errors
from events.api.questions import GivenConsentSchema, given_consent_json
from events.consents import Owner, withdraw_consent
from events.course_models import CourseBooking
from events.models import Registration
from kkp.api import ApiBlueprint, ApiError, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import NoBodySchema
from kkp.db import utcnow
from kkp.extensions import db
from people.models import ConsentSource

bp = ApiBlueprint("consents", __name__, tag="registrations")
handle_errors(bp)

_OFFER = id_parameter("offer_id", "The offered consent's id.")
_DESCRIPTION = (
    "The record keeps the very words she agreed to and gets `withdrawn_at`; from then on "
    "the consent counts as not given (lists, exports). Withdrawn already: the record as it "
    "was. A consent she never gave: 404."
)


def _withdrawn(owner: Owner, offer_id: int):
    record = withdraw_consent(owner, offer_id, utcnow(), source=ConsentSource.API, by_editor=True)
    if record is None:
        raise ApiError(404, _("This person did not give this consent."))
    db.session.commit()
    return jsonify(given_consent_json(record))


@bp.route(
    "/registrations/<int:registration_id>/consents/<int:offer_id>/withdraw",
    endpoint="withdraw_registration_consent",
    methods=["POST"],
    parameters=[id_parameter("registration_id", "The registration's id."), _OFFER],
)
@bp.doc(
    operationId="withdrawRegistrationConsent",
    summary="Withdraw a consent given with a registration, at the person's request.",
    description=_DESCRIPTION,
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, GivenConsentSchema, description="The consent, withdrawn.")
@bp.errors(400, 404, 422)
def post_withdraw_registration_consent(read_body, registration_id: int, offer_id: int):
    registration = get_or_404(Registration, registration_id, _("There is no such registration."))
    read_body()
    return _withdrawn(registration, offer_id)


@bp.route(
    "/bookings/<int:booking_id>/consents/<int:offer_id>/withdraw",
    endpoint="withdraw_booking_consent",
    methods=["POST"],
    parameters=[id_parameter("booking_id", "The booking's id."), _OFFER],
)
@bp.doc(
    operationId="withdrawBookingConsent",
    summary="Withdraw a consent given with a course booking, at the person's request.",
    description=_DESCRIPTION,
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, GivenConsentSchema, description="The consent, withdrawn.")
@bp.errors(400, 404, 422)
def post_withdraw_booking_consent(read_body, booking_id: int, offer_id: int):
    booking = get_or_404(CourseBooking, booking_id, _("There is no such booking."))
    read_body()
    return _withdrawn(booking, offer_id)
