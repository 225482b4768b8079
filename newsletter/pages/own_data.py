"""A participant's own data from the link in her registration or course booking mails,
for those who never subscribed (and so have no preference centre): everything stored
about her address as a page to print and as JSON, and "delete everything about me"
across newsletter and events (:mod:`newsletter.data_requests`). The link dies with the
erasure: the registration or booking gets a new key."""

from __future__ import annotations

import json

from flask import Response, g, render_template, request, url_for

from events.course_notices import booking_for_token
from events.registrations import registration_for_token
from kkp.auth.models import AuditChannel
from kkp.extensions import db, limiter
from kkp.forms import ConfirmForm
from kkp.tokens import InvalidToken
from newsletter import data_requests
from newsletter.admin.words import personal_data_words
from newsletter.pages.subscribing import _form_limit, bp

#: what a link opens: how its token is read, and the page it came from
_LINKS = {
    "registration": (registration_for_token, "events.own_registration"),
    "booking": (booking_for_token, "events.own_booking"),
}


def _address(kind: str, token: str) -> str | None:
    """The address of the registration or booking the token opens; None if none."""
    read, _page = _LINKS[kind]
    try:
        return read(token).email
    except InvalidToken:
        return None


def _gone():
    return render_template("events/invalid_link.html"), 404


def _as_json(kind: str, token: str):
    email = _address(kind, token)
    if email is None:
        return _gone()
    data = data_requests.export(data_requests.find(email))
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="kkp-kompakt-meine-daten.json"',
            "Cache-Control": "no-store",
        },
    )


def _to_print(kind: str, token: str):
    email = _address(kind, token)
    if email is None:
        return _gone()
    response = Response(
        render_template(
            "newsletter/own_data.html",
            data=data_requests.export(data_requests.find(email)),
            back=url_for(_LINKS[kind][1], token=token),
            json_url=url_for(f".{kind}_data_json", token=token),
            **personal_data_words(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _delete(kind: str, token: str):
    email = _address(kind, token)
    if email is None:
        return _gone()
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        g.kkp_channel = AuditChannel.PUBLIC
        data_requests.erase(email)
        db.session.commit()
        return render_template("newsletter/deleted.html")
    return render_template(
        "newsletter/delete.html",
        form=form,
        found=data_requests.find(email),
        back=url_for(_LINKS[kind][1], token=token),
    )


@bp.get("/registrations/<token>/data.json")
def registration_data_json(token: str):
    return _as_json("registration", token)


@bp.get("/registrations/<token>/data.html")
def registration_data_print(token: str):
    return _to_print("registration", token)


@bp.route("/registrations/<token>/delete", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def registration_data_delete(token: str):
    return _delete("registration", token)


@bp.get("/events/booking/<token>/data.json")
def booking_data_json(token: str):
    return _as_json("booking", token)


@bp.get("/events/booking/<token>/data.html")
def booking_data_print(token: str):
    return _to_print("booking", token)


@bp.route("/events/booking/<token>/delete", methods=["GET", "POST"])
@limiter.limit(_form_limit, methods=["POST"])
def booking_data_delete(token: str):
    return _delete("booking", token)
