"""Where a redirect taken from user input (`?next=…`) may lead: a path of this site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit


def safe_local_path(target: str | None, default: str) -> str:
    """`target` if it is a path on this site, else `default`.

    Browsers are lenient where attackers are inventive: they drop tabs and line breaks
    anywhere in a URL (`/<TAB>/evil.example` becomes `//evil.example`), read a backslash
    as a slash (`/\\evil.example`), and take `//host` as another site. So a target
    must start with exactly one slash and hold no backslash and no control or
    invisible formatting character at all; line breaks also could not go into a
    Location header.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    if "\\" in target or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
