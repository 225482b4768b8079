"""Her optional consents on her registration's and her booking's page ("Your
consents": the words, when given, when withdrawn) and withdrawing one by the same
signed link: a button that POSTs (with CSRF), then the page again. A withdrawn
consent is not offered again there. Open also after the event: photos and lists
outlive it."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from events.consents import Owner, own_consents, withdraw_consent
from events.course_notices import booking_for_token
from events.forms import AnswerForm
from events.pages.events import _form_limit, bp
from events.registrations import registration_for_token
from kkp.db import utcnow
from kkp.extensions import db, limiter
from kkp.tokens import InvalidToken
from people.models import ConsentSource


def consent_entries(owner: Owner, endpoint: str, token: str) -> list[dict]:
    """The include `events/_own_consents.html`'s rows; `endpoint` withdraws one."""
    return [
        {
            "text": record.text,
            "given_at": record.given_at,
            "withdrawn_at": record.withdrawn_at,
            "withdraw_url": url_for(endpoint, token=token, offer_id=record.consent_id),
        }
        for record in own_consents(owner)
    ]


def _withdraw(owner: Owner, offer_id: int, page_url: str):
    if not AnswerForm().validate():
        abort(400)
    withdrawn = withdraw_consent(
        owner, offer_id, utcnow(), source=ConsentSource.PREFERENCES, ip=request.remote_addr
    )
    if withdrawn is None:
        abort(404)
    db.session.commit()
    flash(_("Your consent is withdrawn: from now on it counts as not given."), "success")
    return redirect(page_url + "#own-consents", code=303)


@bp.post("/registrations/<token>/consents/<int:offer_id>/withdraw")
@limiter.limit(_form_limit)
def withdraw_registration_consent(token: str, offer_id: int):
    try:
        registration = registration_for_token(token)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    return _withdraw(registration, offer_id, url_for("events.own_registration", token=token))


@bp.post("/events/booking/<token>/consents/<int:offer_id>/withdraw")
@limiter.limit(_form_limit)
def withdraw_booking_consent(token: str, offer_id: int):
    try:
        booking = booking_for_token(token)
    except InvalidToken:
        return render_template("events/invalid_link.html"), 404
    return _withdraw(booking, offer_id, url_for("events.own_booking", token=token))
