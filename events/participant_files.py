"""The participants of a date or a course as a file the editor asked for (CSV, XLSX,
PDF list, name badges): the group and the columns she chose, one audit entry saying
how many rows left the service. The admin pages and the API both call
:func:`participant_file`."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from events.models import Event, EventSeries
from events.participant_columns import Column, chosen_columns, course_columns, event_columns
from events.participant_export import (
    MIME_TYPES,
    ExportFormat,
    filename,
    participant_sheet,
    sheet_csv,
    sheet_xlsx,
)
from events.participant_groups import Participant, course_participants, event_participants
from events.participant_pdf import Badge, badges_pdf, list_pdf
from kkp.auth.operations import audit
from kkp.office import office_name


@dataclass
class ParticipantFile:
    data: bytes
    filename: str
    mimetype: str
    rows: int


def columns_of(owner: Event | EventSeries, people: list[Participant] = ()) -> list[Column]:
    """Every column the editor may pick for a date or a course."""
    if isinstance(owner, EventSeries):
        return course_columns(owner, list(people))
    return event_columns(owner, list(people))


def people_of(owner: Event | EventSeries, group: str) -> list[Participant]:
    if isinstance(owner, EventSeries):
        return course_participants(owner.id, group)
    return event_participants(owner.id, group)


def participant_file(
    owner: Event | EventSeries, *, group: str, keys: list[str] | None, export_format: str
) -> ParticipantFile:
    """The file; the columns named in `keys` (the defaults if none), badges with
    name and organisation whatever was chosen."""
    people = people_of(owner, group)
    if export_format == ExportFormat.BADGES:
        data = badges_pdf(
            [Badge(p.name, p.organisation, owner.title) for p in people],
            title=_("Name badges: %(title)s", title=owner.title),
        )
    else:
        columns = chosen_columns(columns_of(owner, people), keys)
        sheet = participant_sheet(owner.title, columns, people)
        if export_format == ExportFormat.CSV:
            data = sheet_csv(sheet)
        elif export_format == ExportFormat.XLSX:
            data = sheet_xlsx(sheet)
        else:
            data = list_pdf(sheet, heading=f"{office_name()} · {owner.title}")
    audit(
        "registration.export",
        owner,
        group=group,
        format=export_format,
        rows=len(people),
        columns=len(keys or []),
    )
    return ParticipantFile(
        data, filename(owner.slug, export_format), MIME_TYPES[export_format], len(people)
    )
