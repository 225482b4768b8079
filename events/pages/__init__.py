"""The events' public pages, on the blueprint ``events``, a module each: the list, each
event and its registration form (:mod:`.events`); a series' page (:mod:`.series`);
booking a whole course (:mod:`.courses`); a registration's own page
(:mod:`.registration`), its materials (:mod:`.materials`) and its consents
(:mod:`.own_consents`); the calendars and feeds
that calendar apps and feed readers fetch (:mod:`.published`); certificates, the
holder's PDF and their public check (:mod:`.certificates`); the anonymous feedback
form (:mod:`.feedback`)."""

from events.pages import (  # noqa: F401  (their routes join bp)
    certificates,
    courses,
    feedback,
    materials,
    own_consents,
    published,
    registration,
    series,
)
from events.pages.events import bp

__all__ = ["bp"]
