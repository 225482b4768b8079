"""The JSON API for events, series, kinds and registrations (under /api/v1).

Thin routes over :mod:`events.operations` and :mod:`events.registrations`, the
operations the editors' pages use. An :class:`~events.operations.EventError` is a 422
naming the fields of this API (see :data:`events.api_input.FIELD_NAMES`); an
:class:`~events.operations.EventStateError` (and so
:class:`~events.registrations.RegistrationClosed`) is a 409.
"""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from flask import Blueprint, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from events import invitations
from events import openapi as event_openapi
from events import operations as ops
from events import registrations as regs
from events.api_input import (
    COPY_FIELDS,
    EVENT_CHANGES,
    EVENT_FIELDS,
    EVENT_QUERY,
    INVITATION_FIELDS,
    KIND_FIELDS,
    REGISTRATION_FIELDS,
    REGISTRATION_QUERY,
    SERIES_CHANGES,
    SERIES_FIELDS,
    SERIES_QUERY,
    api_fields,
    event_input,
    query_day,
    read_json,
)
from events.api_json import event_json, kind_json, registration_json, series_json
from events.api_json import seat_counts as _counts
from events.models import Event, EventKind, EventSeries, Registration
from kkp.api import (
    ApiError,
    add_routes,
    api_error_response,
    get_or_404,
    keyset_page,
    read_body,
    read_query,
)
from kkp.extensions import db
from kkp.i18n import berlin_to_utc
from newsletter import openapi


def _respond(body: dict, status: int = 200, location: str | None = None):
    response = jsonify(body)
    response.status_code = status
    if location:
        response.headers["Location"] = location
    return response


def _event_response(event: Event, status: int = 200, notes: list[str] | None = None):
    location = url_for("api.event", event_id=event.id)
    return _respond(event_json(event, notes=notes), status, location)


# -- lookups and the status rules ----------------------------------------------------------


def _event(event_id: int) -> Event:
    return get_or_404(Event, event_id, _("There is no such event."))


def _series(series_id: int) -> EventSeries:
    return get_or_404(EventSeries, series_id, _("There is no such series."))


def _registration(registration_id: int) -> Registration:
    return get_or_404(Registration, registration_id, _("There is no such registration."))


def _require(allowed: bool, message: str) -> None:
    """409 before the body is read (the operations refuse the same with EventStateError)."""
    if not allowed:
        raise ApiError(409, message)


# -- kinds and series ----------------------------------------------------------------------


def get_kinds():
    return jsonify(items=[kind_json(kind) for kind in ops.kinds()])


def post_kind():
    values = read_body(KIND_FIELDS)
    kind = ops.create_kind(values["name"], values.get("name_en", ""))
    db.session.commit()
    return _respond(kind_json(kind), 201)


def get_series_list():
    args = read_query(SERIES_QUERY)
    limit = args.get("limit", openapi.PAGE_SIZE)
    query = (
        sa.select(EventSeries)
        .options(selectinload(EventSeries.events))
        .where(EventSeries.id > args.get("after", 0))
        .order_by(EventSeries.id)
        .limit(limit + 1)
    )
    return keyset_page(query, limit, series_json)


def post_series():
    values = read_json(SERIES_FIELDS)
    series = ops.save_series(None, title=values["title"], description=values.get("description"))
    db.session.commit()
    return _respond(series_json(series), 201, url_for("api.event_series", series_id=series.id))


def get_series(series_id: int):
    return jsonify(series_json(_series(series_id)))


def patch_series(series_id: int):
    series = _series(series_id)
    values = read_json(SERIES_CHANGES)
    ops.save_series(
        series,
        title=values.get("title", series.title),
        description=values.get("description", series.description),
    )
    db.session.commit()
    return jsonify(series_json(series))


# -- events --------------------------------------------------------------------------------


def get_events():
    args = read_query(EVENT_QUERY)
    limit = args.get("limit", openapi.PAGE_SIZE)
    query = (
        sa.select(Event)
        .options(selectinload(Event.kind))
        .where(Event.id > args.get("after", 0))
        .order_by(Event.id)
        .limit(limit + 1)
    )
    if "status" in args:
        query = query.where(Event.status == args["status"])
    if "kind" in args:
        query = query.join(EventKind).where(EventKind.slug == args["kind"])
    if "series_id" in args:
        query = query.where(Event.series_id == args["series_id"])
    day = query_day(args, "from")
    if day is not None:  # events still going on or to come on that day
        query = query.where(Event.ends_at > berlin_to_utc(day, time(0))[0])
    counts = _counts(list(db.session.scalars(query.with_only_columns(Event.id))))
    return keyset_page(query, limit, lambda event: event_json(event, counts))


def post_event():
    data = event_input(read_json(EVENT_FIELDS))
    event = ops.create_event(data)
    db.session.commit()
    return _event_response(event, 201, data.notes)


def get_event(event_id: int):
    return jsonify(event_json(_event(event_id)))


def patch_event(event_id: int):
    event = _event(event_id)
    _require(event.status != "cancelled", _("A cancelled event cannot be changed."))
    data = event_input(read_json(EVENT_CHANGES), ops.input_from(event))
    ops.update_event(event, data)
    db.session.commit()
    return _event_response(event, notes=data.notes)


def delete_event(event_id: int):
    ops.delete_event(_event(event_id))
    db.session.commit()
    return "", 204


def post_publish(event_id: int):
    event = _event(event_id)
    read_body({}, optional=True)
    _require(event.status != "published", _("This event is published already."))
    ops.publish_event(event)
    db.session.commit()
    return _event_response(event)


def post_cancel(event_id: int):
    event = _event(event_id)
    read_body({}, optional=True)
    _require(event.status != "cancelled", _("This event is cancelled already."))
    ops.cancel_event(event)
    db.session.commit()
    return _event_response(event)


def post_copy(event_id: int):
    event = _event(event_id)
    values = read_json(COPY_FIELDS)
    copy = ops.copy_event(event, start_day=values["start"])
    db.session.commit()
    return _event_response(copy, 201)


def post_invitations(event_id: int):
    event = _event(event_id)
    values = read_body(INVITATION_FIELDS)
    invited = invitations.invite_list(event.id, values["list_id"])
    db.session.commit()
    return jsonify(invited=invited)


# -- registrations -------------------------------------------------------------------------


def _waiting_places(event_id: int) -> dict[int, int]:
    ids = db.session.scalars(
        sa.select(Registration.id)
        .where(Registration.event_id == event_id, Registration.status == "waiting")
        .order_by(Registration.waiting_since, Registration.id)
    )
    return {registration_id: n for n, registration_id in enumerate(ids, start=1)}


def get_registrations(event_id: int):
    event = _event(event_id)
    args = read_query(REGISTRATION_QUERY)
    limit = args.get("limit", openapi.PAGE_SIZE)
    query = (
        sa.select(Registration)
        .where(Registration.event_id == event.id, Registration.id > args.get("after", 0))
        .order_by(Registration.id)
        .limit(limit + 1)
    )
    if "status" in args:
        query = query.where(Registration.status == args["status"])
    places = _waiting_places(event.id)
    return keyset_page(query, limit, lambda r: registration_json(r, places.get(r.id)))


def post_registration(event_id: int):
    event = _event(event_id)
    values = read_body(REGISTRATION_FIELDS)
    registration, _outcome = regs.add_participant(
        event.id,
        name=values["name"],
        email=values["email"],
        organisation=values.get("organisation", ""),
        over_capacity=values.get("over_capacity", False),
    )
    db.session.commit()
    location = url_for("api.registration", registration_id=registration.id)
    return _respond(registration_json(registration), 201, location)


def get_registration(registration_id: int):
    return jsonify(registration_json(_registration(registration_id)))


def post_cancel_registration(registration_id: int):
    registration = _registration(registration_id)
    read_body({}, optional=True)
    _require(
        registration.status in ("confirmed", "waiting", "invited", "pending", "pending_waiting"),
        _("This registration is cancelled or declined already."),
    )
    regs.cancel(registration, by_editor=True)
    db.session.commit()
    return jsonify(registration_json(registration))


def post_move_up(registration_id: int):
    registration = _registration(registration_id)
    read_body({}, optional=True)
    regs.move_up(registration)
    db.session.commit()
    return jsonify(registration_json(registration))


def _event_error(exc: ops.EventError):
    """422 naming this API's fields; 409 when the event's state forbids the action."""
    if isinstance(exc, ops.EventStateError):
        return api_error_response(ApiError(409, str(exc)))
    fields = api_fields(exc.errors)
    message = str(exc) if len(fields) <= 1 else _("Please check the fields named.")
    return api_error_response(ApiError(422, message, fields))


# -- registration of the routes ------------------------------------------------------------

_EVENT = "/events/<int:event_id>"
_REGISTRATION = "/registrations/<int:registration_id>"
_ROUTES = (
    ("/event-kinds", "event_kinds", get_kinds, "GET"),
    ("/event-kinds", "create_event_kind", post_kind, "POST"),
    ("/series", "event_series_list", get_series_list, "GET"),
    ("/series", "create_event_series", post_series, "POST"),
    ("/series/<int:series_id>", "event_series", get_series, "GET"),
    ("/series/<int:series_id>", "update_event_series", patch_series, "PATCH"),
    ("/events", "events", get_events, "GET"),
    ("/events", "create_event", post_event, "POST"),
    (_EVENT, "event", get_event, "GET"),
    (_EVENT, "update_event", patch_event, "PATCH"),
    (_EVENT, "delete_event", delete_event, "DELETE"),
    (_EVENT + "/publish", "publish_event", post_publish, "POST"),
    (_EVENT + "/cancel", "cancel_event", post_cancel, "POST"),
    (_EVENT + "/copy", "copy_event", post_copy, "POST"),
    (_EVENT + "/invitations", "invite_to_event", post_invitations, "POST"),
    (_EVENT + "/registrations", "registrations", get_registrations, "GET"),
    (_EVENT + "/registrations", "add_registration", post_registration, "POST"),
    (_REGISTRATION, "registration", get_registration, "GET"),
    (_REGISTRATION + "/cancel", "cancel_registration", post_cancel_registration, "POST"),
    (_REGISTRATION + "/move-up", "move_up_registration", post_move_up, "POST"),
)


def register_api(bp: Blueprint) -> None:
    """Add the event routes to the API blueprint."""
    add_routes(
        bp,
        _ROUTES,
        error=ops.EventError,
        handler=_event_error,
        schemas=event_openapi.SCHEMAS,
        paths=event_openapi.PATHS,
    )
