"""Where mail goes: an SMTP relay (`KKP_SMTP_URL`) or the local outbox table.

`smtp://user:pass@host:port` (plain, `?starttls=1` for STARTTLS), `smtps://…` (TLS).
Each worker thread keeps its SMTP connection open across messages.
"""

from __future__ import annotations

import functools
import logging
import smtplib
import ssl
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from urllib.parse import parse_qs, unquote, urlsplit

from kkp.addresses import needs_smtputf8, sendable
from kkp.extensions import db
from kkp.mail import reasons
from kkp.mail.message import as_bytes
from kkp.mail.models import OutboxMessage
from kkp.mail.smtp_client import SMTP as _SMTP
from kkp.mail.smtp_client import SMTP_SSL as _SMTP_SSL

log = logging.getLogger(__name__)

#: how long a process trusts its last look at the relay's SMTPUTF8 support (seconds)
SMTPUTF8_RECHECK_SECONDS = 600.0


class DeliveryError(Exception):
    """Sending failed; `permanent` (5xx) ones are not retried; `connection` ones mean the
    server was not reached (or was lost), so the message itself was not judged.
    `in_doubt`: the connection was lost after the whole message was handed over, before
    the server's answer: it may have taken it, so it must not be sent again."""

    def __init__(
        self, message: str, *, permanent: bool, connection: bool = False, in_doubt: bool = False
    ):
        super().__init__(message)
        self.permanent = permanent
        self.connection = connection
        self.in_doubt = in_doubt


@dataclass(frozen=True)
class SMTPSettings:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False  # TLS from the first byte (smtps)
    starttls: bool = False
    timeout: float = 30.0  # seconds

    @classmethod
    def from_url(cls, url: str) -> SMTPSettings:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise ValueError(
                f"KKP_SMTP_URL must start with smtp:// or smtps://, not {parts.scheme!r}"
            )
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname or "localhost",
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls,
            starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
            timeout=float(query.get("timeout", ["30"])[0]),
        )


class SMTPTransport:
    def __init__(self, settings: SMTPSettings):
        self.settings = settings
        self._local = threading.local()

    @functools.cached_property
    def _tls_context(self) -> ssl.SSLContext:
        # once per transport: loading the CA certificates costs ~0.1 s of CPU
        return ssl.create_default_context()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.tls:
            conn: smtplib.SMTP = _SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=self._tls_context
            )
        else:
            conn = _SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                conn.starttls(context=self._tls_context)
        if s.username:
            conn.login(s.username, s.password or "")
        return conn

    def _connection(self) -> smtplib.SMTP:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()

    def send(self, msg: EmailMessage, *, envelope_from: str, recipients: list[str]) -> str:
        """Send one message; return the server's answer. Raises :class:`DeliveryError`."""
        return self.send_bytes(as_bytes(msg), envelope_from=envelope_from, recipients=recipients)

    def send_bytes(
        self,
        data: bytes,
        *,
        envelope_from: str,
        recipients: list[str],
        dot_safe: bool = False,
        defer: bool = False,
    ) -> str:
        """Send a serialised message (CRLF line ends). Raises :class:`DeliveryError`.

        `dot_safe`: no line of `data` starts with a dot (its builder sees to it), so the
        SMTP dot-stuffing scan of the whole message can be skipped. `defer`: do not wait
        for the server's answer to the data (see :class:`Pipeline`, which reads it)."""
        recipients = [sendable(r) for r in recipients]
        options = ("SMTPUTF8",) if needs_smtputf8(envelope_from, *recipients) else ()
        for attempt in (1, 2):
            conn = None
            try:
                conn = self._connection()
                conn.kkp_dot_safe = dot_safe
                conn.kkp_defer = defer
                conn.kkp_handed_over = False
                refused = conn.sendmail(envelope_from, recipients, data, mail_options=options)
                if refused:
                    code, text = next(iter(refused.values()))
                    raise DeliveryError(_answer(code, text), permanent=500 <= code < 600)
                return "250 OK"
            except smtplib.SMTPServerDisconnected as exc:
                self._local.conn = None
                _never_twice(conn, exc)
                if attempt == 2:
                    raise DeliveryError(
                        f"connection lost: {exc}", permanent=False, connection=True
                    ) from exc
            except smtplib.SMTPNotSupportedError as exc:
                # the relay stopped advertising SMTPUTF8: this recipient cannot be reached
                self._reset()
                raise DeliveryError(
                    reasons.reason(reasons.NO_SMTPUTF8, exc), permanent=True
                ) from exc
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                raise DeliveryError(_answer(code, text), permanent=500 <= code < 600) from exc
            except smtplib.SMTPResponseException as exc:
                if exc.smtp_code in (421,):  # the server closes the session
                    self.close()
                else:
                    self._reset()
                raise DeliveryError(
                    _answer(exc.smtp_code, exc.smtp_error), permanent=500 <= exc.smtp_code < 600
                ) from exc
            except (TimeoutError, OSError, smtplib.SMTPException) as exc:
                self.close()
                _never_twice(conn, exc)
                raise DeliveryError(
                    f"SMTP connection failed: {exc}", permanent=False, connection=True
                ) from exc
        raise AssertionError("unreachable")

    def supports_smtputf8(self) -> bool:
        """Whether the relay advertises SMTPUTF8 (RFC 6531); asked once per process and
        `SMTPUTF8_RECHECK_SECONDS` (not at all while the answer is fresh)."""
        checked_at, answer = getattr(self, "_smtputf8", (None, False))
        if checked_at is not None and time.monotonic() - checked_at < SMTPUTF8_RECHECK_SECONDS:
            return answer
        try:
            conn = self._connect()
            try:
                conn.ehlo_or_helo_if_needed()
                answer = bool(conn.has_extn("smtputf8"))
            finally:
                conn.close()
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("cannot ask the mail server whether it takes SMTPUTF8: %s", exc)
            answer = False
        self._smtputf8 = (time.monotonic(), answer)
        return answer

    def _reset(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            try:
                conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()


class Pipeline:
    """Many messages over this thread's connection, each message's final answer read
    with the next message's commands: one round trip per message instead of two, which
    halves the sender's CPU per message on a fast server.

    Outcomes arrive in order in :attr:`results` as `(key, None)` (taken) or
    `(key, DeliveryError)`, as soon as they are known: a message's own refusal at once,
    the answer to its data with the next message or at :meth:`flush`. A message whose
    answer is lost with the connection is in doubt (`in_doubt`: it may have arrived).
    :attr:`in_flight` are the keys handed over without an answer yet: the caller's in
    doubt should it stop before that answer comes."""

    def __init__(self, transport: SMTPTransport | OutboxTransport):
        self.transport = transport
        self.results: list[tuple[object, DeliveryError | None]] = []
        #: the key whose final answer is still due
        self.waiting = None
        #: the key being handed over right now
        self.handing = None

    @property
    def in_flight(self) -> list:
        return [k for k in (self.waiting, self.handing) if k is not None]

    def take(self) -> list[tuple[object, DeliveryError | None]]:
        results, self.results = self.results, []
        return results

    def send(self, key, data: bytes, *, envelope_from: str, recipients: list[str], **options):
        transport = self.transport
        if not isinstance(transport, SMTPTransport):
            try:
                transport.send_bytes(data, envelope_from=envelope_from, recipients=recipients)
            except DeliveryError as exc:
                self.results.append((key, exc))
            else:
                self.results.append((key, None))
            return
        conn = getattr(transport._local, "conn", None)
        # A key leaves `in_flight` only after its outcome is in `results`: whatever
        # stops the caller in between finds each key in one of them (or both).
        previous, self.handing = self.waiting, key
        try:
            transport.send_bytes(
                data, envelope_from=envelope_from, recipients=recipients, defer=True, **options
            )
        except DeliveryError as exc:
            self._answered(previous, conn)
            self.results.append((key, exc))
            self.handing = None
            return
        self._answered(previous, conn)
        now = getattr(transport._local, "conn", None)
        if now is not None and now.kkp_awaiting:
            self.waiting = key
        else:  # the server without PIPELINING answered at once
            self.results.append((key, None))
        self.handing = None

    def _answered(self, key, conn) -> None:
        """The outcome of `key`, whose answer was read (or lost) with the next message."""
        if key is None:
            return
        answer = getattr(conn, "kkp_previous", None)
        if answer is None:  # the connection was lost first
            self.results.append((key, _lost("connection lost before the answer")))
        else:
            conn.kkp_previous = None
            self.results.append((key, _refusal(*answer)))
        self.waiting = None

    def flush(self) -> None:
        """Read the answer still due (the caller records what went out next)."""
        key = self.waiting
        if key is None:
            return
        conn = getattr(self.transport._local, "conn", None)
        try:
            answer = conn.kkp_settle()
        except (TimeoutError, OSError, smtplib.SMTPException) as exc:
            self.transport._local.conn = None
            conn.close()
            self.results.append((key, _lost(exc)))
            self.waiting = None
            return
        self.results.append((key, _refusal(*answer)))
        self.waiting = None
        if answer[0] == 421:  # the server ends the session
            self.transport.close()


def _refusal(code: int, text: bytes) -> DeliveryError | None:
    if code == 250:
        return None
    return DeliveryError(_answer(code, text), permanent=500 <= code < 600)


def _lost(exc) -> DeliveryError:
    """Handed over, the answer lost: in doubt, but the connection is not judged (the
    next message opens a new one)."""
    return DeliveryError(reasons.reason(reasons.INTERRUPTED, exc), permanent=False, in_doubt=True)


def _never_twice(conn, exc: BaseException) -> None:
    """A connection lost after the whole message went over, before the server answered:
    the server may have taken it, so it is neither sent again here nor retried later."""
    if conn is not None and getattr(conn, "kkp_handed_over", False):
        raise DeliveryError(
            reasons.reason(reasons.INTERRUPTED, exc),
            permanent=False,
            connection=True,
            in_doubt=True,
        ) from exc


def _answer(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


class OutboxTransport:
    """Keeps messages in the `outbox_message` table, inside the caller's transaction."""

    def send(self, msg: EmailMessage, *, envelope_from: str, recipients: list[str]) -> str:
        return self.send_bytes(as_bytes(msg), envelope_from=envelope_from, recipients=recipients)

    def send_bytes(
        self, data: bytes, *, envelope_from: str, recipients: list[str], dot_safe: bool = False
    ) -> str:
        head = message_from_bytes(data.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n", policy=default)
        db.session.add(
            OutboxMessage(
                envelope_from=envelope_from,
                recipients=", ".join(recipients),
                subject=str(head.get("Subject", "")),
                message_id=str(head.get("Message-ID", "")),
                raw=data,
            )
        )
        return "stored in the local outbox"

    def close(self) -> None:
        pass

    def supports_smtputf8(self) -> bool:
        """The outbox stands in for a relay yet unknown: it promises no SMTPUTF8."""
        return False


def transport_for(app) -> SMTPTransport | OutboxTransport:
    """The app's transport, created once per app."""
    transport = app.extensions.get("kkp_transport")
    if transport is None:
        url = app.config.get("KKP_SMTP_URL")
        transport = SMTPTransport(SMTPSettings.from_url(url)) if url else OutboxTransport()
        app.extensions["kkp_transport"] = transport
    return transport
