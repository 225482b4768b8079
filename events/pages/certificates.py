"""A certificate for its holder and for anyone who checks one: the holder's download
by the signed link (/events/certificate/<token>.pdf), and the public verification
(/certificates/<number>): valid or unknown, its course, dates and day of issue, and
whether a name someone types is the holder's (the stored name is never shown)."""

from __future__ import annotations

from datetime import datetime

from flask import render_template, request, url_for

from events.certificate_mail import document, filename, holder_locale
from events.certificates import certificate_by_number, certificate_for_token, name_matches
from events.certificates import token_for as certificate_token
from events.course_models import Certificate
from events.forms import CertificateCheckForm
from events.pages.events import _form_limit, bp
from kkp.extensions import limiter
from kkp.i18n import BERLIN
from kkp.tokens import InvalidToken


@bp.app_template_global("certificate_url")
def certificate_url(certificate: Certificate) -> str:
    """The holder's download link (templates/events/_certificate_link.html)."""
    return url_for("events.certificate_pdf", token=certificate_token(certificate))


@bp.get("/events/certificate/<token>.pdf")
@limiter.limit(_form_limit)
def certificate_pdf(token: str):
    try:
        certificate = certificate_for_token(token)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    locale = holder_locale(certificate)
    return (
        document(certificate, locale),
        200,
        {
            "Content-Type": "application/pdf",
            "Content-Disposition": f'attachment; filename="{filename(certificate, locale)}"',
            "Cache-Control": "private, no-store",
            "X-Robots-Tag": "noindex",
        },
    )


def _days(certificate: Certificate) -> list[datetime]:
    return [datetime.fromisoformat(d["starts_at"]).astimezone(BERLIN) for d in certificate.dates]


@bp.route("/certificates/<number>", methods=["GET", "POST"])
@limiter.limit(_form_limit)
def certificate_check(number: str):
    """Rate-limited on every method: numbers are not to be guessed by trying."""
    certificate = certificate_by_number(number)
    form = CertificateCheckForm()
    matches = None
    status = 200 if certificate is not None else 404
    if request.method == "POST":
        if not form.validate():
            status = 400
        elif certificate is not None and (form.name.data or "").strip():
            matches = name_matches(certificate, form.name.data)
    return render_template(
        "events/certificate_check.html",
        certificate=certificate,
        number=number[:40],
        days=_days(certificate) if certificate else [],
        form=form,
        matches=matches,
    ), status
