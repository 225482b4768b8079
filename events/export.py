"""An event's participants as a CSV file that German spreadsheet programs open as
they are: UTF-8 with BOM, `;` between fields, CRLF, times in Europe/Berlin, cells a
spreadsheet would run as a formula defused (the helpers of :mod:`kkp.spreadsheet`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from events.models import Registration, RegistrationSource, RegistrationStatus
from kkp.spreadsheet import BOM, berlin_time, spreadsheet_safe

#: the file is for German offices whatever language the editor uses
HEADER = (
    "Status",
    "Wartelistenplatz",
    "Name",
    "E-Mail",
    "Organisation",
    "Quelle",
    "Angemeldet am",
    "Bestätigt am",
    "Storniert am",
)
STATUS_WORDS = {
    RegistrationStatus.CONFIRMED: "angemeldet",
    RegistrationStatus.PENDING: "unbestätigt (Platz vorgemerkt)",
    RegistrationStatus.PENDING_WAITING: "unbestätigt (Warteliste)",
    RegistrationStatus.EXPIRED: "nicht bestätigt (verfallen)",
    RegistrationStatus.WAITING: "Warteliste",
    RegistrationStatus.INVITED: "eingeladen",
    RegistrationStatus.CANCELLED: "storniert",
    RegistrationStatus.DECLINED: "abgesagt",
}
SOURCE_WORDS = {
    RegistrationSource.FORM: "Anmeldeformular",
    RegistrationSource.EDITOR: "Redaktion",
    RegistrationSource.INVITATION: "Einladung",
    RegistrationSource.API: "API",
}
#: the order of the file: the people who come first, the waiting list in its order
STATUS_ORDER = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.PENDING,
    RegistrationStatus.WAITING,
    RegistrationStatus.PENDING_WAITING,
    RegistrationStatus.INVITED,
    RegistrationStatus.DECLINED,
    RegistrationStatus.CANCELLED,
    RegistrationStatus.EXPIRED,
)


@dataclass(frozen=True)
class ExtraColumns:
    """Columns after the fixed ones: the editor's questions and optional consents
    (:func:`events.answers.export_columns`); the cells per registration id."""

    headings: Sequence[str] = ()
    cells: Mapping[int, Sequence[str]] = field(default_factory=dict)

    def row(self, registration_id: int) -> list[str]:
        return list(self.cells.get(registration_id, ())) or [""] * len(self.headings)


def participant_row(registration: Registration, place: int | None) -> list[str]:
    cells = [
        STATUS_WORDS.get(registration.status, registration.status),
        str(place) if place else "",
        registration.name,
        registration.email,
        registration.organisation,
        SOURCE_WORDS.get(registration.source, registration.source),
        berlin_time(registration.created_at),
        berlin_time(registration.confirmed_at),
        berlin_time(registration.cancelled_at),
    ]
    return [spreadsheet_safe(c) for c in cells]


def participants_csv(
    groups: dict[str, Iterable[Registration]],
    places: dict[int, int] | None = None,
    *,
    extra: ExtraColumns | None = None,
) -> bytes:
    """`groups` maps each status to its registrations, the waiting list in order;
    `places` (registration id → place) when the waiting list given is only a part;
    `extra` the answers and consents, a column each."""
    extra = extra or ExtraColumns()
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([*HEADER, *(spreadsheet_safe(h) for h in extra.headings)])
    for status in STATUS_ORDER:
        for place, registration in enumerate(groups.get(status, ()), start=1):
            if status != RegistrationStatus.WAITING:
                place = None
            elif places is not None:
                place = places.get(registration.id)
            cells = [spreadsheet_safe(c) for c in extra.row(registration.id)]
            writer.writerow([*participant_row(registration, place), *cells])
    return buffer.getvalue().encode("utf-8")


def filename(slug: str) -> str:
    return f"teilnehmende-{slug}.csv"
