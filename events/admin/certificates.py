"""The editors' page of a course's certificates of attendance: each booking's
attendance, whether it earns a certificate (or why not), the number issued and the
PDF; one action issues and sends them to everyone eligible who has none yet."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from events import certificates
from events.admin.events import bp
from events.certificate_mail import document, filename, holder_locale
from events.course_models import Certificate
from events.models import EventSeries
from kkp.extensions import db
from kkp.forms import ConfirmForm
from kkp.views import Confirmation, confirm_page, saving


@bp.get("/series/<int:series_id>/certificates")
def series_certificates(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    return render_template(
        "admin/events/certificates.html",
        series=series,
        rows=certificates.course_rows(series),
        held=len(certificates.held_events(series)),
        unsent=len(certificates.unsent_eligible(series)),
    )


@bp.route("/series/<int:series_id>/certificates/send", methods=["GET", "POST"])
def series_certificates_send(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    back = url_for(".series_certificates", series_id=series.id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            report = certificates.issue_and_send_all(series.id)
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
    count = len(certificates.unsent_eligible(series))
    return confirm_page(
        Confirmation(
            title=_("Send certificates"),
            question=_("Issue and send the certificates for “%(title)s”?", title=series.title),
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
