"""The office's name wherever the service shows it: calendars, feeds, invitations.

The editors set it in /admin/settings/branding (`newsletter.branding`), a floor above
the calendars that show it; so the newsletter registers how to read it
(`office_name_from`), and the config's `KKP_OFFICE_NAME` stands in while the editors
have set none (or no domain registered one, as in a bare foundation).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

#: returns the name the editors set ("" for none) and when they last changed it (None if
#: never); set by the domain that keeps it (the settings). One small query: calendars
#: and feeds ask on their hot path.
_stored: Callable[[], tuple[str, datetime | None]] | None = None


def office_name_from(
    fn: Callable[[], tuple[str, datetime | None]],
) -> Callable[[], tuple[str, datetime | None]]:
    """Register the function that reads the office's name as the editors set it."""
    global _stored
    _stored = fn
    return fn


#: never part of a name, whatever was stored (the form refuses them; calendars and XML
#: feeds must not depend on that): control characters, line breaks among them
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class OfficeName:
    """The name to show, and when the editors last changed it (a calendar's or a
    feed's Last-Modified moves with it)."""

    name: str
    #: None: they never did (the config's name, or an empty setting never changed since)
    changed_at: datetime | None


def current_office_name() -> OfficeName:
    """The editors' name, else the config's `KKP_OFFICE_NAME`, as one line; read afresh
    each call."""
    name, changed_at = _stored() if _stored is not None else ("", None)
    name = " ".join(_CONTROL.sub(" ", name).split())
    return OfficeName(name or current_app.config["KKP_OFFICE_NAME"], changed_at)


#: returns the office's logo as (bytes, MIME type), or None; set by the domain that keeps
#: it (the settings). For documents that carry the picture itself (PDF certificates):
#: mail only links to it (`kkp.mail.render.branding_from`).
_logo: Callable[[], tuple[bytes, str] | None] | None = None


def office_logo_from(
    fn: Callable[[], tuple[bytes, str] | None],
) -> Callable[[], tuple[bytes, str] | None]:
    """Register the function that reads the office's logo."""
    global _logo
    _logo = fn
    return fn


def office_logo() -> tuple[bytes, str] | None:
    """The logo's bytes and MIME type, or None when there is none."""
    return _logo() if _logo is not None else None


def office_name() -> str:
    """The office's name, e.g. "Präventionsrat Musterstadt" (see `current_office_name`)."""
    return current_office_name().name
