"""JSON API for events: thin routes over :mod:`events.operations`, the operations the
editors' pages use. An :class:`~events.operations.EventError` is a 422 naming this
API's fields; an :class:`~events.operations.EventStateError` is a 409."""

from __future__ import annotations

from datetime import time

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from events import invitations
from events import operations as ops
from events.api.answer_schemas import EventPageSchema, EventSchema, InvitationResultSchema
from events.api.answers import event_json, seat_counts
from events.api.errors import handle_errors
from events.api.input import event_input_of
from events.api.questions import asked_json
from events.api.schemas import (
    EventCopySchema,
    EventCreateSchema,
    EventQuerySchema,
    EventUpdateSchema,
    InvitationSchema,
)
from events.models import Event, EventKind, EventStatus
from kkp.api import ApiBlueprint, ApiError, get_or_404, keyset_page
from kkp.api_docs import id_parameter, links_to
from kkp.api_fields import PAGE_SIZE, NoBodySchema
from kkp.extensions import db
from kkp.i18n import berlin_to_utc

bp = ApiBlueprint("events", __name__)
handle_errors(bp)

EVENT_ID = [id_parameter("event_id", "The event's id.")]
_ONE = "/events/<int:event_id>"
_LOCATION = {"Location": {"description": "The event's URL.", "schema": {"type": "string"}}}
_LINKS = links_to("event_id", ("getEvent", "updateEvent", "publishEvent", "listRegistrations"))


def _event_response(event: Event, status: int = 200, notes: list[str] | None = None):
    response = jsonify(event_json(event, notes=notes))
    response.status_code = status
    response.headers["Location"] = url_for("api.events.event", event_id=event.id)
    return response


def find_event(event_id: int) -> Event:
    return get_or_404(Event, event_id, _("There is no such event."))


def require(allowed: bool, message: str) -> None:
    """409 before the body is read (the operations refuse the same with EventStateError)."""
    if not allowed:
        raise ApiError(409, message)


@bp.route("/events", endpoint="events", methods=["GET"])
@bp.doc(operationId="listEvents", summary="Events by id, a page at a time (keyset paging).")
@bp.query(EventQuerySchema)
@bp.response(200, EventPageSchema, description="One page.")
@bp.errors(422)
def get_events(read_query):
    args = read_query()
    limit = args.get("limit", PAGE_SIZE)
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
    if "from_" in args:  # events still going on or to come on that day
        query = query.where(Event.ends_at > berlin_to_utc(args["from_"], time(0))[0])
    ids = list(db.session.scalars(query.with_only_columns(Event.id)))
    counts, asked = seat_counts(ids), asked_json(ids)
    return keyset_page(query, limit, lambda event: event_json(event, counts, asked=asked))


@bp.route("/events", endpoint="create_event", methods=["POST"])
@bp.doc(
    operationId="createEvent",
    summary="Create an event (a draft).",
    description=(
        "Published only with POST /events/{id}/publish. Wrong input is 422 with "
        "`fields` named as in this body (`start`, `end`, `registration_deadline`, …)."
    ),
)
@bp.body(EventCreateSchema)
@bp.response(201, EventSchema, description="The new draft.", headers=_LOCATION)
@bp.doc(responses={201: {"links": _LINKS}})
@bp.errors(400, 422)
def post_event(read_body):
    data = event_input_of(read_body())
    event = ops.create_event(data)
    db.session.commit()
    return _event_response(event, 201, data.notes)


@bp.route(_ONE, endpoint="event", methods=["GET"], parameters=EVENT_ID)
@bp.doc(operationId="getEvent", summary="One event with its seats.")
@bp.response(200, EventSchema, description="The event.")
@bp.errors(404)
def get_event(event_id: int):
    return jsonify(event_json(find_event(event_id)))


@bp.route(_ONE, endpoint="update_event", methods=["PATCH"], parameters=EVENT_ID)
@bp.doc(
    operationId="updateEvent",
    summary="Change some of an event's fields; the others keep their values.",
    description=(
        "When a published event's time, place or join link changes, its participants get "
        "an update for their calendars. A cancelled event: 409."
    ),
)
@bp.body(EventUpdateSchema)
@bp.response(200, EventSchema, description="The event afterwards.", headers=_LOCATION)
@bp.errors(400, 404, 409, 422)
def patch_event(read_body, event_id: int):
    event = find_event(event_id)
    require(event.status != EventStatus.CANCELLED, _("A cancelled event cannot be changed."))
    data = event_input_of(read_body(), ops.input_from(event))
    ops.update_event(event, data)
    db.session.commit()
    return _event_response(event, notes=data.notes)


@bp.route(_ONE, endpoint="delete_event", methods=["DELETE"], parameters=EVENT_ID)
@bp.doc(
    operationId="deleteEvent",
    summary="Delete a draft.",
    description="Published or cancelled events cannot be deleted (409); cancel them.",
    responses={"204": {"description": "Deleted."}},
)
@bp.errors(404, 409)
def delete_event(event_id: int):
    ops.delete_event(find_event(event_id))
    db.session.commit()
    return "", 204


def _action(path: str, endpoint: str, operation_id: str, summary: str, description: str):
    """A POST on one event."""

    def decorate(view):
        view = bp.doc(operationId=operation_id, summary=summary, description=description)(view)
        return bp.route(_ONE + path, endpoint=endpoint, methods=["POST"], parameters=EVENT_ID)(view)

    return decorate


@_action(
    "/publish",
    "publish_event",
    "publishEvent",
    "Publish a draft: on the public pages, in the calendars, open for registration.",
    "Only a draft; otherwise 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, EventSchema, description="The event afterwards.")
@bp.errors(400, 404, 409, 422)
def post_publish(read_body, event_id: int):
    event = find_event(event_id)
    read_body()
    require(event.status != EventStatus.PUBLISHED, _("This event is published already."))
    ops.publish_event(event)
    db.session.commit()
    return _event_response(event)


@_action(
    "/cancel",
    "cancel_event",
    "cancelEvent",
    "Cancel an event; participants and invited people are told.",
    "Their calendars get a CANCEL. An event cancelled already: 409.",
)
@bp.body(NoBodySchema, optional=True)
@bp.response(200, EventSchema, description="The event afterwards.")
@bp.errors(400, 404, 409, 422)
def post_cancel(read_body, event_id: int):
    event = find_event(event_id)
    read_body()
    require(event.status != EventStatus.CANCELLED, _("This event is cancelled already."))
    ops.cancel_event(event)
    db.session.commit()
    return _event_response(event)


@_action(
    "/copy",
    "copy_event",
    "copyEvent",
    "Another date of the same event: a draft in the event's series.",
    "Everything but the day is copied; a series is made when the event has none.",
)
@bp.body(EventCopySchema)
@bp.response(201, EventSchema, description="The new draft.", headers=_LOCATION)
@bp.doc(responses={201: {"links": _LINKS}})
@bp.errors(400, 404, 422)
def post_copy(read_body, event_id: int):
    event = find_event(event_id)
    copy = ops.copy_event(event, start_day=read_body()["start"])
    db.session.commit()
    return _event_response(copy, 201)


@_action(
    "/invitations",
    "invite_to_event",
    "inviteList",
    "Invite every confirmed member of a list who is not registered yet.",
    "Each gets an invitation with accept and decline links. The event must be published, "
    "need registration and not be past its deadline (else 409).",
)
@bp.body(InvitationSchema)
@bp.response(200, InvitationResultSchema, description="How many were invited.")
@bp.errors(400, 404, 409, 422)
def post_invitations(read_body, event_id: int):
    event = find_event(event_id)
    invited = invitations.invite_list(event.id, read_body()["list_id"])
    db.session.commit()
    return jsonify(invited=invited)
