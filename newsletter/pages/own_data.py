"""A participant's own data from the link in her registration mails, for those who
never subscribed (and so have no preference centre): everything stored about her
address as a page to print and as JSON, and "delete everything about me" across
newsletter and events (:mod:`newsletter.data_requests`). The link dies with the
erasure: the registration gets a new key."""

from __future__ import annotations

import json

from flask import Response, g, render_template, request, url_for

from events.models import Registration
from events.registrations import registration_for_token
from kkp.auth.models import AuditChannel
from kkp.extensions import db, limiter
from kkp.forms import ConfirmForm
from kkp.tokens import InvalidToken
from newsletter import data_requests
from newsletter.admin.words import personal_data_words
from newsletter.pages.subscribing import _form_limit, bp


def _registration(token: str) -> Registration | None:
    try:
        return registration_for_token(token)
    except InvalidToken:
        return None


def _gone():
    return render_template("events/invalid_link.html"), 404


@bp.get("/registrations/<token>/data.json")
def registration_data_json(token: str):
    registration = _registration(token)
    if registration is None:
        return _gone()
    data = data_requests.export(data_requests.find(registration.email))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="kkp-kompakt-meine-daten.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.get("/registrations/<token>/data.html")
def registration_data_print(token: str):
    registration = _registration(token)
    if registration is None:
        return _gone()
    data = data_requests.export(data_requests.find(registration.email))
    response = Response(
        render_template(
            "newsletter/own_data.html",
            data=data,
            back=url_for("events.own_registration", token=token),
            json_url=url_for(".registration_data_json", token=token),
            **personal_data_words(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/registrations/<token>/delete", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def registration_data_delete(token: str):
    registration = _registration(token)
    if registration is None:
        return _gone()
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        g.kkp_channel = AuditChannel.PUBLIC
        data_requests.erase(registration.email)
        db.session.commit()
        return render_template("newsletter/deleted.html")
    return render_template(
        "newsletter/delete.html",
        form=form,
        found=data_requests.find(registration.email),
        back=url_for("events.own_registration", token=token),
    )
