"""PDFs (sign-in sheets, lists, badges, certificates): A4 pages set in KERN's Fira Sans,
with the same header and footer on every page. Built with fpdf2, pure Python, so they
work wherever `make run` does.

fpdf2 reads TrueType; the design system ships Fira Sans as woff2, which fontTools
unpacks once per process into the instance folder (about 0.15 s per style).
Text goes in as plain text: nothing in a name or an answer is read as markup.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from fontTools.ttLib import TTFont
from fpdf import FPDF

FONT_DIR = Path(__file__).parent / "static" / "vendor" / "kern" / "fonts" / "fira-sans"
#: fpdf2's style letters and the Fira Sans file of each
STYLES = {"": "Regular", "B": "SemiBold", "I": "Italic", "BI": "SemiBoldItalic"}
FAMILY = "FiraSans"
#: characters that are no text: control characters except tab and newline
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_lock = threading.Lock()
# fontTools logs every glyph it keeps, and a harmless note on Fira's OS/2 table
logging.getLogger("fontTools").setLevel(logging.ERROR)


def _font_files() -> dict[str, Path]:
    """The TrueType file of each style, unpacked from the woff2 on first use."""
    cache = Path(current_app.instance_path) / "fonts"
    files = {style: cache / f"FiraSans-{name}.ttf" for style, name in STYLES.items()}
    with _lock:
        for style, target in files.items():
            if target.exists():
                continue
            cache.mkdir(parents=True, exist_ok=True)
            font = TTFont(FONT_DIR / f"FiraSans-{STYLES[style]}.woff2")
            font.flavor = None
            partial = target.with_suffix(f".{os.getpid()}.part")
            font.save(partial)
            partial.replace(target)  # another process may have written it meanwhile
    return files


def plain(value: object) -> str:
    """Any value as text to print: control characters out, and fpdf2's page-count alias
    "{nb}" broken by a zero-width space (fpdf2 replaces it anywhere on the page, so a
    name holding it would print as the number of pages)."""
    return _CONTROL.sub("", "" if value is None else str(value)).replace("{nb}", "{\u200bnb}")


class Document(FPDF):
    """An A4 document: `heading` at the top of every page (e.g. the office and the
    event), `footing` and "Seite x von y" at the bottom."""

    def __init__(self, *, title: str, heading: str = "", footing: str = "", landscape=False):
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        for style, path in _font_files().items():
            self.add_font(FAMILY, style, str(path))
        self.heading = plain(heading)
        self.footing = plain(footing)
        self.set_title(plain(title))
        self.set_creator("KKP Kompakt")
        self.set_lang("de")
        self.set_margins(18, 22, 18)
        self.set_auto_page_break(True, margin=20)
        self.alias_nb_pages()
        self.set_font(FAMILY, size=10)

    def header(self) -> None:
        if not self.heading:
            return
        self.set_y(9)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.heading, new_x="LMARGIN", new_y="NEXT")
        self.set_draw_color(180, 180, 180)
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.set_text_color(0, 0, 0)
        self.set_y(self.t_margin)
        self.set_font(FAMILY, size=10)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FAMILY, size=8)
        self.set_text_color(90, 90, 90)
        width = self.w - self.l_margin - self.r_margin
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(width * 0.75, 5, self.footing)
        self.cell(width * 0.25, 5, page, align="R")
        self.set_text_color(0, 0, 0)

    def heading1(self, text: str) -> None:
        self.set_font(FAMILY, "B", 15)
        self.multi_cell(0, 7, plain(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, size=10)
        self.ln(1)

    def line_of_text(self, text: str, *, size: float = 10, bold: bool = False) -> None:
        self.set_font(FAMILY, "B" if bold else "", size)
        self.multi_cell(0, size * 0.5, plain(text), new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, size=10)

    def bytes(self) -> bytes:
        return bytes(self.output())
