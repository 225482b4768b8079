"""The editors' pages of certificates of attendance, of a course and of a date booked
on its own (one template): each booking's or registration's attendance, whether it
earns a certificate (or why not), the number issued and the PDF; a button issues one,
and one action issues and sends them to everyone eligible who has none yet."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from events import certificate_holders, certificates
from events.admin.events import bp
from events.certificate_mail import document, filename, holder_locale
from events.course_models import Certificate, CourseBooking
from events.models import Event, EventSeries, Registration
from kkp.extensions import db
from kkp.forms import ConfirmForm
from kkp.views import Confirmation, confirm_page, saving


@bp.get("/series/<int:series_id>/certificates")
def series_certificates(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    return render_template(
        "admin/events/certificates.html",
        series=series,
        rows=certificate_holders.course_rows(series),
        held=len(certificates.held_events(series)),
        unsent=len(certificate_holders.unsent_eligible(series)),
    )


@bp.get("/<int:event_id>/certificates", endpoint="event_certificates")
def event_certificates(event_id: int):
    event = db.get_or_404(Event, event_id)
    return render_template(
        "admin/events/certificates.html",
        event=event,
        rows=certificate_holders.event_rows(event),
        unsent=len(certificate_holders.unsent_eligible_at(event)),
    )


@bp.route("/series/<int:series_id>/certificates/send", methods=["GET", "POST"])
def series_certificates_send(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    return _send_all(
        series.title,
        lambda: len(certificate_holders.unsent_eligible(series)),
        lambda: certificate_holders.issue_and_send_all(series.id),
        url_for(".series_certificates", series_id=series.id),
    )


@bp.route("/<int:event_id>/certificates/send", methods=["GET", "POST"])
def event_certificates_send(event_id: int):
    event = db.get_or_404(Event, event_id)
    return _send_all(
        event.title,
        lambda: len(certificate_holders.unsent_eligible_at(event)),
        lambda: certificate_holders.issue_and_send_all_at(event.id),
        url_for(".event_certificates", event_id=event.id),
    )


def _send_all(title: str, count_unsent, send_all, back: str):
    """Issue and send to everyone eligible, after the question (a page without
    JavaScript, else the page's dialog)."""
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            report = send_all()
        if saved:
            flash(
                ngettext(
                    "%(num)d certificate is on its way.",
                    "%(num)d certificates are on their way.",
                    report.sent,
                ),
                "success",
            )
        return redirect(back, 303)
    count = count_unsent()
    return confirm_page(
        Confirmation(
            title=_("Send certificates"),
            question=_("Issue and send the certificates for “%(title)s”?", title=title),
            touches=ngettext(
                "%(num)d participant who earned a certificate and has not had it yet gets it "
                "by e-mail.",
                "%(num)d participants who earned a certificate and have not had it yet get it "
                "by e-mail.",
                count,
            ),
            notes=[_("Nobody gets a certificate twice.")],
            button=_("Yes, issue and send") if count else None,
            danger=False,
            back=back,
            back_label=_("No, back to the certificates"),
        )
    )


@bp.post("/series/<int:series_id>/certificates/<int:booking_id>/issue")
def series_certificate_issue(series_id: int, booking_id: int):
    booking = db.get_or_404(CourseBooking, booking_id)
    if booking.series_id != series_id:
        abort(404)
    return _issue(
        lambda: certificates.issue(booking.id),
        url_for(".series_certificates", series_id=series_id),
    )


@bp.post("/<int:event_id>/certificates/<int:registration_id>/issue")
def event_certificate_issue(event_id: int, registration_id: int):
    registration = db.get_or_404(Registration, registration_id)
    if registration.event_id != event_id:
        abort(404)
    return _issue(
        lambda: certificates.issue_for_registration(registration.id),
        url_for(".event_certificates", event_id=event_id),
    )


def _issue(issuing, back: str):
    """Issue one certificate (not mailed: the editor downloads or sends it later);
    a refusal (not earned) is flashed on the page."""
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            certificate = issuing()
        if saved:
            flash(_("Certificate %(number)s issued.", number=certificate.number), "success")
    return redirect(back, 303)


@bp.get("/certificates/<int:certificate_id>.pdf")
def certificate_download(certificate_id: int):
    certificate = db.get_or_404(Certificate, certificate_id)
    locale = holder_locale(certificate)
    return (
        document(certificate, locale),
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{filename(certificate, locale)}"',
            "Cache-Control": "private, no-store",
        },
    )
