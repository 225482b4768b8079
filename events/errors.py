"""The events' `InputError` family: what the event pages, the API and the registration
forms catch."""

from __future__ import annotations

from kkp.forms import ConflictError, InputError


class EventError(InputError):
    """Bad input for an event; `errors` maps form fields to messages."""


class EventStateError(EventError, ConflictError):
    """A change the event's status forbids (publishing a cancelled event, say)."""
