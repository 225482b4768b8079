"""The subscriber list as a CSV file that German spreadsheet programs open as they are.

The file's conventions (BOM, `;`, CRLF, Berlin times, formulas defused) are
:mod:`kkp.spreadsheet`'s.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import NamedTuple

from kkp.spreadsheet import BOM, berlin_time, spreadsheet_safe  # noqa: F401  (re-exported)
from newsletter.models import SubscriberStatus

HEADER = ("E-Mail", "Name", "Organisation", "Status", "Listen", "Angemeldet am", "Bestätigt am")
#: the file is for German offices whatever language the editor uses
STATUS_WORDS = {SubscriberStatus.PENDING: "unbestätigt", SubscriberStatus.CONFIRMED: "bestätigt"}


class ExportRow(NamedTuple):
    """One subscriber as the file shows them (a named tuple: an export makes 100,000
    of them, and a tuple is made several times faster than a frozen dataclass)."""

    email: str
    name: str
    organisation: str
    status: str
    #: (list name, confirmed?) in the lists' order
    lists: tuple[tuple[str, bool], ...]
    created_at: datetime
    confirmed_at: datetime | None


def subscriber_row(row: ExportRow) -> list[str]:
    lists = ", ".join(
        name + ("" if confirmed else " (unbestätigt)") for name, confirmed in row.lists
    )
    # the status word and the times are ours and never start like a formula
    return [
        spreadsheet_safe(row.email),
        spreadsheet_safe(row.name),
        spreadsheet_safe(row.organisation),
        STATUS_WORDS.get(row.status) or spreadsheet_safe(row.status),
        spreadsheet_safe(lists),
        berlin_time(row.created_at),
        berlin_time(row.confirmed_at),
    ]


def subscribers_csv(batches: Iterable[Iterable[ExportRow]]) -> Iterator[bytes]:
    """The file in pieces, one per batch, so a response can stream it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(HEADER)
    for batch in batches:
        writer.writerows(subscriber_row(s) for s in batch)
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")
