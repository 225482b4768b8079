"""JSON API for certificates of attendance: a course's or a single date's certificates,
issuing one for a booking or a registration (optionally mailing it), issuing and mailing
them to everyone eligible, one certificate's PDF and mailing it. Thin routes over
:mod:`events.certificates`; a holder who has not earned one is a 422 with the reason."""

from __future__ import annotations

import marshmallow as ma
import sqlalchemy as sa
from flask import Response, jsonify
from flask_babel import gettext as _

from events import certificate_holders, certificates
from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.certificate_mail import document, filename, holder_locale, verify_url
from events.course_models import Certificate, CourseBooking
from events.models import EventSeries, Registration
from kkp.api import ApiBlueprint, ApiError, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Flag, NoBodySchema, answer
from kkp.extensions import db

bp = ApiBlueprint("certificates", __name__, tag="events")
handle_errors(bp)

_SERIES_ID = [id_parameter("series_id", "The series' id.")]
_BOOKING_ID = [id_parameter("booking_id", "The course booking's id.")]
_REGISTRATION_ID = [id_parameter("registration_id", "The registration's id.")]
_CERTIFICATE_ID = [id_parameter("certificate_id", "The certificate's id.")]


class CertificateDateSchema(AnswerSchema):
    starts_at = answer(ma.fields.DateTime)
    ends_at = answer(ma.fields.DateTime)
    minutes = answer(ma.fields.Integer, description="0 for an all-day date.")
    units = answer(
        ma.fields.Float, nullable=True, description="Teaching units of 45 minutes, if counted."
    )
    place = answer(description="Venue and address; empty for a date only online.")
    online = answer(ma.fields.Boolean, description="Whether the date was (also) online.")


class CertificateSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    number = answer(description="Printed on it, e.g. 2026-0007-K3F9QW2.")
    series_id = answer(ma.fields.Integer, nullable=True)
    booking_id = answer(ma.fields.Integer, nullable=True)
    event_id = answer(ma.fields.Integer, nullable=True, description="A single date's.")
    registration_id = answer(ma.fields.Integer, nullable=True, description="A single date's.")
    holder_name = answer(description="Empty once anonymised.")
    title = answer()
    dates = answer(
        ma.fields.List, ma.fields.Nested(CertificateDateSchema), description="Dates attended."
    )
    issued_at = answer(ma.fields.DateTime)
    sent_at = answer(ma.fields.DateTime, nullable=True, description="When the mail was queued.")
    verify_url = answer(format="uri", description="Where anyone can check it.")


class CertificateListSchema(AnswerSchema):
    items = answer(ma.fields.List, ma.fields.Nested(CertificateSchema))


class CertificateIssueSchema(ApiSchema):
    send = Flag(
        metadata={"default": False, "description": "Also mail it to the holder, unless it was."}
    )


def certificate_json(certificate: Certificate) -> dict:
    return {
        "id": certificate.id,
        "number": certificate.number,
        "series_id": certificate.series_id,
        "booking_id": certificate.booking_id,
        "event_id": certificate.event_id,
        "registration_id": certificate.registration_id,
        "holder_name": certificate.holder_name,
        "title": certificate.title,
        "dates": [
            {
                "starts_at": entry["starts_at"],
                "ends_at": entry["ends_at"],
                "minutes": entry.get("minutes", 0),
                "units": entry.get("units"),
                "place": entry.get("place", ""),
                "online": bool(entry.get("online")),
            }
            for entry in certificate.dates or []
        ],
        "issued_at": certificate.issued_at.isoformat(),
        "sent_at": certificate.sent_at.isoformat() if certificate.sent_at else None,
        "verify_url": verify_url(certificate),
    }


@bp.route(
    "/series/<int:series_id>/certificates",
    endpoint="series_certificates",
    methods=["GET"],
    parameters=_SERIES_ID,
)
@bp.doc(operationId="listCertificates", summary="The certificates issued for a course.")
@bp.response(200, CertificateListSchema, description="By number.")
@bp.errors(404)
def get_certificates(series_id: int):
    series = get_or_404(EventSeries, series_id, _("There is no such series."))
    found = db.session.scalars(
        sa.select(Certificate).where(Certificate.series_id == series.id).order_by(Certificate.id)
    )
    return jsonify(items=[certificate_json(c) for c in found])


@bp.route(
    "/bookings/<int:booking_id>/certificate",
    endpoint="issue_certificate",
    methods=["POST"],
    parameters=_BOOKING_ID,
)
@bp.doc(
    operationId="issueCertificate",
    summary="Issue a booking's certificate of attendance (once; again: the same one).",
    description=(
        "Only a confirmed booking that attended the series' share of the dates held; "
        "otherwise 422 with the reason, e.g. '2 of 4 dates attended (50 %), 75 % are needed'."
    ),
)
@bp.body(CertificateIssueSchema, optional=True)
@bp.response(200, CertificateSchema, description="The certificate.")
@bp.errors(400, 404, 422)
def post_certificate(read_body, booking_id: int):
    booking = get_or_404(CourseBooking, booking_id, _("There is no such booking."))
    values = read_body()
    certificate = certificates.issue(booking.id)
    if values.get("send"):
        certificates.send(certificate, booking.email)
    db.session.commit()
    return jsonify(certificate_json(certificate))


class CertificateRefusalSchema(AnswerSchema):
    booking_id = answer(ma.fields.Integer, nullable=True, description="In a course.")
    registration_id = answer(ma.fields.Integer, nullable=True, description="At a single date.")
    name = answer()
    reason = answer(description="Why not, e.g. '2 of 4 dates attended (50 %), 75 % are needed'.")


class CertificateSendAllSchema(AnswerSchema):
    issued = answer(ma.fields.Integer, description="Certificates issued now.")
    sent = answer(ma.fields.Integer, description="Mails queued now.")
    already_sent = answer(ma.fields.Integer, description="Mailed before: not again.")
    refused = answer(
        ma.fields.List,
        ma.fields.Nested(CertificateRefusalSchema),
        description="Confirmed participants who have not earned one, by name.",
    )


def _certificate_or_404(certificate_id: int) -> Certificate:
    return get_or_404(Certificate, certificate_id, _("There is no such certificate."))


@bp.route(
    "/series/<int:series_id>/certificates/send",
    endpoint="send_certificates",
    methods=["POST"],
    parameters=_SERIES_ID,
)
@bp.doc(
    operationId="sendCertificates",
    summary="Issue and mail the certificates of everyone eligible in a course.",
    description="As the editors' page does: nobody gets a certificate twice; calling it "
    "again mails only those who earned one since.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(
    200, CertificateSendAllSchema, description="What was done, and who has not earned one."
)
@bp.errors(400, 404, 422)
def post_send_certificates(read_body, series_id: int):
    series = get_or_404(EventSeries, series_id, _("There is no such series."))
    read_body()
    report = certificate_holders.issue_and_send_all(series.id)
    db.session.commit()
    return _report_json(report)


def _report_json(report: certificate_holders.SendReport):
    return jsonify(
        issued=report.issued,
        sent=report.sent,
        already_sent=report.already_sent,
        refused=[
            {
                "booking_id": None if isinstance(holder, Registration) else holder.id,
                "registration_id": holder.id if isinstance(holder, Registration) else None,
                "name": holder.name,
                "reason": reason,
            }
            for holder, reason in report.refused
        ],
    )


# -- a date booked on its own ------------------------------------------------------------


@bp.route(
    "/events/<int:event_id>/certificates",
    endpoint="event_certificates",
    methods=["GET"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="listEventCertificates",
    summary="The certificates issued for a date booked on its own (not as a course).",
)
@bp.response(200, CertificateListSchema, description="By number.")
@bp.errors(404)
def get_event_certificates(event_id: int):
    event = find_event(event_id)
    found = db.session.scalars(
        sa.select(Certificate).where(Certificate.event_id == event.id).order_by(Certificate.id)
    )
    return jsonify(items=[certificate_json(c) for c in found])


@bp.route(
    "/registrations/<int:registration_id>/certificate",
    endpoint="issue_event_certificate",
    methods=["POST"],
    parameters=_REGISTRATION_ID,
)
@bp.doc(
    operationId="issueEventCertificate",
    summary="Issue a registration's certificate of attendance (once; again: the same one).",
    description=(
        "For a date booked on its own: a confirmed registration marked present. Otherwise "
        "422 with the reason; a date of a course booked as a whole: the booking's route."
    ),
)
@bp.body(CertificateIssueSchema, optional=True)
@bp.response(200, CertificateSchema, description="The certificate.")
@bp.errors(400, 404, 422)
def post_event_certificate(read_body, registration_id: int):
    registration = get_or_404(Registration, registration_id, _("There is no such registration."))
    values = read_body()
    certificate = certificates.issue_for_registration(registration.id)
    if values.get("send"):
        certificates.send(certificate, registration.email)
    db.session.commit()
    return jsonify(certificate_json(certificate))


@bp.route(
    "/events/<int:event_id>/certificates/send",
    endpoint="send_event_certificates",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="sendEventCertificates",
    summary="Issue and mail the certificates of everyone present at a date booked on its own.",
    description="Nobody gets a certificate twice.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(
    200, CertificateSendAllSchema, description="What was done, and who has not earned one."
)
@bp.errors(400, 404, 422)
def post_send_event_certificates(read_body, event_id: int):
    event = find_event(event_id)
    read_body()
    report = certificate_holders.issue_and_send_all_at(event.id)
    db.session.commit()
    return _report_json(report)


@bp.route(
    "/certificates/<int:certificate_id>/pdf",
    endpoint="certificate_pdf",
    methods=["GET"],
    parameters=_CERTIFICATE_ID,
)
@bp.doc(
    operationId="getCertificatePdf",
    summary="A certificate as PDF, in the language its holder booked in.",
    responses={
        "200": {
            "description": "The PDF.",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
@bp.errors(404)
def get_certificate_pdf(certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    locale = holder_locale(certificate)
    return Response(
        document(certificate, locale),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(certificate, locale)}"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route(
    "/certificates/<int:certificate_id>/send",
    endpoint="send_certificate",
    methods=["POST"],
    parameters=_CERTIFICATE_ID,
)
@bp.doc(
    operationId="sendCertificate",
    summary="Mail one certificate to its holder, with the PDF.",
    description="Once: a certificate mailed before (by any way), or whose holder's data "
    "is gone, is a 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, CertificateSchema, description="The certificate, with `sent_at`.")
@bp.errors(400, 404, 409, 422)
def post_send_certificate(read_body, certificate_id: int):
    certificate = _certificate_or_404(certificate_id)
    read_body()
    if not certificate_holders.send_to_holder(certificate):
        raise ApiError(409, _("This certificate was mailed already."))
    db.session.commit()
    return jsonify(certificate_json(certificate))
