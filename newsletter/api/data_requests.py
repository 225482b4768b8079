"""JSON API for data subject requests (GDPR Art. 15, 17, 20): thin routes over
:mod:`newsletter.data_requests`, as the editors' page /admin/data-requests does.
The address travels in the body only (POST), never in a URL or a log; the audit log
gets ids, as from the page."""

from __future__ import annotations

from flask import Response, g, jsonify, render_template
from flask_babel import gettext as _

from kkp.addresses import AddressError, normalise_address
from kkp.api import ApiBlueprint, ApiError, invalid
from kkp.api_fields import ApiSchema, Flag, Text
from kkp.extensions import db
from newsletter import data_requests
from newsletter.admin.words import personal_data_words
from newsletter.api.data_request_answers import (
    PersonalDataErasureSchema,
    PersonDataSchema,
    erasure_json,
)

bp = ApiBlueprint("data_requests", __name__)

_EMAIL = {"format": "email", "description": "The address the request is about."}


class DataRequestSchema(ApiSchema):
    EXAMPLES = [{"email": "anna.beispiel@example.org"}]

    email = Text(254, required=True, metadata=_EMAIL)


class ErasureRequestSchema(ApiSchema):
    EXAMPLES = [{"email": "anna.beispiel@example.org", "confirm": True}]

    email = Text(254, required=True, metadata=_EMAIL)
    confirm = Flag(
        required=True,
        metadata={"description": "Must be true: the erasure cannot be undone."},
    )


def _address(values: dict) -> str:
    """The address as stored (:mod:`kkp.addresses`), or a 422 naming `email`. Whether
    mail could reach it does not matter here: only whether it is an address."""
    try:
        return normalise_address(values["email"], smtputf8=True)
    except AddressError as exc:
        raise invalid("email", str(exc)) from exc


@bp.route("/data-requests/find", endpoint="find", methods=["POST"])
@bp.doc(
    operationId="findPersonalData",
    summary="Everything stored about one address (Art. 15 access, Art. 20 portability).",
    description=(
        "The same data as the editors' export: subscriber, lists and consent history, "
        "registrations and course bookings with their answers and consents, certificates "
        "and the mails sent. An address nothing is stored about gets the same shape, "
        "empty. Audited as a look-up and an export, with ids only."
    ),
)
@bp.body(DataRequestSchema)
@bp.response(200, PersonDataSchema, description="Everything about the address.")
@bp.errors(400, 422)
def post_find(read_body):
    email = _address(read_body())
    found = data_requests.looked_up(data_requests.find(email))
    data = data_requests.exported(found)
    db.session.commit()
    return jsonify(data)


@bp.route("/data-requests/readable", endpoint="readable", methods=["POST"])
@bp.doc(
    operationId="printPersonalData",
    summary="The same as findPersonalData, as a page to read and print (Art. 15).",
    description="An HTML page in the office's layout, for handing to the person; "
    "audited as the JSON is.",
    responses={
        "200": {
            "description": "The page.",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    },
)
@bp.body(DataRequestSchema)
@bp.errors(400, 422)
def post_readable(read_body):
    email = _address(read_body())
    data = data_requests.exported(data_requests.looked_up(data_requests.find(email)))
    db.session.commit()
    page = render_template("admin/data_request_print.html", data=data, **personal_data_words())
    return Response(page, mimetype="text/html", headers={"Cache-Control": "no-store"})


@bp.route("/data-requests/erase", endpoint="erase", methods=["POST"])
@bp.doc(
    operationId="erasePersonalData",
    summary="Erase everything about one address (Art. 17). Administrators only.",
    description=(
        "The subscriber is deleted (the address's fingerprint stays on the suppression "
        "list, so no import brings it back); registrations and course bookings for "
        "events still ahead are cancelled (their seats go to the waiting list), then all "
        "lose name, address, answers and consents; certificates lose the name; mails "
        "lose the address. Counts and attendance stay. Only for a token of an "
        "administrator (else 403). Audited with ids only."
    ),
)
@bp.body(ErasureRequestSchema)
@bp.response(200, PersonalDataErasureSchema, description="What was erased.")
@bp.errors(400, 403, 422)
def post_erase(read_body):
    if not g.kkp_editor.is_admin:
        raise ApiError(403, _("Only an administrator of the office can erase the data."))
    values = read_body()
    email = _address(values)
    if not values["confirm"]:
        raise invalid("confirm", _("Set to true: the erasure cannot be undone."))
    erasure = data_requests.erase(email)
    db.session.commit()
    return jsonify(erasure_json(erasure))
