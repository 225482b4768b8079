"""An event's date and time as people read them, in Europe/Berlin.

"Dienstag, 12. Mai 2026, 10:00–12:00 Uhr" in German, "Tuesday, 12 May 2026,
10:00–12:00" in English; all-day and multi-day events without times.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_time

from events.models import Event
from kkp.i18n import BERLIN


def _day(value, locale: str) -> str:
    return format_date(value, "full", locale=locale)


def when(event: Event, locale: str = "de") -> str:
    """The event's date(s) and time(s), one line."""
    first, last = event.first_day, event.last_day
    if event.all_day:
        if first == last:
            return _day(first, locale)
        return f"{_day(first, locale)} – {_day(last, locale)}"
    start = event.starts_at.astimezone(BERLIN)
    end = event.ends_at.astimezone(BERLIN)
    start_time = format_time(start, "HH:mm", tzinfo=BERLIN, locale=locale)
    end_time = format_time(end, "HH:mm", tzinfo=BERLIN, locale=locale)
    suffix = " Uhr" if locale == "de" else ""
    if start.date() == end.date():
        return f"{_day(first, locale)}, {start_time}–{end_time}{suffix}"
    last = _day(end.date(), locale)
    return f"{_day(first, locale)}, {start_time}{suffix} – {last}, {end_time}{suffix}"


def short_day(event: Event, locale: str = "de") -> str:
    """e.g. "12.05.2026" (German) or "12 May 2026"."""
    if locale == "de":
        return event.first_day.strftime("%d.%m.%Y")
    return format_date(event.first_day, "medium", locale=locale)


def instant_text(value: datetime, locale: str) -> str:
    """A moment in Europe/Berlin, e.g. "12. Mai 2026, 18:00 Uhr"."""
    local = value.astimezone(BERLIN)
    day = format_date(local.date(), "long", locale=locale)
    suffix = " Uhr" if locale == "de" else ""
    return f"{day}, {local:%H:%M}{suffix}"
