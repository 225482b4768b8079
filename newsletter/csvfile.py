"""Reading an uploaded CSV file of people: pure, bytes in, rows and reasons out.

UTF-8 (with or without BOM) or Windows-1252, `;`, `,` or tab, columns found by their
German or English names. :func:`check_upload` looks at the start of a file while the
editor waits; :func:`read_csv` (in the import job) refuses a file that cannot be
imported at all; :func:`check_row` gives the person in one row or the code of the
reason it is rejected (see :data:`REASONS`). Every step takes time linear in the
file's size.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kkp.addresses import message as address_message
from kkp.spreadsheet import DELIMITERS, detect_delimiter
from newsletter.operations import SubscriptionError, normalise_email

#: most data rows in one file
MAX_ROWS = 200_000
#: the start of a file that decides its separator, and all the upload request reads of
#: it beyond single passes in C, in bytes (characters, once decoded)
PREFIX_BYTES = 65_536
#: longest value per field, in characters
MAX_LENGTH = {"email": 254, "name": 200, "organisation": 200}

#: why a row was left out; stored as the code, shown in the reader's language
REASONS = {
    "too_many_columns": _l(
        "More fields than the header row has (perhaps a separator "
        "inside a value without quotation marks)."
    ),
    "control_characters": _l("Contains line breaks or control characters."),
    "unreadable": _l("Contains characters that cannot be read (wrong encoding)."),
    "too_long": _l(
        "A value is too long (e-mail address at most 254 characters, name and "
        "organisation at most 200)."
    ),
    "no_email": _l("No e-mail address."),
    "invalid_email": _l("Not a valid e-mail address."),
    "duplicate": _l("The same address appears earlier in the file (row %(row)s)."),
    "suppressed": _l(
        "This address has unsubscribed or was deleted. Only the person can "
        "sign up again, through the sign-up form."
    ),
    "failed": _l("Could not be stored."),
    "language": _l("Unknown language (“de” or “en”, “Deutsch” or “Englisch”)."),
}

_HEADERS = {
    "email": {"email", "emailadresse", "emailaddress", "mail", "mailadresse", "emails"},
    "name": {"name", "vollständigername", "fullname"},
    "first_name": {"vorname", "firstname", "givenname"},
    "last_name": {"nachname", "lastname", "familienname", "surname", "zuname"},
    "organisation": {
        "organisation",
        "organization",
        "institution",
        "behörde",
        "einrichtung",
        "dienststelle",
        "firma",
    },
    "language": {"language", "sprache", "lang", "locale"},
}
#: what a language cell may say, lower case -> the subscriber's locale
_LANGUAGES = {
    "de": "de",
    "deutsch": "de",
    "german": "de",
    "ger": "de",
    "en": "en",
    "englisch": "en",
    "english": "en",
    "eng": "en",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BROKEN = re.compile("[\udc80-\udcff]")
_NON_ASCII = re.compile("[^\x00-\x7f\udc80-\udcff]")
#: what no cell may hold (see kkp.text): controls, invisible characters, broken bytes
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


class ImportFileError(ValueError):
    """The whole file cannot be imported; the message is for the editor."""


def reason_text(entry: dict) -> str:
    """A rejected row's reason in the current language."""
    code = entry.get("code", "")
    if code.startswith("email:"):
        return address_message(code.removeprefix("email:"))
    message = REASONS.get(code)
    if message is None:
        return entry.get("reason", "")
    return str(message) % {"row": entry.get("first_row", "?")}


# -- reading the file --------------------------------------------------------------------


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252.

    A UTF-8 file with a few broken bytes stays UTF-8: those bytes become lone
    surrogates and their rows are rejected, instead of every umlaut in the file
    turning into mojibake.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8-sig", errors="surrogateescape")
    # counted without a list of every match: a 10 MB file may hold millions
    broken = len(text) - len(_BROKEN.sub("", text))
    if len(text) - len(_NON_ASCII.sub("", text)) > broken:
        return text
    return data.decode("cp1252", errors="surrogateescape")


def _header_key(cell: str) -> str:
    return re.sub(r"[\s_\-.:]+", "", cell.strip().strip('"').lower())


def suggested_fields(header: list[str]) -> list[str]:
    """The field each column goes to as found by the header's names, "" for none."""
    fields = [""] * len(header)
    for field, index in _columns(header).items():
        fields[index] = field
    return fields


def columns_from_fields(fields: list[str]) -> dict[str, int]:
    """field -> column from an editor's mapping (one field per column, "" to ignore)."""
    return {field: index for index, field in enumerate(fields) if field}


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        key = _header_key(cell)
        for field, names in _HEADERS.items():
            if key in names:
                found.setdefault(field, index)
    if "first_name" in found and "last_name" not in found and "name" in found:
        # "Vorname;Name" is the common German pair: there "Name" is the surname.
        found["last_name"] = found.pop("name")
    return found


def _reader(text: str, delimiter: str) -> Iterator[list[str]]:
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


@dataclass
class CsvFile:
    """A readable CSV file: its text, separator, where the fields are, how many rows."""

    text: str
    delimiter: str
    #: field ("email", "name", "first_name", "last_name", "organisation", "language")
    #: -> column
    columns: dict[str, int]
    #: number of columns in the header row
    width: int
    #: data rows, not counting empty lines
    total_rows: int
    #: the header row's cells
    header: list[str] = dataclasses.field(default_factory=list)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number as a spreadsheet shows it, cells) for each non-empty data row."""
        reader = _reader(self.text, self.delimiter)
        next(reader, None)
        number = 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(
                    _(
                        "Row %(row)d cannot be read (%(error)s). Often a quotation mark is "
                        "missing.",
                        row=number + 1,
                        error=exc,
                    )
                ) from exc
            number += 1
            if any(c.strip() for c in cells):
                yield number, cells


def _binary_check(data: bytes) -> None:
    """Refuse what is no text at all; looks at each byte once, in C."""
    if not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportFileError(
            _(
                "This is an Excel file, not a CSV file. In Excel, choose “Save as” and the file "
                "type “CSV UTF-8” or “CSV (semicolon separated)”, then upload that file."
            )
        )
    if b"\x00" in data:
        raise ImportFileError(
            _("This is not a CSV file: it contains binary data. Please upload a CSV text file.")
        )


def _open(data: bytes, fields: list[str] | None = None, *, need_email: bool = True) -> CsvFile:
    """The file's text, separator and columns, its rows not counted yet; the columns
    from the editor's `fields` where given, else found by the header's names.
    `need_email=False`: a file whose header names no address column is opened too
    (the editor maps its columns next)."""
    _binary_check(data)
    text = _decode(data)
    if len(text) - len(_CONTROL.sub("", text)) > max(32, len(text) // 100):
        raise ImportFileError(
            _("This is not a CSV file: it contains binary data. Please upload a CSV text file.")
        )

    delimiter = detect_delimiter(text[:PREFIX_BYTES])
    header: list[str] = []
    columns: dict[str, int] = {}
    for candidate in (delimiter, *(d for d in DELIMITERS if d != delimiter)):
        try:
            header = next(_reader(text, candidate), [])
        except csv.Error:
            header = []
        columns = _columns(header)
        if "email" in columns:
            delimiter = candidate
            break
    else:
        try:  # the editor says, or will say, which column holds the address
            header = next(_reader(text, delimiter), [])
        except csv.Error:
            header = []
    if fields is not None:
        columns = columns_from_fields(fields)
    if "email" not in columns and need_email:
        raise ImportFileError(
            _(
                "No column with e-mail addresses found. The first row must name the columns, "
                "e.g. “E-Mail;Name;Organisation”."
            )
        )
    return CsvFile(
        text=text,
        delimiter=delimiter,
        columns=columns,
        width=len(header),
        total_rows=0,
        header=[c.strip() for c in header],
    )


def open_head(data: bytes) -> CsvFile:
    """The start of a file (:data:`PREFIX_BYTES`), opened whether or not its header
    names an address column: what the wizard's preview shows."""
    head = data[:PREFIX_BYTES]
    if len(data) > PREFIX_BYTES:  # whole lines only, so that no character is cut in half
        head = head[: head.rfind(b"\n") + 1] or head
    return _open(head, need_email=False)


def read_csv(data: bytes, fields: list[str] | None = None, *, need_email: bool = True) -> CsvFile:
    """Check and open a whole file, its rows counted (what the import job does); raises
    :class:`ImportFileError` if it is no CSV file we can use. `fields`: the editor's
    mapping of the columns (see :func:`_open`)."""
    csv_file = _open(data, fields, need_email=need_email)
    for total, _row in enumerate(csv_file.rows(), start=1):
        if total > MAX_ROWS:
            raise ImportFileError(
                _(
                    "The file has more than %(n)s rows. Please split it into smaller files.",
                    n=format_number(MAX_ROWS),
                )
            )
        csv_file.total_rows = total
    if not csv_file.total_rows:
        raise ImportFileError(_("The file has a header row but no people below it."))
    return csv_file


def check_upload(data: bytes, *, need_email: bool = True) -> int:
    """What the upload request checks before it stores the file: the kind of file, its
    separator and its header row, from the first :data:`PREFIX_BYTES` only, so that no
    upload holds a web process long. Returns the number of data rows: exact for a file
    that short, else estimated from its line breaks (the import job counts them and
    refuses a file with too many).

    Raises :class:`ImportFileError` as :func:`read_csv` does.
    """
    if len(data) <= PREFIX_BYTES:
        return read_csv(data, need_email=need_email).total_rows
    _binary_check(data)
    head = data[:PREFIX_BYTES]
    # whole lines only, so that no character is cut in half
    head = head[: head.rfind(b"\n") + 1] or head
    _open(head, need_email=need_email)
    lines = data.count(b"\n") + (not data.endswith(b"\n"))
    return max(lines - 1, 1)


@dataclass(frozen=True)
class Person:
    """What one row says about one person, checked."""

    email: str
    name: str
    organisation: str
    #: "de" or "en"; "" where the file says nothing
    language: str = ""


def _cell(cells: list[str], index: int | None) -> str:
    if index is None or index >= len(cells):
        return ""
    value = cells[index].strip()
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]  # undo the protection our own export adds
    return value


def check_row(csv_file: CsvFile, cells: list[str]) -> Person | str:
    """The person in a row, or the code of the reason it is rejected."""
    if len(cells) > csv_file.width and any(c.strip() for c in cells[csv_file.width :]):
        return "too_many_columns"
    columns = csv_file.columns
    if "name" in columns:
        name = _cell(cells, columns["name"])
    else:  # first and last name, either of them maybe missing
        first, last = (
            _cell(cells, columns.get("first_name")),
            _cell(cells, columns.get("last_name")),
        )
        name = " ".join(v for v in (first, last) if v)
    values = {
        "email": _cell(cells, columns["email"]),
        "name": name,
        "organisation": _cell(cells, columns.get("organisation")),
    }
    for value in values.values():
        unsafe = _UNSAFE.findall(value)
        if any(c >= "\ud800" for c in unsafe):
            return "unreadable"
        if unsafe:
            return "control_characters"
    if any(len(values[f]) > limit for f, limit in MAX_LENGTH.items()):
        return "too_long"
    if not values["email"]:
        return "no_email"
    language = _cell(cells, columns.get("language")).lower()
    if language and language not in _LANGUAGES:
        return "language"
    try:
        email = normalise_email(values["email"])
    except SubscriptionError as exc:
        # the address policy's own reason, e.g. "email:not_ascii" (see reason_text)
        code = getattr(exc, "code", "invalid")
        return "invalid_email" if code == "invalid" else f"email:{code}"
    return Person(
        email=email,
        name=values["name"],
        organisation=values["organisation"],
        language=_LANGUAGES.get(language, ""),
    )
