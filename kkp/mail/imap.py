"""A mailbox that returned mails arrive in, read over IMAP (`KKP_BOUNCE_IMAP_URL`).

The URL says where and how:

- `imaps://user:pass@host:993/INBOX`: TLS from the first byte (port 993 by default);
- `imap://user:pass@host/INBOX`: STARTTLS, which the server must offer (port 143); only
  to a loopback host (`localhost`, `127.0.0.1`, `::1`) plain, unless `?starttls=1`;
- the path is the folder to read (default `INBOX`; percent-encoded, `%2F` for a `/`);
- `?processed=Processed`: read mails are moved there (created when missing); without
  it they are deleted;
- `?batch=50`: mails fetched and settled per step (default 50); `?timeout=30` seconds.

Certificates are checked against the system's store. Mails are found by UID, read
without marking them seen (`BODY.PEEK`, at most `limit` bytes each) and settled with
`UID MOVE` (RFC 6851), else `UID COPY` and `UID EXPUNGE` (RFC 4315), else `EXPUNGE`:
a mail settled twice (two workers at once) is settled once. Neither the URL nor the
password is ever logged; errors name the host and the folder only.
"""

from __future__ import annotations

import imaplib
import ipaddress
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

#: hosts that an `imap://` URL may reach without STARTTLS
LOOPBACK_NAMES = ("localhost", "localhost.localdomain")
DEFAULT_BATCH = 50
_FETCHED = re.compile(rb"\bUID (\d+)\b")


class MailboxError(Exception):
    """The mailbox could not be reached or read; the message names no secret."""


@dataclass(frozen=True)
class MailboxSettings:
    host: str
    port: int
    username: str
    password: str = ""
    folder: str = "INBOX"
    #: the folder read mails go to; None: they are deleted
    processed: str | None = None
    tls: bool = True  # TLS from the first byte (imaps)
    starttls: bool = False
    batch: int = DEFAULT_BATCH
    timeout: float = 30.0  # seconds

    @classmethod
    def from_url(cls, url: str) -> MailboxSettings:
        """Read `KKP_BOUNCE_IMAP_URL`; :class:`ValueError` without the URL's secrets."""
        parts = urlsplit(url)
        if parts.scheme not in ("imap", "imaps"):
            raise ValueError(
                f"KKP_BOUNCE_IMAP_URL must start with imaps:// or imap://, not {parts.scheme!r}"
            )
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        host = parts.hostname or ""
        if not host or not parts.username:
            raise ValueError("KKP_BOUNCE_IMAP_URL must name the user and the host")
        tls = parts.scheme == "imaps"
        asked = query.get("starttls", "").lower()
        if not tls and asked in ("0", "false", "no") and not _loopback(host):
            raise ValueError("KKP_BOUNCE_IMAP_URL: imap:// without STARTTLS only to localhost")
        starttls = not tls and (asked in ("1", "true", "yes") or not _loopback(host))
        try:
            batch = int(query.get("batch", DEFAULT_BATCH))
            timeout = float(query.get("timeout", 30))
            port = parts.port or (993 if tls else 143)
        except ValueError:
            raise ValueError("KKP_BOUNCE_IMAP_URL: port, batch and timeout are numbers") from None
        if batch < 1:
            raise ValueError("KKP_BOUNCE_IMAP_URL: batch must be at least 1")
        return cls(
            host=host,
            port=port,
            username=unquote(parts.username),
            password=unquote(parts.password or ""),
            folder=unquote(parts.path.lstrip("/")) or "INBOX",
            processed=query.get("processed") or None,
            tls=tls,
            starttls=starttls,
            batch=batch,
            timeout=timeout,
        )

    def __repr__(self) -> str:  # never the password
        return f"MailboxSettings({self.host}:{self.port}, folder {self.folder!r})"


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (imaplib sends arguments as they are)."""
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Mailbox:
    """One open IMAP session with the folder selected (see :func:`open_mailbox`)."""

    def __init__(self, conn: imaplib.IMAP4, settings: MailboxSettings):
        self.conn = conn
        self.settings = settings
        self.capabilities = self._capabilities()

    def _capabilities(self) -> set[str]:
        typ, data = self.conn.capability()
        words = b" ".join(d for d in data if d).decode("ascii", "replace").upper().split()
        return set(words) if typ == "OK" else set()

    def _ok(self, what: str, typ: str, data) -> list:
        if typ != "OK":
            raise MailboxError(f"IMAP {what} refused by {self.settings.host}: {_text(data)}")
        return data

    def uids(self) -> list[int]:
        """The UIDs of every mail in the folder, oldest first."""
        data = self._ok("SEARCH", *self.conn.uid("SEARCH", "ALL"))
        return sorted(int(n) for n in b" ".join(d for d in data if d).split())

    def fetch(self, uids: list[int], limit: int) -> dict[int, bytes]:
        """The first `limit` bytes of each mail, by UID, without marking it seen; a UID
        another worker settled meanwhile is missing."""
        if not uids:
            return {}
        data = self._ok("FETCH", *self.conn.uid("FETCH", _set(uids), f"(BODY.PEEK[]<0.{limit}>)"))
        found: dict[int, bytes] = {}
        for n, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            # the UID before the body (Dovecot, Gmail) or after it, in the closing part
            after = data[n + 1] if n + 1 < len(data) and isinstance(data[n + 1], bytes) else b""
            if m := _FETCHED.search(item[0]) or _FETCHED.search(after):
                found[int(m.group(1))] = item[1]
        return found

    def settle(self, uids: list[int]) -> None:
        """Move the mails to the processed folder, or delete them if none is set."""
        if not uids:
            return
        target, conn = self.settings.processed, self.conn
        if target and "MOVE" in self.capabilities:
            self._ok("MOVE", *conn.uid("MOVE", _set(uids), _quoted(target)))
            return
        if target:
            self._ok("COPY", *conn.uid("COPY", _set(uids), _quoted(target)))
        self._ok("STORE", *conn.uid("STORE", _set(uids), "+FLAGS.SILENT", r"(\Deleted)"))
        if "UIDPLUS" in self.capabilities:
            self._ok("EXPUNGE", *conn.uid("EXPUNGE", _set(uids)))
        else:
            self._ok("EXPUNGE", *conn.expunge())

    def ensure_processed_folder(self) -> None:
        """Create the processed folder unless it exists."""
        folder = self.settings.processed
        if not folder:
            return
        typ, data = self.conn.create(_quoted(folder))
        if typ == "OK" or b"ALREADYEXISTS" in _bytes(tuple(data)):
            return
        if not any(self._ok("LIST", *self.conn.list('""', _quoted(folder)))):
            raise MailboxError(f"IMAP folder for processed mails not made: {_text(data)}")


@contextmanager
def open_mailbox(
    settings: MailboxSettings, *, context: ssl.SSLContext | None = None
) -> Iterator[Mailbox]:
    """Log in, select the folder (read-write) and make the processed folder; log out
    after. :class:`MailboxError` when the server is not reached or refuses."""
    context = context or ssl.create_default_context()
    s = settings
    try:
        if s.tls:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                s.host, s.port, ssl_context=context, timeout=s.timeout
            )
        else:
            conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
            if s.starttls:
                conn.starttls(ssl_context=context)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"IMAP server {s.host}:{s.port} not reached: {_reason(exc)}") from None
    try:
        try:
            conn.login(s.username, s.password)
        except imaplib.IMAP4.error:
            raise MailboxError(f"IMAP login at {s.host} refused") from None
        mailbox = Mailbox(conn, s)
        mailbox._ok("SELECT", *conn.select(_quoted(s.folder)))
        mailbox.ensure_processed_folder()
        yield mailbox
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"IMAP session with {s.host} failed: {_reason(exc)}") from None
    finally:
        try:
            conn.logout()
        except (OSError, imaplib.IMAP4.error):
            pass


def _set(uids: list[int]) -> str:
    return ",".join(str(u) for u in uids)


def _bytes(item) -> bytes:
    if isinstance(item, tuple):
        return b" ".join(_bytes(i) for i in item)
    return item if isinstance(item, bytes) else str(item or "").encode()


def _text(data) -> str:
    return b" ".join(_bytes(d) for d in data or ()).decode("utf-8", "replace")[:200]


def _reason(exc: BaseException) -> str:
    return type(exc).__name__ + (f": {exc.strerror}" if isinstance(exc, OSError) else "")
