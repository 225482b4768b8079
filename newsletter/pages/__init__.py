"""The newsletter's public pages, on the blueprint ``newsletter``: subscribing,
confirming, the preferences and leaving (:mod:`.subscribing`), and the archive with its
feeds and pictures (:mod:`.archive`), and the office's appearance on every page
(:mod:`.branding`), and a participant's own data from her registration's link
(:mod:`.own_data`). The newsletter box of the events' registration forms joins here
(:mod:`newsletter.event_signup`)."""

from newsletter import event_signup  # noqa: F401  (registers the events' newsletter box)
from newsletter.pages import archive, branding, own_data  # noqa: F401  (their routes join bp)
from newsletter.pages.subscribing import bp

__all__ = ["bp"]
