"""Characters no text field takes, one definition for every check and for the API's
schema (whose `pattern` must refuse exactly what the checks refuse).

Refused everywhere: C0 and C1 control characters and DEL, the Unicode line and
paragraph separators, and the bidirectional embeddings, overrides and isolates, which
make a text read differently from what it holds (a name that shows as "Anna" but
sorts and searches as something else). Multi-line texts (Markdown) keep tab, line
feed and carriage return.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext as _
from wtforms.validators import ValidationError

#: the ranges refused in every text, as a regular expression character class body
_INVISIBLE = "\\x7f-\\x9f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069"
#: a single-line text: what no name, title or organisation contains (JSON Schema and
#: Python read this pattern alike)
SINGLE_LINE_PATTERN = f"^[^\\x00-\\x1f{_INVISIBLE}]*$"
#: a text over several lines (tab, LF and CR allowed)
MULTI_LINE_PATTERN = f"^[^\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f{_INVISIBLE}]*$"

_C0 = re.compile("[\\x00-\\x1f\\x7f]")
_C0_IN_LINES = re.compile("[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f]")
_OTHERS = re.compile(f"[{_INVISIBLE}]")


def text_problem(value: str, *, multi_line: bool = False) -> str | None:
    """What is wrong with the characters of `value`, translated; None if nothing."""
    if (_C0_IN_LINES if multi_line else _C0).search(value):
        if multi_line:
            return _("Control characters are not allowed.")
        return _("Line breaks and control characters are not allowed.")
    if _OTHERS.search(value):
        return _(
            "This text contains invisible control characters, often copied along from "
            "another program. Please remove them or type the text again."
        )
    return None


class Printable:
    """A form field validator: refuses what :func:`text_problem` refuses."""

    def __init__(self, *, multi_line: bool = False):
        self.multi_line = multi_line

    def __call__(self, form, field) -> None:
        problem = text_problem(field.data or "", multi_line=self.multi_line)
        if problem:
            raise ValidationError(problem)


#: German letters a URL spells out
_SPELLED = (
    ("ä", "ae"),
    ("ö", "oe"),
    ("ü", "ue"),
    ("ß", "ss"),
    ("Ä", "Ae"),
    ("Ö", "Oe"),
    ("Ü", "Ue"),
)


def slugify(text: str, fallback: str) -> str:
    """A short name for URLs: lower-case ASCII letters, digits and hyphens (umlauts
    spelled out, at most 80 characters), or `fallback` if nothing of `text` is left."""
    for a, b in _SPELLED:
        text = text.replace(a, b)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or fallback
