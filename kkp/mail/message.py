"""Building RFC 5322 messages that survive Outlook, Gmail and strict relays.

Serialise with `policy.SMTP` (CRLF everywhere); HTML goes quoted-printable so no line
passes 998 octets; anything that reaches a header is stripped of CR and LF first.
"""

from __future__ import annotations

import re
from email import policy
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, formataddr, make_msgid, parseaddr

from kkp.addresses import sendable
from kkp.db import utcnow

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def header_text(value: str, limit: int = 500) -> str:
    """A single-line header value: control characters (CR, LF, TAB, NUL) become spaces."""
    return _CONTROL.sub(" ", value or "").strip()[:limit]


class FoldedHeader(str):
    """A header value folded by :class:`email.header.Header`, for the Subject.

    The email package's own folder keeps the space before a line break that precedes
    an encoded word, so "Netzwerktreffen Frühjahr" reads "Netzwerktreffen  Frühjahr"
    (two spaces) in mail programs. Here a value that is not ASCII becomes encoded
    words only, and the space between two encoded words is ignored when reading.
    """

    name: str

    def __new__(cls, name: str, value: str) -> FoldedHeader:
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def fold(self, *, policy) -> str:
        charset = "us-ascii" if str(self).isascii() else "utf-8"
        header = Header(str(self), charset, header_name=self.name, maxlinelen=78)
        encoded = header.encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


def mailbox(name: str, address: str) -> str:
    """A `Name <address>` header value; the name can never add a header.

    The name is encoded (RFC 2047) when it is not ASCII. An address that is not ASCII
    (its local part; domains are stored as A-labels) stays as it is: such a message
    travels with SMTPUTF8 and is serialised by :func:`as_bytes` as RFC 6532 allows."""
    name = header_text(name, 200)
    address = sendable(header_text(address, 254))
    if not name:
        return address
    if address.isascii():
        return formataddr((name, address))
    # formataddr encodes the name but cannot take the address: give it a stand-in
    return formataddr((name, "x@x")).removesuffix("<x@x>") + f"<{address}>"


def sender_address(mail_from: str) -> str:
    """The bare address of `KKP_MAIL_FROM`."""
    return parseaddr(mail_from)[1]


def new_message(
    *,
    subject: str,
    sender: str,
    to: str,
    text: str,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    domain: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text first, HTML last) with Date and Message-ID."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = FoldedHeader("Subject", header_text(subject, 900))
    msg["From"] = sender
    msg["To"] = to
    msg["Date"] = format_datetime(utcnow())
    msg["Message-ID"] = make_msgid(domain=domain or _domain_of(sender))
    msg["Auto-Submitted"] = "auto-generated"
    for key, value in (headers or {}).items():
        msg[key] = header_text(value, 2000)
    msg.set_content(_crlf_free(text), cte="quoted-printable")
    if html is not None:
        msg.add_alternative(_crlf_free(html), subtype="html", cte="quoted-printable")
    return msg


def add_calendar(msg: EmailMessage, ics: bytes, *, method: str, filename: str) -> None:
    """Make `msg` an invitation as Outlook, Gmail and Apple Mail read it:
    multipart/mixed > multipart/alternative (text, HTML, text/calendar with the
    `method` parameter), plus the same calendar as an `.ics` attachment."""
    part = MIMEPart(policy=policy.SMTP)
    part.set_content(
        ics, maintype="text", subtype="calendar", cte="base64", params={"method": method}
    )
    part.set_param("charset", "UTF-8")
    msg.attach(part)
    msg.make_mixed()
    msg.add_attachment(ics, maintype="application", subtype="ics", filename=filename)


def add_attachment(msg: EmailMessage, data: bytes, mime: str, filename: str) -> None:
    """Attach a file (base64): the message becomes multipart/mixed with the text and
    HTML first, so mail programs show the body and list the file."""
    maintype, _slash, subtype = mime.partition("/")
    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=header_text(filename))


def _crlf_free(body: str) -> str:
    return body.replace("\r\n", "\n").replace("\r", "\n")


def _domain_of(sender: str) -> str:
    address = sender_address(sender)
    return address.rpartition("@")[2] or "localhost"


def as_bytes(msg: EmailMessage) -> bytes:
    """The message with CRLF line ends; RFC 6532 (UTF-8 headers) when an address in it
    is not ASCII, for it goes out with SMTPUTF8 then."""
    return msg.as_bytes(policy=policy.SMTPUTF8 if _address_not_ascii(msg) else policy.SMTP)


def _address_not_ascii(msg: EmailMessage) -> bool:
    return any(
        not address.addr_spec.isascii()
        for name in ("To", "From", "Cc", "Reply-To")
        for value in msg.get_all(name, [])
        for address in getattr(value, "addresses", ())
    )


__all__ = [
    "Address",
    "add_attachment",
    "add_calendar",
    "as_bytes",
    "header_text",
    "mailbox",
    "new_message",
    "sender_address",
]
