"""What never goes into a log: tokens of links (in paths, query strings and headers),
API tokens, e-mail addresses, the user and password in a URL (`imaps://user:pass@…`).

The web's access log (gunicorn, see kkp.gunicorn_conf) and every log record of the
process (a log record factory, so that it holds for whatever handler prints it) pass
through :func:`redact`.
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

#: the public URLs whose next path segment is a token (DESIGN.md, "Public URLs");
#: a test keeps this in step with every route that takes a <token>
TOKEN_PREFIXES = (
    "unsubscribe",
    "preferences",
    "subscribe/confirm",
    "registrations",
    "registrations/confirm",
    "events/booking",
    "events/booking/confirm",
    "events/certificate",
    "events/feedback",
)

_TOKEN_PATH = re.compile(  # the longest prefix first: /registrations/confirm/<token>
    r"(/(?:"
    + "|".join(re.escape(p) for p in sorted(TOKEN_PREFIXES, key=len, reverse=True))
    + r")/)[^/?#\s\"'<>]+"
)
_QUERY = re.compile(r"(/[^\s?\"'<>]*)\?[^\s\"'<>]+")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s,;\"']+")
_API_TOKEN = re.compile(r"\bkkp_[A-Za-z0-9_-]{16,}")
_URL_USER = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s\"'<>]*@")
_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def redact_path(path: str) -> str:
    """A URL path with the token of a token URL replaced: `/unsubscribe/[redacted]`."""
    return _TOKEN_PATH.sub(r"\1" + REDACTED, path)


def redact(text: str) -> str:
    """`text` without tokens, query strings of URLs, API tokens, e-mail addresses and the
    user and password of URLs."""
    text = _URL_USER.sub(r"\1" + REDACTED + "@", text)
    text = _TOKEN_PATH.sub(r"\1" + REDACTED, text)
    text = _QUERY.sub(r"\1?" + REDACTED, text)
    text = _BEARER.sub(r"\1" + REDACTED, text)
    text = _API_TOKEN.sub("kkp_" + REDACTED, text)
    return _ADDRESS.sub("[address]", text)


def install_log_redaction() -> None:
    """Every log record of this process is redacted when it is made (once per process)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "kkp_redacting", False):
        return

    def make_record(*args, **kwargs) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format is logging's to report
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return record

    make_record.kkp_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(make_record)
