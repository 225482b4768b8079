"""A certificate of attendance as a PDF: a pure builder from plain inputs to bytes.

One A4 page normally: the office's letterhead (logo, name, postal address),
"Teilnahmebescheinigung", the holder and the course, the dates attended with their
hours (and teaching units of 45 minutes), the total, what the course covered, the
signer with a line to sign on, and the number with the address that verifies it.
Text is printed as it is (nothing in a name is markup). Words follow the locale in
force (the caller's `force_locale`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, format_time
from flask_babel import get_locale
from flask_babel import gettext as _
from fpdf.fonts import FontFace

from kkp.i18n import BERLIN
from kkp.pdf import FAMILY, Document, plain

#: the letterhead's logo fits in this box, millimetres (width, height)
LOGO_BOX = (55.0, 22.0)


@dataclass(frozen=True)
class CertificateContent:
    """Everything the page shows; `dates` as :attr:`Certificate.dates` stores them."""

    number: str
    holder_name: str
    title: str
    #: [{"starts_at": ISO, "ends_at": ISO, "all_day": bool, "minutes": int,
    #: "units": float or None, "place": str ("" if online only), "online": bool}]
    dates: list[dict]
    issued_on: date
    verify_url: str
    office_name: str
    #: lines; "" if none
    postal_address: str = ""
    #: PNG or JPEG (or WebP) bytes; None: no logo
    logo: bytes | None = None
    summary: str = ""
    signer_name: str = ""
    signer_role: str = ""
    #: count teaching units beside the hours
    teaching_units: bool = False


def _number(value: float, locale: str) -> str:
    """One decimal, in the locale's way ("2,5")."""
    formatted = f"{value:.1f}"
    return formatted.replace(".", ",") if locale == "de" else formatted


def _date_row(entry: dict, locale: str) -> tuple[str, str, str]:
    """Day, time and place of one date attended."""
    start = datetime.fromisoformat(entry["starts_at"]).astimezone(BERLIN)
    end = datetime.fromisoformat(entry["ends_at"]).astimezone(BERLIN)
    day = format_date(
        start.date(), "EEE, dd.MM.yyyy" if locale == "de" else "medium", locale=locale
    )
    place = entry.get("place") or (_("Online") if entry.get("online") else "")
    if entry.get("all_day"):
        return day, _("all day"), place
    times = "–".join(format_time(t, "HH:mm", locale=locale) for t in (start, end))
    times += " Uhr" if locale == "de" else ""
    if start.date() != end.date():
        times += " (" + format_date(end.date(), "dd.MM.yyyy", locale=locale) + ")"
    return day, times, place


def _letterhead(pdf: Document, content: CertificateContent) -> None:
    top = pdf.get_y()
    if content.logo:
        width, height = LOGO_BOX
        pdf.image(
            io.BytesIO(content.logo),
            x=pdf.w - pdf.r_margin - width,
            y=top,
            w=width,
            h=height,
            keep_aspect_ratio=True,
        )
    pdf.set_font(FAMILY, "B", 11)
    pdf.multi_cell(100, 5.5, plain(content.office_name), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=9)
    for line in content.postal_address.splitlines():
        if line.strip():
            pdf.multi_cell(100, 4.5, plain(line.strip()), new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + LOGO_BOX[1]) + 8)


def _centred(pdf: Document, text: str, *, size: float, bold: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.multi_cell(0, size * 0.5, plain(text), align="C", new_x="LMARGIN", new_y="NEXT")


def _places(content: CertificateContent) -> list[str]:
    """The distinct places, in the order of the dates."""
    return list(dict.fromkeys(_date_row(entry, "de")[2] for entry in content.dates))


def _dates_table(pdf: Document, content: CertificateContent, locale: str) -> None:
    """A row per date; the place in a column only when the dates had several."""
    units = content.teaching_units
    by_place = len(_places(content)) > 1
    columns = [(_("Date"), 34, "LEFT"), (_("Time"), 34, "LEFT")]
    if by_place:
        columns.append((_("Venue"), 60, "LEFT"))
    columns.append((_("Hours"), 18, "RIGHT"))
    if units:
        columns.append((_("Units"), 16, "RIGHT"))
    pdf.set_font(FAMILY, size=9.5)
    with pdf.table(
        col_widths=[width for _heading, width, _align in columns],
        text_align=[align for _heading, _width, align in columns],
        headings_style=FontFace(emphasis="BOLD"),
        line_height=4.6,
        padding=(0.8, 1.2),
        width=sum(width for _heading, width, _align in columns),
        align="LEFT",
    ) as table:
        table.row([plain(heading) for heading, _width, _align in columns])
        for entry in content.dates:
            day, times, place = _date_row(entry, locale)
            cells = [day, times] + ([place] if by_place else [])
            cells.append(_number(entry.get("minutes", 0) / 60, locale))
            if units:
                cells.append(_number(entry.get("units") or 0, locale))
            table.row([plain(c) for c in cells])


def _totals(content: CertificateContent, locale: str) -> str:
    minutes = sum(entry.get("minutes", 0) for entry in content.dates)
    text = _("In total: %(hours)s hours", hours=_number(minutes / 60, locale))
    if content.teaching_units:
        units = sum(entry.get("units") or 0 for entry in content.dates)
        text += " " + _("(%(units)s teaching units of 45 minutes)", units=_number(units, locale))
    return text


def _signature(pdf: Document, content: CertificateContent, locale: str) -> None:
    """Day of issue, a line to sign on, the signer: kept together on one page."""
    if pdf.will_page_break(40):
        pdf.add_page()
    pdf.ln(5)
    issued = format_date(content.issued_on, "long", locale=locale)
    pdf.line_of_text(_("Issued on %(date)s", date=issued))
    pdf.ln(14)
    y = pdf.get_y()
    pdf.set_draw_color(0, 0, 0)
    pdf.line(pdf.l_margin, y, pdf.l_margin + 75, y)
    pdf.ln(1.5)
    if content.signer_name:
        pdf.line_of_text(content.signer_name, bold=True)
    if content.signer_role:
        pdf.line_of_text(content.signer_role, size=9)


def certificate_pdf(content: CertificateContent) -> bytes:
    """The certificate as PDF bytes."""
    locale = str(get_locale() or "de")
    pdf = Document(
        title=_("Certificate of attendance") + " " + content.number,
        footing=_("Certificate no. %(number)s", number=content.number),
    )
    pdf.set_lang(locale)
    pdf.add_page()
    _letterhead(pdf, content)
    _centred(pdf, _("Certificate of attendance"), size=20, bold=True)
    pdf.ln(6)
    _centred(pdf, content.holder_name, size=15, bold=True)
    pdf.ln(2)
    _centred(pdf, _("took part in"), size=11)
    pdf.ln(2)
    _centred(pdf, content.title, size=13, bold=True)
    pdf.ln(2)
    _centred(pdf, _("on the dates below:"), size=11)
    pdf.ln(5)
    places = _places(content)
    if len(places) == 1 and places[0]:
        pdf.line_of_text(_("Venue") + ": " + places[0])
        pdf.ln(2)
    _dates_table(pdf, content, locale)
    pdf.ln(2)
    pdf.line_of_text(_totals(content, locale), bold=True)
    if content.summary.strip():
        pdf.ln(4)
        pdf.line_of_text(_("Contents"), bold=True)
        pdf.line_of_text(content.summary.strip(), size=9.5)
    _signature(pdf, content, locale)
    pdf.ln(6)
    pdf.set_text_color(70, 70, 70)
    pdf.line_of_text(_("Certificate no. %(number)s", number=content.number), size=8.5)
    pdf.line_of_text(_("Check that it is genuine: %(url)s", url=content.verify_url), size=8.5)
    pdf.set_text_color(0, 0, 0)
    return pdf.bytes()
