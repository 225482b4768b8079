"""One address policy for every entrance: sign-up form, API, CSV import, event
registration, editors' forms.

An address is stored and sent as it can travel: lower-cased, its domain as the
A-label (`x@bücher.de` becomes `x@xn--bcher-kva.de`), so that `bücher.de` and
`xn--bcher-kva.de` are one address. A local part that is not ASCII (`ü@example.org`)
needs SMTPUTF8 (RFC 6531) from the relay: it is accepted only when the configured
relay advertises it, and is then sent with it. Lengths are RFC 5321's, in octets: 64
for the local part, 254 for the whole address.

Messages of :class:`AddressError` are shown to people as they are (translated).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import idna
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

#: RFC 5321 limits, in octets of the address as sent
MAX_LOCAL_OCTETS = 64
MAX_ADDRESS_OCTETS = 254

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class AddressError(ValueError):
    """An address the service refuses. `code` says why (one of :data:`MESSAGES`);
    `str()` gives the message for the person who typed it, in her language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return message(self.code)


#: why an address is refused, by code
MESSAGES = {
    "empty": _l("Please enter your e-mail address."),
    "invalid": _l("This is not a valid e-mail address."),
    "not_ascii": _l(
        "Our mail server cannot deliver to addresses with umlauts or other special "
        "characters before the @ sign. Please use another address."
    ),
    "local_too_long": _l("The part before the @ sign is too long: at most %(n)d characters."),
    "too_long": _l("This address is too long: at most %(n)d characters."),
}
_LIMITS = {"local_too_long": MAX_LOCAL_OCTETS, "too_long": MAX_ADDRESS_OCTETS}


def message(code: str) -> str:
    """The message for a refusal code, in the current language."""
    text = MESSAGES.get(code, MESSAGES["invalid"])
    return str(text) % {"n": _LIMITS[code]} if code in _LIMITS else str(text)


def normalise_address(
    raw: str | None,
    *,
    smtputf8: bool | Callable[[], bool] = False,
    local_domains: bool = False,
) -> str:
    """The address as stored and sent, or :class:`AddressError`.

    `smtputf8`: whether a local part that is not ASCII can be sent (the relay
    advertises SMTPUTF8); a callable is asked only when such an address comes.
    `local_domains`: also take domains of a local network (`admin@localhost`,
    `redaktion@kkp.test`), as editors' log-in names may be.
    """
    raw = (raw or "").strip()
    if not raw:
        raise AddressError("empty")
    if _CONTROL.search(raw):
        raise AddressError("invalid")
    local_typed, _at, _domain = raw.rpartition("@")
    if len(local_typed.encode()) > MAX_LOCAL_OCTETS:
        raise AddressError("local_too_long")
    if len(raw.encode()) > MAX_ADDRESS_OCTETS:
        raise AddressError("too_long")
    domain = _checked_domain(_domain) if _PLAIN_LOCAL.fullmatch(local_typed) else None
    if domain is not None:  # what email_validator gives, without its work on each row
        local = local_typed.lower()
    else:
        try:
            result = validate_email(raw, check_deliverability=False, allow_smtputf8=True)
            local, domain = result.local_part.lower(), result.ascii_domain.lower()
        except EmailNotValidError as exc:
            local, domain = _local_address(raw) if local_domains else (None, None)
            if local is None:
                raise AddressError("invalid") from exc
    if not local.isascii() and not (smtputf8() if callable(smtputf8) else smtputf8):
        raise AddressError("not_ascii")
    if len(local.encode()) > MAX_LOCAL_OCTETS:
        raise AddressError("local_too_long")
    address = f"{local}@{domain}"
    if len(address.encode()) > MAX_ADDRESS_OCTETS:  # the A-label is longer than typed
        raise AddressError("too_long")
    return address


#: a local part that email_validator takes as it is: letters, digits and _ + - between
#: single dots (nearly every address); an import's rows then differ only there, and its
#: domains are few
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")


@functools.lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The domain as email_validator gives it (the A-label), lower-cased; None when it
    refuses the domain (the whole address is then checked, for its reason)."""
    try:
        result = validate_email(f"x@{domain}", check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return None
    return result.ascii_domain.lower()


_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def _local_address(raw: str) -> tuple[str | None, str | None]:
    """The local part and domain of an address on a local network, or (None, None)."""
    local, _at, domain = raw.rpartition("@")
    try:
        local = validate_email(f"{local}@example.org", check_deliverability=False,
                               allow_smtputf8=True).local_part.lower()  # fmt: skip
        domain = a_label(domain)
    except (EmailNotValidError, UnicodeError):
        return None, None
    if not all(_LABEL.fullmatch(label) for label in domain.split(".")):
        return None, None
    return local, domain


def address_problem(stored: str, *, smtputf8: bool = False) -> str | None:
    """Why a stored address breaks the policy (translated), or None when it is fine
    and stored in its normal form."""
    try:
        normal = normalise_address(stored, smtputf8=smtputf8)
    except AddressError as exc:
        return str(exc)
    if normal != stored:
        return _("Not stored in its normal form; it is sent as %(address)s.", address=normal)
    return None


def display_address(address: str) -> str:
    """The address as people write it: an A-label domain shown in Unicode."""
    local, _at, domain = (address or "").rpartition("@")
    if "xn--" not in domain:
        return address
    try:
        return f"{local}@{idna.decode(domain)}"
    except (UnicodeError, ValueError):
        return address


@functools.lru_cache(maxsize=4096)
def a_label(domain: str) -> str:
    """The domain as it travels (IDNA 2008 with UTS 46 mapping, as email-validator
    does: `straße.de` is `xn--strae-oqa.de`, not Python's IDNA 2003 `strasse.de`).
    Raises :class:`UnicodeError` for a domain that has none.

    Cached (a pure function of the domain): an import's addresses share a few
    hundred domains, and IDNA costs more than the rest of the suppression check."""
    return idna.encode(domain, uts46=True).decode("ascii")


def sendable(address: str) -> str:
    """The address with its domain as A-label, as it goes over SMTP (addresses stored
    before the address policy may have their domain in Unicode)."""
    if address.isascii():
        return address
    local, _at, domain = address.rpartition("@")
    try:
        return f"{local}@{a_label(domain)}"
    except UnicodeError:
        return address


def needs_smtputf8(*addresses: str) -> bool:
    """Whether sending to or from these addresses needs the SMTPUTF8 extension."""
    return not all(a.isascii() for a in addresses)
