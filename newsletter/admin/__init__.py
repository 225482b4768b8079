"""The editors' pages of the newsletter, on the blueprint ``newsletter_admin`` (/admin):
subscribers, lists and consent texts (:mod:`.subscribers`), issues and their articles
(:mod:`.issues`), what the composer's script asks and copies of issues
(:mod:`.composing`), sending and its progress (:mod:`.sending`), a sent issue's report
(:mod:`.reports`), CSV import (:mod:`.importing`), the office's settings
(:mod:`.settings`), appearance (:mod:`.branding`) and sender domain check
(:mod:`.sender_domain`), its sections of the start page (:mod:`.dashboard`), data
subject requests (:mod:`.data_requests`), returned mails and releasing a blocked
address (:mod:`.bounces`), and how the
newsletter's objects read in the audit log (:mod:`.audit`)."""

from newsletter.admin import (  # noqa: F401  (their routes join bp)
    audit,
    bounces,
    branding,
    bulk,
    composing,
    dashboard,
    data_requests,
    importing,
    issues,
    reports,
    sender_domain,
    sending,
    settings,
)
from newsletter.admin.subscribers import bp

__all__ = ["bp"]
