"""The newsletter's public pages, on the blueprint ``newsletter``: subscribing,
confirming, the preferences and leaving (:mod:`.subscribing`), and the archive with its
feeds and pictures (:mod:`.archive`)."""

from newsletter.pages import archive  # noqa: F401  (its routes join bp)
from newsletter.pages.subscribing import bp

__all__ = ["bp"]
