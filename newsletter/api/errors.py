"""How the newsletter's operation errors answer in the API."""

from __future__ import annotations

from flask import Blueprint

from kkp.api import ApiError, api_error_response
from newsletter.issues import IssueError, IssueStateError
from people.addresses import ConflictError, SubscriptionError

#: the operations' field names → the names in this API's bodies
FIELD_NAMES = {"lists": "list_ids", "image_alt": "image", "scheduled_at": "at"}


def subscription_error(exc: SubscriptionError):
    """409 for a conflict with stored data, else 422 naming the field."""
    status = 409 if isinstance(exc, ConflictError) else 422
    return api_error_response(
        ApiError(status, str(exc), {exc.field: str(exc)} if exc.field else None)
    )


def issue_error(exc: IssueError):
    """422 for bad input, naming this API's field; 409 when the issue's status forbids
    the action."""
    status = 409 if isinstance(exc, IssueStateError) else 422
    field = FIELD_NAMES.get(exc.field or "", exc.field)
    return api_error_response(ApiError(status, str(exc), {field: str(exc)} if field else None))


def handle_errors(bp: Blueprint) -> None:
    """Answer the newsletter's operation errors on `bp` as the API does."""
    bp.register_error_handler(SubscriptionError, subscription_error)
    bp.register_error_handler(IssueError, issue_error)
