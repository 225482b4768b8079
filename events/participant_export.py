"""The participants of a date or a course with the columns the editor picks
(:mod:`events.participant_columns`) as CSV (our conventions: UTF-8 with BOM, `;`, CRLF,
times in Europe/Berlin) and XLSX (bold frozen header row, widths in characters, times as
real dates in Europe/Berlin). Every text cell goes through
:func:`kkp.spreadsheet.spreadsheet_safe`, so a name such as "=HYPERLINK(...)" never
runs as a formula. The PDF list and the badges are in :mod:`events.participant_pdf`.

The builders are pure: they take a :class:`Sheet` (headings and rows of plain values)
and return bytes; :func:`participant_sheet` makes one from the chosen columns.
"""

from __future__ import annotations

import csv
import enum
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from events.participant_columns import Cell, Column
from events.participant_groups import Participant
from kkp.i18n import BERLIN
from kkp.pdf import plain
from kkp.spreadsheet import BOM, berlin_time, spreadsheet_safe


class ExportFormat(enum.StrEnum):
    CSV = "csv"
    XLSX = "xlsx"
    PDF = "pdf"
    BADGES = "badges"


EXPORT_FORMATS = tuple(f.value for f in ExportFormat)
MIME_TYPES = {
    ExportFormat.CSV: "text/csv",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.PDF: "application/pdf",
    ExportFormat.BADGES: "application/pdf",
}


@dataclass
class Sheet:
    """Headings and rows of plain values, ready for any format."""

    title: str
    headings: list[str]
    rows: list[list[Cell]]
    widths: list[int]


def participant_sheet(title: str, columns: list[Column], people: list[Participant]) -> Sheet:
    return Sheet(
        title=title,
        headings=[c.label for c in columns],
        rows=[[c.value(p) for c in columns] for p in people],
        widths=[c.width for c in columns],
    )


def cell_text(value: Cell) -> str:
    """A cell as the text a CSV or a PDF shows."""
    if isinstance(value, datetime):
        return berlin_time(value)
    return "" if value is None else plain(value)


def sheet_csv(sheet: Sheet) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(plain(h)) for h in sheet.headings])
    for row in sheet.rows:
        writer.writerow([spreadsheet_safe(cell_text(v)) for v in row])
    return buffer.getvalue().encode("utf-8")


def sheet_xlsx(sheet: Sheet) -> bytes:
    book = Workbook()
    table = book.active
    table.title = _("Participants")[:31]
    table.append([spreadsheet_safe(plain(h)) for h in sheet.headings])
    for cell in table[1]:
        cell.font = Font(bold=True)
    for row in sheet.rows:
        table.append([_xlsx_value(v) for v in row])
        for cell in table[table.max_row]:
            if isinstance(cell.value, datetime):
                cell.number_format = "DD.MM.YYYY HH:MM"
    for number, width in enumerate(sheet.widths, start=1):
        table.column_dimensions[get_column_letter(number)].width = width
    table.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _xlsx_value(value: Cell):
    if isinstance(value, datetime):
        # a spreadsheet knows no time zones: the wall time in Berlin
        return value.astimezone(BERLIN).replace(tzinfo=None)
    if isinstance(value, int):
        return value
    return spreadsheet_safe(cell_text(value))


def filename(slug: str, export_format: str) -> str:
    suffix = "pdf" if export_format == ExportFormat.BADGES else export_format
    stem = "namensschilder" if export_format == ExportFormat.BADGES else "teilnehmende"
    return f"{stem}-{slug}.{suffix}"
