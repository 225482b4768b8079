"""How the event operations' errors answer in the API: 422 naming this API's fields,
409 when the event's state forbids the action."""

from __future__ import annotations

from flask import Blueprint
from flask_babel import gettext as _

from events.event_input import EventError, EventStateError
from kkp.api import ApiError, api_error_response
from people.addresses import ConflictError, SubscriptionError

#: the operations' (the form's) field names → the names in this API's bodies
FIELD_NAMES = {
    "kind_id": "kind",
    "start_day": "start",
    "start_time": "start",
    "end_day": "end",
    "end_time": "end",
    "deadline_day": "registration_deadline",
    "deadline_time": "registration_deadline",
}


def api_fields(errors: dict[str, str]) -> dict[str, str]:
    """An :class:`EventError`'s messages under the API's field names (the first message
    wins where two form fields make one API field)."""
    fields: dict[str, str] = {}
    for name, message in errors.items():
        fields.setdefault(FIELD_NAMES.get(name, name), message)
    return fields


def event_error(exc: EventError):
    if isinstance(exc, EventStateError):
        return api_error_response(ApiError(409, str(exc)))
    fields = api_fields(exc.errors)
    message = str(exc) if len(fields) <= 1 else _("Please check the fields named.")
    return api_error_response(ApiError(422, message, fields))


def address_error(exc: SubscriptionError):
    """An address the operations refuse: 422 on its field (409 for a conflict)."""
    status = 409 if isinstance(exc, ConflictError) else 422
    return api_error_response(
        ApiError(status, str(exc), {exc.field: str(exc)} if exc.field else None)
    )


def handle_errors(bp: Blueprint) -> None:
    """Answer the event operations' errors on `bp` as the API does."""
    bp.register_error_handler(SubscriptionError, address_error)
    bp.register_error_handler(EventError, event_error)
