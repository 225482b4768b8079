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


def _takes_part(event_format: str, participation: str) -> tuple[bool, bool]:
    """Whether she is on site and whether online in `event_format`: for a hybrid
    event, what she chose (both if she did not); else what the event is."""
    if event_format == EventFormat.HYBRID and participation:
        return participation == Participation.ON_SITE, participation == Participation.ONLINE
    in_person = event_format in (EventFormat.IN_PERSON, EventFormat.HYBRID)
    return in_person, event_format in (EventFormat.ONLINE, EventFormat.HYBRID)


def changes(event: Event, old: dict, locale: str, participation: str = "") -> list[Change]:
    """The mail's lines for the update of `event`, whose old values `old` holds, as
    she takes part (`participation` for a hybrid event): the place where she goes,
    the link she joins by, before and now. An online participant of a hybrid event is
    not told about its place, one on site not about its link; a change of format is
    told as the place and link it changes for her. No lines: nothing changed for her."""
    lines: list[Change] = []
    was_on_site, was_online = _takes_part(old.get("format", event.format), participation)
    on_site, online = _takes_part(event.format, participation)
    with force_locale(locale):
        if any(name in old for name in TIME):
            was = when(_old_event(event, old), locale)
            lines.append(Change(_("Time"), was, when(event, locale)))
        if any(name in old for name in PLACE):
            venue, address = old.get("venue", event.venue), old.get("address", event.address)
            was = ", ".join(p for p in (venue, address) if p) if was_on_site else ""
            now = event.place if on_site else ""
            if was != now:
                lines.append(
                    Change(
                        pgettext("location", "Place"),
                        was or _("online"),
                        now or _("online only"),
                    )
                )
        if any(name in old for name in ("format", *LINK)):
            was = old.get("join_url", event.join_url) if was_online else ""
            now = event.join_url if online else ""
            # the old link is named, not repeated: a mail that shows it invites a click
            # into the room nobody is in any more
            if now and now != was:
                lines.append(Change(_("Link"), _("the previous link") if was else "", now))
            elif was and not now:
                lines.append(Change(_("Link"), "", _("no longer online")))
    return lines
