"""What changed for participants: the old values of time, place and join link, kept
as JSON in an update mail's delivery params when the editor saves, and the lines the
mail shows ("Zeit: alt → neu", "Ort: alt → neu", "Link: neu")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import force_locale, pgettext
from flask_babel import gettext as _

from events.dates import when
from events.models import Event, EventFormat, Participation

#: the columns whose old values an update mail needs, by what they change
TIME = ("starts_at", "ends_at", "all_day")
PLACE = ("venue", "address", "format")
LINK = ("join_url",)


@dataclass(frozen=True)
class Change:
    """One line of the mail; `old` empty when only the new state is worth saying."""

    label: str
    old: str
    new: str


def before(event: Event, fields: list[str]) -> dict:
    """The old values of the changed `fields` (call before storing the new ones), as
    JSON: instants in ISO 8601."""
    old = {}
    for name in fields:
        value = getattr(event, name)
        old[name] = value.isoformat() if isinstance(value, datetime) else value
    return old


def _old_event(event: Event, old: dict) -> Event:
    """A transient copy with the old time (never added to the session)."""
    return Event(
        starts_at=datetime.fromisoformat(old.get("starts_at") or event.starts_at.isoformat()),
        ends_at=datetime.fromisoformat(old.get("ends_at") or event.ends_at.isoformat()),
        all_day=old.get("all_day", event.all_day),
    )


def _place(venue: str, address: str, event_format: str) -> str:
    if event_format == EventFormat.ONLINE:
        return ""
    return ", ".join(p for p in (venue, address) if p)


def changes(event: Event, old: dict, locale: str, participation: str = "") -> list[Change]:
    """The mail's lines for the update of `event`, whose old values `old` holds; an
    online participant of a hybrid event is not told about the place, one on site not
    about the link."""
    lines: list[Change] = []
    hybrid = event.format == EventFormat.HYBRID
    with force_locale(locale):
        if any(name in old for name in TIME):
            was = when(_old_event(event, old), locale)
            lines.append(Change(_("Time"), was, when(event, locale)))
        if any(name in old for name in PLACE) and not (
            hybrid and participation == Participation.ONLINE
        ):
            was = _place(
                old.get("venue", event.venue),
                old.get("address", event.address),
                old.get("format", event.format),
            )
            now = event.place if event.is_in_person else ""
            if was != now:
                lines.append(
                    Change(pgettext("location", "Place"), was or "–", now or _("online only"))
                )
        if "join_url" in old and not (hybrid and participation == Participation.ON_SITE):
            # the old link is named, not repeated: a mail that shows it invites a click
            # into the room nobody is in any more
            was = _("the previous link") if old["join_url"] else ""
            if event.join_url and event.is_online:
                lines.append(Change(_("Link"), was, event.join_url))
            elif old["join_url"]:
                lines.append(Change(_("Link"), "", _("no longer online")))
    return lines
