"""The office's appearance on every page: `office()` for the templates (name, address,
logo; read once per request) and /branding.css, the office's accent colour as the
design's custom properties (a style sheet, as the pages allow no inline style)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request

from kkp.conditional import conditional_response
from kkp.extensions import db
from newsletter.branding import Branding, branding
from newsletter.models import OfficeSetting
from newsletter.pages.subscribing import bp

#: the Last-Modified of the style sheet before the office ever set a colour
_NEVER = datetime(2026, 1, 1, tzinfo=UTC)


def _office() -> Branding:
    cache = request.environ if has_request_context() else {}
    if "kkp.branding" not in cache:
        cache["kkp.branding"] = branding()
    return cache["kkp.branding"]


@bp.app_context_processor
def _branding_context() -> dict:
    return {"office": _office}


@bp.get("/branding.css")
def branding_css():
    """The accent colour as KKP's custom properties (kkp.css); empty if none is set.
    The pages name it with the colour in the query, so a new colour is a new URL."""
    office = _office()
    body = "/* the office's colours: none set, the design's own apply */\n"
    if office.accent_colour:
        body = (
            ":root {\n"
            f"  --brand: {office.accent_colour};\n"
            f"  --brand-dark: {office.accent_dark};\n"
            "  --on-brand: #fff;\n"
            "}\n"
        )
    row = db.session.get(OfficeSetting, "accent_colour")
    changed = row.updated_at if row is not None else _NEVER
    return conditional_response(body.encode(), "text/css", changed)
