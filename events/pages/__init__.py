"""The events' public pages, on the blueprint ``events``: the list, each event and its
registration form (:mod:`.events`), a registration's own page (:mod:`.registration`),
and the calendars and feeds that calendar apps and feed readers fetch
(:mod:`.published`)."""

from events.pages import published, registration  # noqa: F401  (their routes join bp)
from events.pages.events import bp

__all__ = ["bp"]
