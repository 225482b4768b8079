"""The public event list's filter: kind, format and month, as GET parameters so a
filtered list can be bookmarked and shared. A value the form never offers (an old
link, a typed URL) is left out, except an unknown kind: that page does not exist."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

from babel.dates import format_date
from flask_babel import gettext as _

from events.models import EventFormat, EventKind
from kkp.i18n import BERLIN

#: how many months ahead the month filter offers, this one included
MONTHS = 12


class UnknownKind(LookupError):
    """The kind in the address is not one of the event kinds."""


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def month_choices(today: date, locale: str) -> list[tuple[str, str]]:
    """("2026-12", "Dezember 2026") for this month and the eleven after it."""
    firsts = [_month_start(today.year, today.month + n) for n in range(MONTHS)]
    return [(f"{d:%Y-%m}", format_date(d, "LLLL yyyy", locale=locale)) for d in firsts]


def format_choices() -> list[tuple[str, str]]:
    return [
        (EventFormat.IN_PERSON, _("In person")),
        (EventFormat.ONLINE, _("Online")),
        (EventFormat.HYBRID, _("Hybrid")),
    ]


@dataclass(frozen=True)
class EventFilter:
    kind: EventKind | None = None
    format: EventFormat | None = None
    #: the first day of the chosen month
    month: date | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str], kinds: list[EventKind], today: date):
        kind = None
        if args.get("kind"):
            kind = next((k for k in kinds if k.slug == args["kind"]), None)
            if kind is None:
                raise UnknownKind(args["kind"])
        offered_formats = {str(f) for f in EventFormat}
        fmt = EventFormat(args["format"]) if args.get("format") in offered_formats else None
        offered_months = {value for value, _label in month_choices(today, "en")}
        month = None
        if args.get("month") in offered_months:
            year, number = args["month"].split("-")
            month = date(int(year), int(number), 1)
        return cls(kind=kind, format=fmt, month=month)

    @property
    def active(self) -> bool:
        return bool(self.kind or self.format or self.month)

    @property
    def month_value(self) -> str:
        return f"{self.month:%Y-%m}" if self.month else ""

    def month_bounds(self) -> tuple[datetime, datetime] | None:
        """The chosen month in Europe/Berlin as UTC instants [start, end)."""
        if self.month is None:
            return None
        following = _month_start(self.month.year, self.month.month + 1)

        def instant(day: date) -> datetime:
            return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)

        return instant(self.month), instant(following)
