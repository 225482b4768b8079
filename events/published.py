"""What calendar apps and feed readers fetch: one event's .ics, the subscribable
calendars and the feeds of upcoming events (routes on the public blueprint)."""

from __future__ import annotations

from events.blueprint import bp  # noqa: F401
