"""The audit log as editors read it: every action, channel, object and detail in words
of the interface's language, never a dotted code or JSON.

`ACTIONS` names every action that `kkp.auth.operations.audit` records (a test reads
the code for them). Ids in the details and the entry's object become names and links
through the namers the domains register with :func:`register_names`, since the
foundation does not know the domains' tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_number, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from kkp.auth.audit_sentences import NOBODY, SENTENCES, SYSTEM
from kkp.auth.models import ApiToken, AuditChannel, Editor, EditorRole
from kkp.extensions import db
from kkp.i18n import berlin

#: every audited action; `audit("…")` with an action missing here fails a test
ACTIONS = {
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "subscriber.bulk_add": _l("Subscribers added to a list"),
    "subscriber.bulk_remove": _l("Subscribers removed from a list"),
    "subscriber.bulk_delete": _l("Subscribers deleted"),
    "certificate.issue": _l("Certificate of attendance issued"),
    "certificate.send": _l("Certificate of attendance sent"),
    "certificate.send_all": _l("Certificates of attendance sent"),
    "event.feedback_invite": _l("Feedback invitations sent"),
    "event_series.feedback_invite": _l("Feedback invitations sent"),
    "consent_text.publish": _l("Consent text published"),
    "editor.create": _l("Editor account created"),
    "editor.password_change": _l("Password changed"),
    "event.create": _l("Event created"),
    "event.update": _l("Event changed"),
    "event.questions": _l("Registration questions of an event changed"),
    "event_series.questions": _l("Registration questions of a series changed"),
    "event.materials": _l("Materials of an event changed"),
    "event_series.materials": _l("Materials of a series changed"),
    "event.follow_up": _l("Follow-up mail of an event sent"),
    "event_series.follow_up": _l("Follow-up mail of a series sent"),
    "event.publish": _l("Event published"),
    "event.cancel": _l("Event called off"),
    "event.delete": _l("Event deleted"),
    "event.anonymise": _l("Participants' data anonymised"),
    "data_request.find": _l("Personal data looked up (data subject request)"),
    "data_request.export": _l("Personal data exported (data subject request)"),
    "data_request.erase": _l("Personal data erased (data subject request)"),
    "event.invite_list": _l("List invited to the event"),
    "event_kind.create": _l("Kind of event created"),
    "event_series.save": _l("Series saved"),
    "event_series.settings": _l("Booking of a series changed"),
    "course_booking.add": _l("Course booked for someone"),
    "course_booking.remove": _l("Participant removed from a course"),
    "course_booking.move_up": _l("Moved up on a course's waiting list"),
    "course_booking.consent_withdraw": _l("Consent withdrawn for a participant of a course"),
    "import.upload": _l("CSV file uploaded for import"),
    "import.create": _l("CSV import started"),
    "import.fail": _l("CSV import failed"),
    "import.finish": _l("CSV import finished"),
    "issue.create": _l("Issue created"),
    "issue.delete": _l("Issue deleted"),
    "issue.send": _l("Sending started"),
    "issue.schedule": _l("Sending scheduled"),
    "issue.unschedule": _l("Scheduled sending withdrawn"),
    "issue.pause": _l("Sending paused"),
    "issue.resume": _l("Sending resumed"),
    "issue.cancel": _l("Sending cancelled"),
    "issue.resend_interrupted": _l("Interrupted deliveries sent again"),
    "issue.test_send": _l("Test mail sent"),
    "issue.template_set": _l("Issue made the template"),
    "issue.template_clear": _l("Issue no longer the template"),
    "list.create": _l("List created"),
    "list.update": _l("List changed"),
    "registration.add": _l("Registration added"),
    "registration.remove": _l("Participant removed"),
    "registration.move_up": _l("Moved up from the waiting list"),
    "registration.move": _l("Moved to another date"),
    "registration.consent_withdraw": _l("Consent withdrawn for a participant"),
    "registration.bulk_confirm": _l("Registrations confirmed by the office"),
    "registration.bulk_move_up": _l("Several moved up from the waiting list"),
    "registration.message": _l("Message sent to participants"),
    "registration.export": _l("Participants exported"),
    "registration.attendance": _l("Attendance marked"),
    "attendance_scan.upload": _l("Scan of a sign-in sheet uploaded"),
    "attendance_scan.delete": _l("Scan of a sign-in sheet deleted"),
    "settings.change": _l("Settings changed"),
    "subscriber.create": _l("Subscriber added"),
    "subscriber.update": _l("Subscriber changed"),
    "subscriber.delete": _l("Subscriber deleted"),
    "suppression.release": _l("Blocked address released"),
    "subscriber.export": _l("Subscribers exported"),
    "subscriber.unsubscribe": _l("Unsubscribed from a list"),
}

#: through what an editor (or nobody) acted, `AuditEntry.channel`
CHANNELS = {
    AuditChannel.WEB: _l("Editors' interface"),
    AuditChannel.API: _l("API"),
    AuditChannel.CLI: _l("Command line"),
    AuditChannel.WORKER: _l("Background job"),
    AuditChannel.PUBLIC: _l("Public page"),
}

#: what `AuditEntry.object_type` (a model's class name) is
OBJECT_TYPES = {
    "ApiToken": _l("API token"),
    "Bounce": _l("Bounce"),
    "Editor": _l("Editor account"),
    "Event": _l("Event"),
    "EventKind": _l("Kind of event"),
    "EventSeries": _l("Series"),
    "ImportJob": _l("CSV import"),
    "Issue": _l("Issue"),
    "MailingList": _l("List"),
    "Registration": _l("Registration"),
    "Subscriber": _l("Subscriber"),
}

#: the details' keys; every keyword of an `audit(…)` call has one (a test checks)
DETAILS = {
    "at": _l("Time"),
    "answers": _l("Answers deleted"),
    "attendance": _l("Attendance"),
    "booking_id": _l("Booking no."),
    "booking_ids": _l("Course bookings no."),
    "bookings": _l("Course bookings"),
    "certificates": _l("Certificates"),
    "consents": _l("Consents deleted"),
    "consent_id": _l("Consent no."),
    "deliveries": _l("Mails without recipient"),
    "scans": _l("Scans of sign-in sheets deleted"),
    "registration_ids": _l("Registrations no."),
    "registrations": _l("Registrations"),
    "cancelled": _l("No longer sent"),
    "count": _l("How many"),
    "event_id": _l("Event"),
    "own_choice": _l("Left alone: they left the list themselves"),
    "unchanged": _l("Unchanged"),
    "existing": _l("People already subscribed"),
    "full": _l("Not moved up: no free seat"),
    "from_event_id": _l("Previous date"),
    "group": _l("Group"),
    "columns": _l("Columns"),
    "format": _l("Format"),
    "fields": _l("Changed"),
    "imported": _l("Added"),
    "invited": _l("Invited"),
    "issues": _l("Issues received lately"),
    "keys": _l("Changed settings"),
    "list_id": _l("List"),
    "lists": _l("Lists"),
    "note": _l("Note"),
    "number": _l("Number"),
    "purpose": _l("Purpose"),
    "reason": _l("Reason"),
    "recipients": _l("Recipients"),
    "rejected": _l("Rejected"),
    "role": _l("Role"),
    "rows": _l("Rows"),
    "scope": _l("How people register"),
    "searched": _l("With a search"),
    "selected": _l("Selected"),
    "status": _l("Status"),
    "subscriber_id": _l("Subscriber no."),
    "title": _l("Title"),
    "told": _l("Participants told"),
    "updated": _l("Updated"),
    "version": _l("Version"),
    "waiting": _l("On the waiting list (the event was full)"),
    "with_evidence": _l("With consent evidence"),
}

#: values that are codes, by detail key; a code missing here is shown as it is
VALUES = {
    "scope": {
        "dates": _l("Each date on its own"),
        "course": _l("The whole course at once (one booking for all dates)"),
        "one_of": _l("One of several dates (the same event offered more than once)"),
    },
    "status": {
        "confirmed": _l("Confirmed"),
        "pending": _l("Waiting for confirmation"),
        "waiting": _l("Waiting list"),
        "invited": _l("Invited"),
        "cancelled": lazy_pgettext("registration", "Cancelled"),
        "declined": _l("Declined"),
    },
    "attendance": {
        "present": _l("Present"),
        "absent": _l("Absent"),
        "excused": _l("Excused"),
        "unmarked": _l("Not marked"),
    },
    "role": {EditorRole.ADMIN: _l("Administrator"), EditorRole.EDITOR: _l("Editor")},
    # the import's choices (newsletter.models.ExistingPolicy, which the foundation
    # cannot import)
    "existing": {
        "add_lists": _l("Add them to the chosen lists; keep their name and organisation"),
        "update": _l(
            "Update their name, organisation and language from the file; keep their lists"
        ),
        "skip": _l("Leave them as they are"),
    },
    "group": {
        "all": _l("All"),
        "confirmed": _l("Confirmed"),
        "waiting": _l("Waiting list"),
        "attended": _l("Attended"),
        "absent": _l("Absent"),
    },
    "reason": {
        "unsubscribed": _l("Unsubscribed"),
        "deleted": _l("Deletion requested"),
        "bounced": _l("Bounced"),
        "complained": _l("Marked as spam"),
    },
    "purpose": {
        "newsletter": _l("Newsletter sign-up"),
        "event_registration": _l("Event registration"),
    },
    "fields": {
        # events
        "starts_at": _l("Start"),
        "ends_at": _l("End"),
        "all_day": _l("All day (no times)"),
        "format": _l("Format"),
        "venue": _l("Venue"),
        "address": _l("Address"),
        "join_url": _l("Join link"),
        "title": _l("Title"),
        "summary": _l("Summary"),
        "description": _l("Description"),
        "organizer_name": _l("Organiser"),
        "organizer_email": _l("Organiser's e-mail address"),
        "registration_mode": _l("Registration"),
        "kind_id": _l("Kind of event"),
        # lists and subscribers
        "name": _l("Name"),
        "slug": _l("Short name"),
        "is_public": _l("Shown on the sign-up form"),
        "position": _l("Position"),
        "organisation": _l("Organisation"),
        "lists": _l("Lists"),
    },
    "keys": {
        "newsletter_name": _l("Name of the newsletter"),
        "sender_name": _l("Sender name"),
        "disclaimer": _l("Disclaimer"),
        "call_for_contributions": _l("Call for contributions"),
        "contact_email": _l("Contact e-mail address"),
        "impressum_url": _l("Address of the legal notice (Impressum)"),
        "impressum_text": _l("Or the legal notice as text"),
        "privacy_url": _l("Address of the privacy notice"),
        "privacy_text": _l("Or the privacy notice as text"),
        "accessibility_text": _l("Accessibility statement"),
        "office_name": _l("Name of the office"),
        "postal_address": _l("Postal address"),
        "accent_colour": _l("Accent colour"),
        "logo_image_id": _l("Logo"),
    },
}
#: detail keys whose ids name an object of this type
ID_KEYS = {
    "list_id": "MailingList",
    "lists": "MailingList",
    "event_id": "Event",
    "from_event_id": "Event",
}

#: object type -> function(ids) -> {id: (name, url or None)}
Namer = Callable[[set[int]], dict[int, tuple[str, str | None]]]
_namers: dict[str, Namer] = {}


def register_names(object_type: str, namer: Namer) -> None:
    """Let the audit log show objects of `object_type` by name (and link) instead of id."""
    _namers[object_type] = namer


@dataclass(frozen=True)
class Named:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    at: datetime
    who: str | None
    channel: str
    action: str
    #: who did what to which object, in a sentence with the object linked
    sentence: Markup
    #: what kind of object (e.g. "Issue"), and the object by name
    object_label: str | None
    object: Named | None
    details: list[tuple[str, list[Named]]]


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def describe(entries: Iterable) -> list[Line]:
    """The audit entries in words; names for ids looked up once per type for all."""
    entries = list(entries)
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_type and entry.object_id is not None:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
        for key, kind in ID_KEYS.items():
            value = (entry.details or {}).get(key)
            ids = value if isinstance(value, list) else [value]
            wanted.setdefault(kind, set()).update(i for i in ids if isinstance(i, int))
    names = {
        kind: _namers[kind](ids) if kind in _namers and ids else {} for kind, ids in wanted.items()
    }

    def named(kind: str, object_id: int) -> Named:
        name, url = names.get(kind, {}).get(object_id, (None, None))
        return Named(name, url) if name else Named(_("no. %(id)s", id=object_id))

    lines = []
    for entry in entries:
        label = obj = None
        if entry.object_type:
            label = str(OBJECT_TYPES.get(entry.object_type, entry.object_type))
            if entry.object_id is not None:
                obj = named(entry.object_type, entry.object_id)
                if obj.url is None:  # deleted since: the name it had, where recorded
                    gone = (entry.details or {}).get("title") or (entry.details or {}).get("number")
                    obj = Named(str(gone)) if gone else obj
        who = (entry.editor.name or entry.editor.email) if entry.editor else None
        lines.append(
            Line(
                at=entry.at,
                who=who,
                channel=str(CHANNELS.get(entry.channel, entry.channel)),
                action=action_label(entry.action),
                sentence=sentence(entry.action, entry.channel, who, obj),
                object_label=label,
                object=obj,
                details=_details(entry.details or {}, named),
            )
        )
    return lines


def sentence(action: str, channel: str, who: str | None, obj: Named | None) -> Markup:
    """Who did what to which object, the object a link where it has a page."""
    if who is None:
        who = str(NOBODY.get(channel, SYSTEM))
    shown: Markup | str = _("(unknown)")
    if obj is not None:
        shown = Markup('<a href="%s">%s</a>') % (obj.url, obj.text) if obj.url else obj.text
    template = SENTENCES.get(action)
    if template is None:
        return Markup("%s: %s") % (who, action_label(action))
    return escape(str(template)) % {"who": who, "object": shown}


def _details(details: dict, named: Callable[[str, int], Named]) -> list[tuple[str, list[Named]]]:
    out = []
    for key, value in details.items():
        if value is None or value == [] or value == "":
            continue
        shown = _value(key, value, named)
        if shown:
            out.append((str(DETAILS.get(key, key)), shown))
    return out


def _value(key: str, value, named: Callable[[str, int], Named]) -> list[Named]:
    if key in ID_KEYS:
        ids = value if isinstance(value, list) else [value]
        return [named(ID_KEYS[key], i) for i in ids if isinstance(i, int)]
    if isinstance(value, bool):
        return [Named(_("yes") if value else _("no"))]
    if key.endswith("_id"):
        return [Named(str(value))]
    if isinstance(value, int):
        return [Named(format_number(value))]
    if key == "at" and isinstance(value, str):
        try:
            return [Named(berlin(datetime.fromisoformat(value)))]
        except ValueError:
            return [Named(value)]
    words = VALUES.get(key, {})
    values = value if isinstance(value, list) else [value]
    return [Named(str(words.get(v, v))) for v in values]


def _editors(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(Editor.id, Editor.email).where(Editor.id.in_(ids)))
    return {i: (email, url_for("auth.editors")) for i, email in rows}


def _tokens(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids)))
    return {i: (name, url_for("auth.tokens")) for i, name in rows}


register_names("Editor", _editors)
register_names("ApiToken", _tokens)
