"""The sign-in sheet of a date as a PDF (A4): the event, its date, time and place, then
a table with a row per confirmed participant (number, name, organisation, a field to
sign) and a few empty rows for people who come without registering.

Data-minimised: no addresses, no answers. Every page repeats the office, the event
and the date in its header, the table's headings, and "page x of y" at its foot. A
pure builder: plain inputs in, bytes out.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _
from fpdf.fonts import FontFace

from kkp.pdf import FAMILY, Document, plain

#: empty rows after the registered participants, for walk-ins
BLANK_ROWS = 5
#: the height of a row, in mm: room to sign
ROW_HEIGHT = 11
#: the columns' widths, in parts of the table's width: No., name, organisation, signature
WIDTHS = (8, 32, 30, 30)


def sign_in_sheet(
    *,
    office: str,
    title: str,
    when: str,
    place: str,
    people: Sequence[tuple[str, str]],
    blank_rows: int = BLANK_ROWS,
) -> bytes:
    """The sheet for `people` ((name, organisation), in the order given); `when` is the
    date and time as the reader reads them (Europe/Berlin)."""
    heading = " · ".join(plain(part) for part in (office, title, when) if part)
    pdf = Document(
        title=_("Sign-in sheet: %(title)s", title=plain(title)),
        heading=heading,
        footing=_("Sign-in sheet"),
    )
    pdf.add_page()
    pdf.heading1(_("Sign-in sheet"))
    pdf.line_of_text(title, size=12, bold=True)
    pdf.line_of_text(when)
    if place:
        pdf.line_of_text(place)
    pdf.ln(2)
    pdf.line_of_text(_("With your signature you confirm that you took part in this event."), size=9)
    pdf.ln(3)
    pdf.set_font(FAMILY, size=10)
    headings = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.table(
        col_widths=WIDTHS,
        headings_style=headings,
        line_height=5,
        min_row_height=ROW_HEIGHT,
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT"),
        v_align="MIDDLE",
        repeat_headings=1,
    ) as table:
        head = table.row()
        for word in (_("No."), _("Name"), _("Organisation"), _("Signature")):
            head.cell(word)
        for number, (name, organisation) in enumerate(people, start=1):
            row = table.row()
            row.cell(str(number))
            row.cell(plain(name))
            row.cell(plain(organisation))
            row.cell("")
        for number in range(len(people) + 1, len(people) + 1 + blank_rows):
            row = table.row()
            row.cell(str(number))
            row.cell("")
            row.cell("")
            row.cell("")
    return pdf.bytes()
