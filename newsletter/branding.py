"""The office's appearance: its name, postal address, accent colour and logo.

Editors set them in /admin/settings/branding (`newsletter.admin.branding`); they are
settings like the texts (`newsletter.settings.BRANDING_SETTINGS`), the logo an `Image`
row whose id a setting keeps. The public pages show them in their header and footer
(`newsletter.pages.branding`: a context processor and /branding.css), every mail in its
header and footer (registered with the foundation: `kkp.mail.render.branding_from`),
and the calendars, feeds and invitations name the office by it (`kkp.office`).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from sqlalchemy.orm import defer

from kkp.extensions import db
from kkp.forms import InputError
from kkp.mail.render import MAIL_COLOUR, branding_from
from kkp.office import office_logo_from, office_name_from
from newsletter.issues import IssueError, store_image
from newsletter.models import Image, OfficeSetting
from newsletter.settings import save_settings, stored_settings

#: "#" and six hexadecimal digits, nothing else
HEX_COLOUR = re.compile(r"#[0-9a-f]{6}")
#: WCAG 2.1 AA for normal text: white on the colour (buttons, the header) and the colour
#: as text on the pages' light backgrounds (links)
MIN_CONTRAST = 4.5
#: the light backgrounds the colour meets: white and the footer's (kkp.css --soft)
LIGHT_BACKGROUNDS = ("#ffffff", "#f7f7f9")
#: a logo's formats (no GIF, and no SVG: it can carry script)
LOGO_FORMATS = {"PNG", "JPEG", "WEBP"}
#: the logo's height in the pages' header, in CSS pixels
PAGE_LOGO_HEIGHT = 48
#: the box the logo fits in at the top of a mail (width, height)
MAIL_LOGO_BOX = (240, 64)


class BrandingError(InputError):
    """Bad input for the office's appearance."""


@dataclass(frozen=True)
class Logo:
    #: where the archive serves it (same host)
    path: str
    width: int
    height: int

    def fitted(self, width: int, height: int) -> tuple[int, int]:
        """Its size scaled down (never up) to fit a box, in whole pixels."""
        scale = min(1.0, width / self.width, height / self.height)
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


@dataclass(frozen=True)
class Branding:
    office_name: str
    #: lines, as the editors wrote them; "" if none
    postal_address: str
    #: "#rrggbb", or "" for the design's own colour
    accent_colour: str
    logo: Logo | None

    @property
    def address_lines(self) -> list[str]:
        return [line.strip() for line in self.postal_address.splitlines() if line.strip()]

    @property
    def logo_size(self) -> tuple[int, int] | None:
        """The logo's width and height in the pages' header."""
        if self.logo is None:
            return None
        return self.logo.fitted(PAGE_LOGO_HEIGHT * 6, PAGE_LOGO_HEIGHT)

    @property
    def accent_dark(self) -> str:
        """The colour darkened by a fifth: buttons under the pointer."""
        return "#" + "".join(f"{round(c * 0.8):02x}" for c in _channels(self.accent_colour))


def branding(stored: dict[str, str] | None = None) -> Branding:
    """The office's appearance as stored (`stored`: the settings, if read already)."""
    if stored is None:
        stored = stored_settings()
    colour = stored.get("accent_colour", "")
    return Branding(
        office_name=stored.get("office_name") or current_app.config["KKP_OFFICE_NAME"],
        postal_address=stored.get("postal_address", ""),
        accent_colour=colour if HEX_COLOUR.fullmatch(colour) else "",
        logo=_logo(stored.get("logo_image_id", "")),
    )


def _logo(image_id: str) -> Logo | None:
    if not image_id.isdigit():
        return None
    image = db.session.get(Image, int(image_id), options=[defer(Image.data)])
    if image is None:
        return None
    return Logo(path=image.path, width=image.width, height=image.height)


def mail_branding(stored: dict[str, str] | None = None) -> dict:
    """What a mail shows of the office (see `kkp.mail.render.mail_branding`)."""
    office = branding(stored)
    logo = None
    if office.logo is not None:
        width, height = office.logo.fitted(*MAIL_LOGO_BOX)
        logo = {
            "url": current_app.config["KKP_BASE_URL"] + office.logo.path,
            "width": width,
            "height": height,
            "alt": office.office_name,
        }
    return {
        "office_name": office.office_name,
        "postal_address": "\n".join(office.address_lines),
        "accent": office.accent_colour or MAIL_COLOUR,
        "logo": logo,
    }


@branding_from
def _mail_branding() -> dict:
    return mail_branding()


@office_logo_from
def _office_logo() -> tuple[bytes, str] | None:
    """The logo's bytes for documents that embed it (the certificates' PDF)."""
    image_id = stored_settings().get("logo_image_id", "")
    image = db.session.get(Image, int(image_id)) if image_id.isdigit() else None
    return (image.data, image.mime) if image is not None else None


#: the one row the calendars and feeds read, by its primary key
_OFFICE_NAME = sa.select(OfficeSetting.value, OfficeSetting.updated_at).where(
    OfficeSetting.key == "office_name"
)


@office_name_from
def _office_name() -> tuple[str, datetime | None]:
    """The name as the editors set it and its last change, in one primary-key query
    (Core: what the database holds, never an object the session remembers)."""
    row = db.session.execute(_OFFICE_NAME).first()
    return (row.value, row.updated_at) if row is not None else ("", None)


# -- the colour --------------------------------------------------------------------------


def _channels(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _luminance(colour: str) -> float:
    """Relative luminance (WCAG 2.1)."""
    linear = []
    for channel in _channels(colour):
        c = channel / 255
        linear.append(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
    r, g, b = linear
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    """The contrast ratio of two "#rrggbb" colours (WCAG 2.1), 1 to 21."""
    light, dark = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def colour_problem(colour: str) -> str | None:
    """Why `colour` (lower case, "" for the design's own) cannot be the accent colour."""
    if not colour:
        return None
    if not HEX_COLOUR.fullmatch(colour):
        return _(
            "Please give the colour as “#” and six hexadecimal digits (0–9, a–f), e.g. #0b4f8a."
        )
    ratio = min(contrast(colour, background) for background in LIGHT_BACKGROUNDS)
    if ratio < MIN_CONTRAST:
        return _(
            "This colour is too light: white text on it, and links in it, would be hard "
            "to read (contrast %(ratio)s:1, at least %(minimum)s:1 is needed). Please "
            "choose a darker colour.",
            ratio=format_decimal(math.floor(ratio * 10) / 10, format="0.0"),
            minimum=format_decimal(MIN_CONTRAST, format="0.0"),
        )
    return None


# -- saving ------------------------------------------------------------------------------


def _store_logo(data: bytes) -> Image:
    """Keep an uploaded logo: PNG, JPEG or WebP, within the images' limits."""
    if 0 < len(data) <= current_app.config["KKP_IMAGE_MAX_BYTES"]:
        try:
            with PILImage.open(io.BytesIO(data)) as picture:
                kind = picture.format
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            kind = None
        if kind not in LOGO_FORMATS:
            raise BrandingError(_("Please upload the logo as a PNG, JPEG or WebP image."), "logo")
    try:
        return store_image(data)
    except IssueError as exc:
        raise BrandingError(str(exc), "logo") from exc


def save_branding(
    *,
    office_name: str,
    postal_address: str,
    accent_colour: str,
    logo: bytes | None,
    remove_logo: bool,
) -> list[str]:
    """Check the office's appearance and keep it; every refusal at once (a
    `BrandingError`). A new logo replaces the old one; the old image stays, as mail
    already sent shows it. Returns the keys that changed."""
    current = stored_settings()
    colour = accent_colour.strip().lower()
    errors: dict[str, str] = {}
    if problem := colour_problem(colour):
        errors["accent_colour"] = problem
    logo_id = current["logo_image_id"]
    if logo:
        try:
            logo_id = str(_store_logo(logo).id)
        except BrandingError as exc:
            errors["logo"] = str(exc)
    elif remove_logo:
        logo_id = ""
    if errors:
        field = next(iter(errors))
        raise BrandingError(errors[field], field, errors)
    values = {
        "office_name": office_name.strip(),
        "postal_address": "\n".join(
            line.strip() for line in postal_address.replace("\r\n", "\n").strip().split("\n")
        ),
        "accent_colour": colour,
        "logo_image_id": logo_id,
    }
    save_settings(values)
    return [key for key, value in values.items() if current[key] != value]
