"""CSV files that German spreadsheet programs open as they are.

UTF-8 with BOM (so Excel recognises the encoding), `;` between fields, CRLF line
ends, times in Europe/Berlin. Cells that a spreadsheet would run as a formula get a
leading apostrophe.
"""

from __future__ import annotations

from datetime import datetime

from kkp.i18n import BERLIN

BOM = "\ufeff"
#: first characters that make Excel or LibreOffice treat a cell as a formula
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """The cell as text a spreadsheet shows instead of evaluating it."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def berlin_time(value: datetime | None) -> str:
    """`dd.mm.yyyy HH:MM` in Europe/Berlin, or empty."""
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M") if value else ""
