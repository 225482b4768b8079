"""Participants on paper: a list with the chosen columns (A4, landscape when many
columns, the headings repeated on every page) and name badges (an A4 sheet of 2 × 5
labels of 90 × 50 mm: the name large, shrunk until it fits, the organisation and the
event's title). Pure builders: plain values in, bytes out."""

from __future__ import annotations

from dataclasses import dataclass

from fpdf.fonts import FontFace

from events.participant_export import Sheet, cell_text
from kkp.pdf import FAMILY, Document, plain

#: more columns than this and the list turns to landscape
PORTRAIT_COLUMNS = 5
#: a label, in mm
BADGE_WIDTH, BADGE_HEIGHT = 90, 50
BADGE_COLUMNS, BADGE_ROWS = 2, 5
#: the name's font size in points, at most and at least
NAME_SIZE, NAME_SIZE_MIN = 22, 10
#: space inside a label's edge, in mm
BADGE_PADDING = 5


def list_pdf(sheet: Sheet, *, heading: str, footing: str = "") -> bytes:
    """The rows of `sheet` as a table under `sheet.title`."""
    landscape = len(sheet.headings) > PORTRAIT_COLUMNS
    pdf = Document(title=sheet.title, heading=heading, footing=footing, landscape=landscape)
    pdf.add_page()
    pdf.heading1(sheet.title)
    pdf.set_font(FAMILY, size=9 if landscape else 10)
    if not sheet.headings:
        return pdf.bytes()
    widths = [max(8, min(w, 40)) for w in sheet.widths]
    with pdf.table(
        col_widths=widths,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 235, 235)),
        line_height=5,
        text_align="LEFT",
        repeat_headings=1,
    ) as table:
        table.row([plain(h) for h in sheet.headings])
        for values in sheet.rows:
            table.row([_short(cell_text(v)) for v in values])
    return pdf.bytes()


#: a PDF cell keeps this much of a long answer (a table row cannot pass a page); the
#: CSV and the XLSX keep all of it
CELL_CHARACTERS = 120
CELL_LINES = 4


def _short(text: str) -> str:
    lines = text.splitlines()
    short = "\n".join(lines[:CELL_LINES])[:CELL_CHARACTERS]
    return short if short == text else short.rstrip() + " …"


@dataclass(frozen=True)
class Badge:
    name: str
    organisation: str
    event_title: str


def badges_pdf(badges: list[Badge], *, title: str) -> bytes:
    """Labels across then down, as many pages as needed."""
    pdf = Document(title=title)
    pdf.set_auto_page_break(False)
    left = (pdf.w - BADGE_COLUMNS * BADGE_WIDTH) / 2
    top = (pdf.h - BADGE_ROWS * BADGE_HEIGHT) / 2
    per_page = BADGE_COLUMNS * BADGE_ROWS
    if not badges:
        pdf.add_page()
    for n, badge in enumerate(badges):
        if n % per_page == 0:
            pdf.add_page()
        row, column = divmod(n % per_page, BADGE_COLUMNS)
        _badge(pdf, badge, left + column * BADGE_WIDTH, top + row * BADGE_HEIGHT)
    return pdf.bytes()


def _badge(pdf: Document, badge: Badge, x: float, y: float) -> None:
    pdf.set_draw_color(200, 200, 200)
    pdf.rect(x, y, BADGE_WIDTH, BADGE_HEIGHT)  # a cutting line
    inner = BADGE_WIDTH - 2 * BADGE_PADDING
    name = plain(badge.name).strip()
    size = NAME_SIZE
    pdf.set_font(FAMILY, "B", size)
    while size > NAME_SIZE_MIN and pdf.get_string_width(name) > inner:
        size -= 1
        pdf.set_font(FAMILY, "B", size)
    pdf.set_xy(x + BADGE_PADDING, y + 12)
    pdf.cell(inner, size * 0.45, _fitted(pdf, name, inner), align="C")
    pdf.set_font(FAMILY, size=11)
    pdf.set_xy(x + BADGE_PADDING, y + 26)
    pdf.cell(inner, 6, _fitted(pdf, plain(badge.organisation), inner), align="C")
    pdf.set_font(FAMILY, size=8)
    pdf.set_text_color(90, 90, 90)
    pdf.set_xy(x + BADGE_PADDING, y + BADGE_HEIGHT - BADGE_PADDING - 5)
    pdf.cell(inner, 5, _fitted(pdf, plain(badge.event_title), inner), align="C")
    pdf.set_text_color(0, 0, 0)


def _fitted(pdf: Document, text: str, width: float) -> str:
    """`text`, cut with an ellipsis where even the smallest size is too wide."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
