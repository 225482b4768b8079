"""JSON API for a message to a group of a date's or a course's participants (all,
confirmed, waiting, attended, absent), written in Markdown and mailed through the
outbox: first a dry run that says how many people it reaches (what the editors' page
asks before it sends), then the message. Thin routes over
:mod:`events.group_messages`: the same checks, the same audit, and a `key` against a
second send."""

from __future__ import annotations

import re
import secrets

import marshmallow as ma
from flask import jsonify
from flask_babel import gettext as _

from events.api.errors import handle_errors
from events.api.events import EVENT_ID, find_event
from events.bulk import MAX_SUBJECT, MAX_TEXT
from events.group_messages import message_check, message_group
from events.models import EventSeries
from events.participant_groups import PARTICIPANT_GROUPS
from kkp.api import ApiBlueprint, ApiError, get_or_404
from kkp.api_docs import id_parameter
from kkp.api_fields import AnswerSchema, ApiSchema, Flag, Markdown, Text, answer
from kkp.extensions import db

bp = ApiBlueprint("messages", __name__, tag="participants")
handle_errors(bp)

_SERIES_ID = [id_parameter("series_id", "The series' id.")]
#: what a message's key may be, as the editors' page makes it
_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")


class GroupMessageSchema(ApiSchema):
    EXAMPLES = [
        {
            "group": "confirmed",
            "subject": "Raumänderung",
            "body": "Wir treffen uns im **Saal 2**.",
            "dry_run": True,
        }
    ]

    group = Text(
        20,
        choices=PARTICIPANT_GROUPS,
        required=True,
        metadata={"description": "all, confirmed, waiting, attended or absent."},
    )
    subject = Text(MAX_SUBJECT, required=True)
    body = Markdown(MAX_TEXT, required=True, metadata={"description": "Markdown."})
    dry_run = Flag(
        metadata={"default": False, "description": "Only count who it would reach; mail nobody."}
    )
    key = Text(
        64,
        pattern=_KEY.pattern.join("^$"),
        metadata={
            "description": "Names this message (8 to 64 letters, digits, - or _): whoever "
            "has the message with this key is not mailed again, so a repeated request "
            "mails nobody twice. Default: a new key."
        },
    )


class GroupMessageAnswerSchema(AnswerSchema):
    reached = answer(
        ma.fields.Integer, description="People of the group the message reaches (or would)."
    )
    queued = answer(
        ma.fields.Integer,
        description="Mails queued now: 0 on a dry run; without those who have it already.",
    )


#: the operations' field names → the body's
_FIELDS = {"text": "body"}


def _answer(read_body, *, event_id: int | None = None, series_id: int | None = None):
    values = read_body()
    key = values.get("key") or secrets.token_urlsafe(16)
    owner = {"event_id": event_id} if series_id is None else {"series_id": series_id}
    errors, reached = message_check(
        **owner, group=values["group"], subject=values["subject"], text=values["body"]
    )
    if not _KEY.fullmatch(key):
        errors["key"] = _("8 to 64 letters, digits, - or _, please.")
    if errors:
        fields = {_FIELDS.get(name, name): problem for name, problem in errors.items()}
        message = next(iter(fields.values())) if len(fields) == 1 else None
        raise ApiError(422, message or _("Please check the fields named."), fields)
    if values.get("dry_run"):
        return jsonify(reached=len(reached), queued=0)
    outcome = message_group(
        **owner, group=values["group"], subject=values["subject"], text=values["body"], key=key
    )
    db.session.commit()
    return jsonify(reached=len(reached), queued=outcome.done)


_DESCRIPTION = (
    "One mail per person (of a course: per booking) through the outbox, after the "
    "commit. With `dry_run` only the count, as the editors' page asks before it sends. "
    "An empty subject or message, or a group nobody of which can be written to: 422."
)


@bp.route(
    "/events/<int:event_id>/messages",
    endpoint="event_message",
    methods=["POST"],
    parameters=EVENT_ID,
)
@bp.doc(
    operationId="messageEventGroup",
    summary="Write to a group of a date's participants (or count who it reaches).",
    description=_DESCRIPTION,
)
@bp.body(GroupMessageSchema)
@bp.response(200, GroupMessageAnswerSchema, description="How many it reaches, and mails queued.")
@bp.errors(400, 404, 422)
def post_event_message(read_body, event_id: int):
    return _answer(read_body, event_id=find_event(event_id).id)


@bp.route(
    "/series/<int:series_id>/messages",
    endpoint="series_message",
    methods=["POST"],
    parameters=_SERIES_ID,
)
@bp.doc(
    operationId="messageCourseGroup",
    summary="Write to a group of a course's participants (or count who it reaches).",
    description=_DESCRIPTION,
)
@bp.body(GroupMessageSchema)
@bp.response(200, GroupMessageAnswerSchema, description="How many it reaches, and mails queued.")
@bp.errors(400, 404, 422)
def post_series_message(read_body, series_id: int):
    series = get_or_404(EventSeries, series_id, _("There is no such series."))
    return _answer(read_body, series_id=series.id)
