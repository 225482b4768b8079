"""CSV files that German spreadsheet programs open as they are, and the separator of
the ones they write.

UTF-8 with BOM (so Excel recognises the encoding), `;` between fields, CRLF line
ends, times in Europe/Berlin. Cells that a spreadsheet would run as a formula get a
leading apostrophe.
"""

from __future__ import annotations

import re
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
    if not value:
        return ""
    t = value.astimezone(BERLIN)  # formatted by hand: strftime costs as much again
    return f"{t.day:02}.{t.month:02}.{t.year:04} {t.hour:02}:{t.minute:02}"


#: the separators a file may use, the most common first (ties go to the earlier one)
DELIMITERS = (";", ",", "\t")
#: how many lines at the start of a file decide its separator
SNIFF_LINES = 20
_QUOTED = re.compile(r'"[^"]*"')


def detect_delimiter(sample: str) -> str:
    """The separator of a CSV text, from its first lines: the candidate that occurs
    outside quotation marks most often in the same number in every line, else `;`.

    Linear in the length of `sample`, whatever it holds (the standard library's
    `csv.Sniffer` takes half a minute for 64 KB of unbalanced quotation marks).
    """
    # A quoted value, its doubled quotation marks included, is one or more "…" runs
    # in a row: removing them leaves the separators between the values.
    lines = [line for line in _QUOTED.sub("", sample).splitlines() if line.strip()]
    lines = lines[:SNIFF_LINES]
    best, best_score = ";", (0, 0)
    for candidate in DELIMITERS:
        counts = [line.count(candidate) for line in lines]
        if not counts or not counts[0]:
            continue  # the header row names at least two columns
        score = (sum(1 for n in counts if n == counts[0]), counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best
