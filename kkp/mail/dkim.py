"""DKIM signing (RFC 6376) of outgoing mail, when `KKP_DKIM_*` are set: rsa-sha256,
and beside it ed25519-sha256 (RFC 8463) when `KKP_DKIM_ED25519_*` are set too.

Gmail and Yahoo want the one-click headers signed, `List-Unsubscribe-Post` included
(which dkimpy's default list leaves out), so the list here names them. From is signed
once more than it occurs ("oversigned", as dkimpy does by default): a second From added
on the way breaks the signature.

Both signatures share one canonical form of the message (relaxed/relaxed), made once:
the body hashed once, the header fields parsed once; each key then signs its own
DKIM-Signature field. Keys are read once (`signer_for`), signed by OpenSSL through
`cryptography`. `bench/dkim_sign.py` measures it; dkimpy verifies it in the tests.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key

SIGNED_HEADERS = (
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"mime-version",
    b"content-type",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"auto-submitted",
)
OVERSIGNED = (b"from",)
MIN_KEY_BITS = 2048
LINE = 76  # the signature's lines, folded before this width


class DKIMConfigError(RuntimeError):
    pass


@dataclass(frozen=True)
class _Key:
    """One selector's key: its algorithm tag and how it signs the canonical headers."""

    selector: bytes
    algorithm: bytes
    sign: Callable[[bytes], bytes]


class Signer:
    """Signs each message with the RSA key and, when given, the Ed25519 key too."""

    def __init__(
        self,
        selector: str,
        domain: str,
        key: bytes,
        *,
        ed25519_selector: str | None = None,
        ed25519_key: bytes | None = None,
    ):
        self.domain = domain.encode()
        self.key = _load(key, rsa.RSAPrivateKey, "an RSA")
        if self.key.key_size < MIN_KEY_BITS:
            raise DKIMConfigError(
                f"the DKIM key has {self.key.key_size} bits; use at least {MIN_KEY_BITS}"
                " (openssl genrsa -out dkim.pem 2048)"
            )
        pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
        self.keys = [
            _Key(selector.encode(), b"rsa-sha256", lambda data: self.key.sign(data, pkcs1, sha256))
        ]
        self.ed25519_key = None
        if ed25519_key is not None:
            if not ed25519_selector or ed25519_selector == selector:
                raise DKIMConfigError(
                    "the Ed25519 key needs a selector of its own (KKP_DKIM_ED25519_SELECTOR)"
                )
            self.ed25519_key = edkey = _load(ed25519_key, ed25519.Ed25519PrivateKey, "an Ed25519")
            # RFC 8463: Ed25519 signs the SHA-256 hash of the canonical headers
            self.keys.append(
                _Key(
                    ed25519_selector.encode(),
                    b"ed25519-sha256",
                    lambda data: edkey.sign(hashlib.sha256(data).digest()),
                )
            )

    @classmethod
    def from_config(cls, config) -> Signer | None:
        selector, domain, key_file = (
            config.get("KKP_DKIM_SELECTOR"),
            config.get("KKP_DKIM_DOMAIN"),
            config.get("KKP_DKIM_KEY_FILE"),
        )
        ed_selector, ed_file = (
            config.get("KKP_DKIM_ED25519_SELECTOR"),
            config.get("KKP_DKIM_ED25519_KEY_FILE"),
        )
        if not (selector or domain or key_file or ed_selector or ed_file):
            return None
        if not (selector and domain and key_file):
            raise DKIMConfigError(
                "DKIM needs all three of KKP_DKIM_SELECTOR, KKP_DKIM_DOMAIN and KKP_DKIM_KEY_FILE"
                + (" (Ed25519 signs beside RSA, not instead)" if ed_selector or ed_file else "")
            )
        if bool(ed_selector) != bool(ed_file):
            raise DKIMConfigError(
                "Ed25519 signing needs both KKP_DKIM_ED25519_SELECTOR and KKP_DKIM_ED25519_KEY_FILE"
            )
        key = _read(key_file, "KKP_DKIM_KEY_FILE")
        ed_key = _read(ed_file, "KKP_DKIM_ED25519_KEY_FILE") if ed_file else None
        try:
            return cls(selector, domain, key, ed25519_selector=ed_selector, ed25519_key=ed_key)
        except DKIMConfigError as exc:  # which file
            files = " and ".join(f for f in (key_file, ed_file) if f)
            raise DKIMConfigError(f"{exc} (in {files})") from exc

    def sign(self, message: bytes) -> bytes:
        """The message (CRLF line ends) with a `DKIM-Signature` field per key in front,
        the RSA one first."""
        head, _, body = message.partition(b"\r\n\r\n")
        body_hash = base64.b64encode(hashlib.sha256(relaxed_body(body)).digest())
        fields = _fields(head)
        names = [h for h in SIGNED_HEADERS if h in fields]
        names += [h for h in OVERSIGNED if h in fields]
        headers = canonical_headers(fields, names)
        when = str(int(time.time())).encode()
        rest = b";\r\n h=" + _fold(names, b":", 3) + b";\r\n bh=" + body_hash + b";\r\n b="
        out = []
        for key in self.keys:
            tags = (
                b"v=1; a="
                + key.algorithm
                + b"; c=relaxed/relaxed;\r\n d="
                + self.domain
                + b"; s="
                + key.selector
                + b"; t="
                + when
                + rest
            )
            signature = base64.b64encode(
                key.sign(headers + relaxed_header(b"dkim-signature", b" " + tags))
            )
            out.append(b"DKIM-Signature: " + tags + _fold_base64(signature) + b"\r\n")
        out.append(message)
        return b"".join(out)


_FIELD_START = re.compile(rb"\r\n(?![ \t])")
_WSP = re.compile(rb"[ \t]+")
_SPACES = re.compile(rb"   *")  # two spaces or more: the search looks for two at once


def _fields(head: bytes) -> dict[bytes, list[bytes]]:
    """The header's fields by lower-case name, each name's values top to bottom (folded)."""
    fields: dict[bytes, list[bytes]] = {}
    for line in _FIELD_START.split(head):
        name, _, value = line.partition(b":")
        fields.setdefault(name.strip().lower(), []).append(value)
    return fields


def canonical_headers(fields: dict[bytes, list[bytes]], names: list[bytes]) -> bytes:
    """The signed fields in `names` order, relaxed. A name given twice takes the next
    field up (RFC 6376 5.4.2); one more than there are adds nothing (oversigning)."""
    used: dict[bytes, int] = {}
    out = []
    for name in names:
        values = fields.get(name, ())
        used[name] = n = used.get(name, 0) + 1
        if n <= len(values):
            out.append(relaxed_header(name, values[-n]) + b"\r\n")
    return b"".join(out)


def relaxed_header(name: bytes, value: bytes) -> bytes:
    """Relaxed header canonicalization: lower-case name, unfolded, runs of blanks as one."""
    return name + b":" + _WSP.sub(b" ", value.replace(b"\r\n", b"")).strip()


def relaxed_body(body: bytes) -> bytes:
    """Relaxed body canonicalization (RFC 6376 3.4.4): blanks at line ends dropped, runs
    of blanks as one space, no empty lines at the end. With `in`, `replace` and one
    regular expression that starts with two literal spaces, the work stays in C: a
    regular expression that tries every blank of a 30 KB body (the obvious `[ \t]+`)
    cost ten times the SHA-256 of it (bench/dkim_sign.py)."""
    if b"\t" in body:
        body = body.replace(b"\t", b" ")
    if b"  " in body:
        body = _SPACES.sub(b" ", body)
    if b" \r\n" in body:  # after the runs: one space at most
        body = body.replace(b" \r\n", b"\r\n")
    body = body.rstrip(b"\r\n")
    return body + b"\r\n" if body else b""


def _fold(items: list[bytes], sep: bytes, used: int) -> bytes:
    """`items` joined by `sep`, a line break before an item that would pass LINE."""
    out, width = [], used
    for i, item in enumerate(items):
        piece = item + (sep if i < len(items) - 1 else b"")
        if out and width + len(piece) > LINE:
            out.append(b"\r\n ")
            width = 1
        out.append(piece)
        width += len(piece)
    return b"".join(out)


def _fold_base64(data: bytes) -> bytes:
    width = LINE - 4
    return b"\r\n ".join(data[i : i + width] for i in range(0, len(data), width))


def _read(path: str, setting: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise DKIMConfigError(f"cannot read {setting} {path}: {exc}") from exc


def _load(pem: bytes, kind: type, what: str):
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise DKIMConfigError(f"the DKIM key is not a PEM private key: {exc}") from exc
    if not isinstance(key, kind):
        raise DKIMConfigError(f"the DKIM key is not {what} key")
    return key


def signer_for(app) -> Signer | None:
    """The app's signer, loaded once; None when DKIM is not configured."""
    if "kkp_dkim" not in app.extensions:
        app.extensions["kkp_dkim"] = Signer.from_config(app.config)
    return app.extensions["kkp_dkim"]


def sign(app, message: bytes) -> bytes:
    signer = signer_for(app)
    return signer.sign(message) if signer else message
