"""The events' public pages, on the blueprint ``events``: the list, each event and its
registration form (:mod:`.events`), booking a whole course (:mod:`.courses`), a
registration's own page (:mod:`.registration`), and the calendars and feeds that
calendar apps and feed readers fetch (:mod:`.published`)."""

from events.pages import courses, published, registration  # noqa: F401  (routes join bp)
from events.pages.events import bp

__all__ = ["bp"]
