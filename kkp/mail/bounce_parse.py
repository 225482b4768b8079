"""What a returned mail says: a hard or soft bounce, a complaint, an auto-reply, or
nothing we understand; and which of our deliveries it belongs to.

Pure apart from the VERP check (:func:`kkp.mail.verp.delivery_id_of`, which needs the
app's secret): the delivery id is read only from a return path whose HMAC is genuine,
so a forged token gives none. Order: RFC 3464 delivery status notifications, RFC 5965
feedback reports (complaints), out-of-office replies (RFC 3834), then the heuristics of
flufl.bounce for servers that send no DSN. Hostile input never raises: at most
:data:`MAX_BYTES` are read, and whatever cannot be parsed is `unknown`.
"""

from __future__ import annotations

import email
import email.policy
import enum
import hashlib
import logging
import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses

from flufl.bounce import all_failures

from kkp.mail.verp import delivery_id_of

log = logging.getLogger(__name__)

#: bytes of a returned mail that are read; the rest is ignored
MAX_BYTES = 1024 * 1024
#: characters of the server's diagnostic that are kept
MAX_DIAGNOSTIC = 500

_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_OUT_OF_OFFICE = re.compile(
    r"out of (the )?office|abwesenheit|auto(matic|matische)?[ -]?(reply|antwort)|"
    r"vacation|urlaub|nicht im b(ü|ue)ro|autoreply",
    re.IGNORECASE,
)
#: where a returned mail names the address it was sent to, i.e. our return path
_RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "To", "Envelope-To", "X-Envelope-To")


class BounceKind(enum.StrEnum):
    """What a returned mail is; the database stores the value."""

    HARD = "hard"
    SOFT = "soft"
    COMPLAINT = "complaint"
    AUTO_REPLY = "auto_reply"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class ParsedBounce:
    """A returned mail, read. `key` tells the same mail apart when it comes twice (a
    hash of its Message-ID, else of its bytes)."""

    kind: BounceKind
    delivery_id: int | None = None
    #: the enhanced status code, e.g. "5.1.1", or ""
    status: str = ""
    #: the receiving server's words, at most MAX_DIAGNOSTIC characters
    diagnostic: str = ""
    #: the address the report names as failed, as reported
    final_recipient: str = ""
    key: str = ""


def parse_bounce(raw: bytes, envelope_recipient: str | None = None) -> ParsedBounce:
    """Read a returned mail; `envelope_recipient` is the address it was delivered to
    (our return path), when the mail server passes it on."""
    raw = bytes(raw[:MAX_BYTES])
    key = hashlib.sha256(raw).hexdigest()
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        key = _key(msg) or key
    except Exception as exc:  # noqa: BLE001 - hostile input: whatever breaks is unknown
        log.info("returned mail not readable: %s", type(exc).__name__)
        return ParsedBounce(BounceKind.UNKNOWN, key=key)
    try:
        parsed = _read(msg)
    except Exception as exc:  # noqa: BLE001
        log.info("returned mail not understood: %s", type(exc).__name__)
        parsed = ParsedBounce(BounceKind.UNKNOWN)
    try:
        delivery_id = _delivery_id(msg, envelope_recipient)
    except Exception as exc:  # noqa: BLE001
        log.info("returned mail names no delivery: %s", type(exc).__name__)
        delivery_id = None
    return ParsedBounce(
        parsed.kind,
        delivery_id=delivery_id,
        status=parsed.status,
        diagnostic=parsed.diagnostic,
        final_recipient=parsed.final_recipient,
        key=key,
    )


def _read(msg: Message) -> ParsedBounce:
    report_type = (msg.get_param("report-type", header="content-type") or "").lower()
    if msg.get_content_type() == "multipart/report" and report_type == "delivery-status":
        return _dsn(msg)
    if msg.get_content_type() == "multipart/report" and report_type == "feedback-report":
        return _feedback(msg)
    if _out_of_office(msg):
        return ParsedBounce(BounceKind.AUTO_REPLY)
    found = _heuristic(msg)
    if found is not None:
        return found
    if _header(msg, "Auto-Submitted").lower() not in ("", "no"):
        return ParsedBounce(BounceKind.AUTO_REPLY)
    return ParsedBounce(BounceKind.UNKNOWN)


def _dsn(msg: Message) -> ParsedBounce:
    """The worst recipient of an RFC 3464 report: failed before delayed; 5.x.x is hard,
    4.x.x soft."""
    best: tuple[int, ParsedBounce] | None = None
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _field_blocks(part)[1:]:  # the first block is about the message
            action = _header(block, "Action").lower()
            if action not in ("failed", "delayed"):
                continue
            status = _status(_header(block, "Status"))
            if action == "delayed" or status.startswith("4"):
                kind, rank = BounceKind.SOFT, 1
            else:
                kind, rank = BounceKind.HARD, 2
            found = ParsedBounce(
                kind,
                status=status,
                diagnostic=_diagnostic(_header(block, "Diagnostic-Code")),
                final_recipient=_typed_address(
                    _header(block, "Final-Recipient") or _header(block, "Original-Recipient")
                ),
            )
            if best is None or rank > best[0]:
                best = (rank, found)
    return best[1] if best else ParsedBounce(BounceKind.UNKNOWN)


def _feedback(msg: Message) -> ParsedBounce:
    """An RFC 5965 report: an abuse (or fraud) report is a complaint."""
    for part in msg.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        for block in _field_blocks(part):
            feedback_type = _header(block, "Feedback-Type").lower()
            if feedback_type in ("abuse", "fraud"):
                return ParsedBounce(
                    BounceKind.COMPLAINT,
                    diagnostic=feedback_type,
                    final_recipient=_typed_address(_header(block, "Original-Rcpt-To")),
                )
    return ParsedBounce(BounceKind.UNKNOWN)


def _out_of_office(msg: Message) -> bool:
    """RFC 3834 and the older marks of auto-replies. Auto-Submitted alone is not enough:
    mail servers set it on their bounces too."""
    if _header(msg, "X-Autoreply") or _header(msg, "X-Autorespond"):
        return True
    if _header(msg, "Precedence").lower() == "auto_reply":
        return True
    return bool(_OUT_OF_OFFICE.search(_header(msg, "Subject")))


def _heuristic(msg: Message) -> ParsedBounce | None:
    """Bounces in the formats of servers that send no DSN, through flufl.bounce."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception as exc:  # noqa: BLE001 - its detectors trip over broken mails
        log.info("bounce detectors failed: %s", type(exc).__name__)
        return None
    if not (temporary or permanent):
        return None
    addresses = permanent or temporary
    text = _text(msg)
    match = _STATUS.search(text)
    line = next((ln for ln in text.splitlines() if match and match.group(0) in ln), "")
    return ParsedBounce(
        BounceKind.HARD if permanent else BounceKind.SOFT,
        status=match.group(0) if match else "",
        diagnostic=_diagnostic(line),
        final_recipient=_clean(sorted(_as_text(a) for a in addresses)[0]),
    )


def _delivery_id(msg: Message, envelope_recipient: str | None) -> int | None:
    """The first genuine VERP token: in the envelope, the returned mail's own headers,
    or the return path of the original it encloses (an ARF report)."""
    candidates = [envelope_recipient or ""]
    candidates += [v for name in _RECIPIENT_HEADERS for v in _all(msg, name)]
    for part in msg.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            original = _enclosed(part)
            if original is not None:
                candidates += _all(original, "Return-Path")
    for value in candidates:
        for _name, address in getaddresses([value]):
            found = delivery_id_of(address) if address else None
            if found is not None:
                return found
    return None


def _enclosed(part: Message) -> Message | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        return payload[0]
    if isinstance(payload, str):
        return email.message_from_string(payload, policy=email.policy.compat32)
    return None


def _field_blocks(part: Message) -> list[Message]:
    """The header blocks of a delivery-status or feedback-report part, however the
    parser left them."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return [p for p in payload if isinstance(p, Message)]
    text = _decoded(part)
    return [
        email.message_from_string(block.strip() + "\n", policy=email.policy.compat32)
        for block in re.split(r"\r?\n\s*\r?\n", text)
        if block.strip()
    ]


def _text(msg: Message) -> str:
    """The first text/plain part (or the body), decoded as well as its charset allows."""
    for part in msg.walk():
        if part.get_content_type() == "text/plain":
            return _decoded(part)
    return ""


def _decoded(part: Message) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return str(part.get_payload() or "")
    charset = part.get_content_charset() or "utf-8"
    try:
        return data.decode(charset, errors="replace")
    except LookupError:  # a charset nobody knows
        return data.decode("latin-1")


def _key(msg: Message) -> str:
    message_id = _header(msg, "Message-ID").strip()
    return hashlib.sha256(message_id.encode()).hexdigest() if message_id else ""


def _header(msg: Message, name: str) -> str:
    return _clean(_as_text(msg.get(name, "") or ""))


def _all(msg: Message, name: str) -> list[str]:
    return [_clean(_as_text(v)) for v in msg.get_all(name, [])]


def _as_text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value).encode("utf-8", errors="replace").decode("utf-8")


def _clean(value: str) -> str:
    return _CONTROL.sub(" ", value).strip()


def _status(value: str) -> str:
    match = _STATUS.search(value)
    return match.group(0) if match else ""


def _typed_address(value: str) -> str:
    """'rfc822; anna@example.org' → 'anna@example.org'."""
    return value.split(";", 1)[-1].strip().strip("<>")[:254]


def _diagnostic(value: str) -> str:
    """'smtp; 550 5.1.1 <…>: User unknown' → '550 5.1.1 <…>: User unknown', bounded."""
    text = " ".join(value.split())
    if ";" in text[:10]:
        text = text.split(";", 1)[1].strip()
    return text[:MAX_DIAGNOSTIC]
