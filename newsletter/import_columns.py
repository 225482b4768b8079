"""The wizard's middle step: the first rows of an upload, and the editor's mapping of
its columns to fields, checked. Pure: bytes and lists in, lists out."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from newsletter.csvfile import ImportFileError, open_head, suggested_fields

#: the fields a column can go to, in the order the select offers them; "" ignores it
FIELDS = {
    "": _l("ignore"),
    "email": _l("E-mail address"),
    "name": _l("Name (full)"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "organisation": _l("Organisation"),
    "language": _l("Language"),
}
#: data rows the preview shows
PREVIEW_ROWS = 5


@dataclass
class Preview:
    """The header and the first rows of a file, as the mapping step shows them."""

    header: list[str]
    rows: list[list[str]]
    #: the field each column goes to as found by the header's names
    suggested: list[str]


def preview(data: bytes, rows: int = PREVIEW_ROWS) -> Preview:
    """The first `rows` data rows; reads only the start of the file. Raises
    :class:`~newsletter.csvfile.ImportFileError` as the upload check does."""
    csv_file = open_head(data)
    width = csv_file.width
    shown: list[list[str]] = []
    try:
        for _number, cells in csv_file.rows():
            cells = [c.strip() for c in cells[:width]]
            shown.append(cells + [""] * (width - len(cells)))
            if len(shown) >= rows:
                break
    except ImportFileError:
        pass  # a broken row further down: the job reports it, the preview stops before
    return Preview(header=csv_file.header, rows=shown, suggested=suggested_fields(csv_file.header))


def mapping_errors(fields: list[str], width: int) -> list[str]:
    """What is wrong with a mapping (one field per column, "" to ignore), every problem
    at once; empty if it can be used."""
    errors: list[str] = []
    if len(fields) != width or any(f not in FIELDS for f in fields):
        return [_("Please choose a field for every column.")]
    chosen = [f for f in fields if f]
    if "email" not in chosen:
        errors.append(_("Please choose the column with the e-mail addresses."))
    doubled = sorted({f for f in chosen if chosen.count(f) > 1}, key=list(FIELDS).index)
    for field in doubled:
        errors.append(
            _(
                "“%(field)s” is chosen for more than one column; each field can only come "
                "from one column.",
                field=FIELDS[field],
            )
        )
    if "name" in chosen and ({"first_name", "last_name"} & set(chosen)):
        errors.append(
            _("Choose either a column with the full name or columns with first and last name.")
        )
    return errors
