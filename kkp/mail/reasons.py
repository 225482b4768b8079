"""Why a delivery did not go out, as stored in `Delivery.last_error` and as editors
read it.

The service's own reasons are stored as fixed English phrases (the start of
`last_error`, details after a colon); :func:`describe` shows them in the reader's
language. A mail server's answer (`550 5.1.1 …`) is shown as the server gave it.
"""

from __future__ import annotations

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

UNSUBSCRIBED = "unsubscribed before sending"
#: the worker stopped while the message was being handed to the mail server: it may
#: have arrived, so it is not handed out again
INTERRUPTED = "interrupted while being handed to the mail server"
#: tried as often as the service tries, then given up
GAVE_UP = "given up after repeated attempts"
#: the message for this recipient could not be made (its address, say)
UNBUILDABLE = "the message could not be built"
NO_SMTPUTF8 = "the mail server does not accept addresses with characters beyond ASCII"

_LABELS = {
    UNSUBSCRIBED: _l("Unsubscribed before the mail went out."),
    INTERRUPTED: _l(
        "Sending was interrupted while the mail was being handed to the mail server. It "
        "may have arrived; it is not sent again, so that nobody gets it twice."
    ),
    GAVE_UP: _l("Given up after repeated attempts."),
    UNBUILDABLE: _l("The mail for this address could not be made."),
    NO_SMTPUTF8: _l(
        "The mail server does not accept addresses with umlauts or other special "
        "characters before the @ sign."
    ),
}


def reason(code: str, detail: object = None) -> str:
    """`last_error` for one of the reasons above, with an optional detail."""
    text = f"{code}: {detail}" if detail not in (None, "") else code
    return text[:2000]


def describe(last_error: str | None) -> str:
    """`last_error` in the reader's language: our own reasons translated, with their
    detail in parentheses; a server's answer as it was given."""
    if not last_error:
        return ""
    for code, label in _LABELS.items():
        if last_error == code or last_error.startswith(code + ":"):
            detail = last_error[len(code) + 1 :].strip()
            return f"{label} ({detail})" if detail else str(label)
    if last_error.startswith("SMTP connection failed") or last_error.startswith("connection lost"):
        return gettext("The mail server could not be reached (%(detail)s).", detail=last_error)
    return last_error
