"""A certificate as its holder gets it: the PDF made afresh from the stored
:class:`~events.course_models.Certificate` (for the download and the mail), and the
mail of kind `certificate` with the PDF attached, built when it is sent."""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale

from events.certificate_pdf import CertificateContent, certificate_pdf
from events.course_models import Certificate, CourseBooking
from events.models import EventMailKind, Registration
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.mail.message import add_attachment, mailbox
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder
from kkp.mail.render import render_mail
from kkp.office import office_logo


def verify_url(certificate: Certificate) -> str:
    return f"{current_app.config['KKP_BASE_URL']}/certificates/{certificate.number}"


def filename(certificate: Certificate, locale: str = "de") -> str:
    stem = "teilnahmebescheinigung" if locale == "de" else "certificate"
    return f"{stem}-{certificate.number}.pdf"


def content_for(certificate: Certificate) -> CertificateContent:
    """What the PDF shows: the certificate as issued (see
    :class:`~events.course_models.Certificate`); only the logo is the office's now."""
    logo = office_logo()
    return CertificateContent(
        number=certificate.number,
        holder_name=certificate.holder_name,
        title=certificate.title,
        dates=list(certificate.dates or []),
        issued_on=certificate.issued_at.astimezone(BERLIN).date(),
        verify_url=verify_url(certificate),
        office_name=certificate.office_name,
        postal_address=certificate.office_address,
        logo=logo[0] if logo else None,
        summary=certificate.summary,
        signer_name=certificate.signer_name,
        signer_role=certificate.signer_role,
        teaching_units=any(entry.get("units") is not None for entry in certificate.dates or []),
    )


def document(certificate: Certificate, locale: str = "de") -> bytes:
    """The certificate's PDF in `locale`."""
    with force_locale(locale if locale in ("de", "en") else "de"):
        return certificate_pdf(content_for(certificate))


def holder_locale(certificate: Certificate) -> str:
    """The language the holder chose when booking."""
    holder = db.session.get(CourseBooking, certificate.booking_id or 0) or db.session.get(
        Registration, certificate.registration_id or 0
    )
    locale = holder.locale if holder is not None else "de"
    return locale if locale in ("de", "en") else "de"


@message_builder(EventMailKind.CERTIFICATE)
def certificate_message(delivery: Delivery) -> EmailMessage:
    certificate = db.session.get(Certificate, delivery.params.get("certificate_id") or 0)
    if certificate is None or certificate.anonymised_at is not None:
        raise NotDeliverable("the certificate was deleted or anonymised")
    locale = holder_locale(certificate)
    msg = render_mail(
        EventMailKind.CERTIFICATE,
        {"certificate": certificate, "verify_url": verify_url(certificate)},
        to=mailbox(certificate.holder_name, delivery.recipient),
        locale=locale,
    )
    add_attachment(
        msg, document(certificate, locale), "application/pdf", filename(certificate, locale)
    )
    return msg
