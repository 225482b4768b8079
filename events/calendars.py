"""From events to the pure iCalendar builder in :mod:`events.ical`.

The public calendars show join links only for events without registration; an
invitation, which goes to one participant, always carries it.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from events.ical import CalendarEvent
from events.models import Event, EventFormat, EventStatus, Participation, RegistrationMode
from kkp.mail.message import sender_address
from kkp.markup import to_text
from kkp.office import office_name


def event_url(event: Event) -> str:
    return f"{current_app.config['KKP_BASE_URL']}/events/{event.slug}"


def _description(event: Event, *, with_join_url: bool) -> str:
    parts = [event.summary.strip()] if event.summary.strip() else []
    if event.description.strip():
        parts.append(to_text(event.description).strip())
    if with_join_url and event.join_url:
        parts.append(f"Online: {event.join_url}")
    parts.append(event_url(event))
    return "\n\n".join(parts)


def location(event: Event, *, with_join_url: bool, participation: str = "") -> str:
    """What LOCATION says; for a hybrid event's participant, her part alone (on site:
    the place; online: the link)."""
    place = event.place
    if event.format == EventFormat.ONLINE or (
        event.format == EventFormat.HYBRID and participation == Participation.ONLINE
    ):
        return event.join_url if with_join_url and event.join_url else "Online"
    if event.format == EventFormat.HYBRID and participation == Participation.ON_SITE:
        return place or "Online"
    if event.format == EventFormat.HYBRID:
        return f"{place} / Online" if place else "Online"
    return place


def calendar_event(
    event: Event,
    *,
    for_participant: bool = False,
    office: str | None = None,
    participation: str = "",
) -> CalendarEvent:
    """The event as a calendar shows it; `for_participant` adds the join link (for a
    hybrid event's participant on site, who has `participation`, not).

    office: the office's name, the organizer's without one of its own (read when not
    given; a whole calendar reads it once).
    """
    with_join = for_participant or event.registration_mode == RegistrationMode.NONE
    if event.format == EventFormat.HYBRID and participation == Participation.ON_SITE:
        with_join = event.registration_mode == RegistrationMode.NONE
    organizer_email = event.organizer_email or sender_address(current_app.config["KKP_MAIL_FROM"])
    organizer_name = event.organizer_name or office or office_name()
    if event.all_day:
        start, end = event.first_day, event.last_day
    else:
        start, end = event.starts_at, event.ends_at
    return CalendarEvent(
        uid=event.uid,
        sequence=event.sequence,
        summary=event.title,
        start=start,
        end=end,
        changed=event.changed_at,
        description=_description(event, with_join_url=with_join),
        location=location(event, with_join_url=with_join, participation=participation),
        url=event_url(event),
        organizer_name=organizer_name,
        organizer_email=organizer_email,
        status="CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED",
    )


#: cancelled events stay in the subscribed calendars, marked STATUS:CANCELLED, this long
#: after the cancellation, so every calendar app sees them go; then they disappear
CANCELLED_KEPT = timedelta(days=30)
#: events that ended longer ago than this are left out of the subscribed calendars
PAST_KEPT = timedelta(days=365)
