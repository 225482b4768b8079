"""DKIM signing (RFC 6376) of outgoing mail, when `KKP_DKIM_*` are set.

dkimpy's default header list leaves `List-Unsubscribe-Post` out; Gmail and Yahoo
want the one-click headers signed, so the list here names them.
"""

from __future__ import annotations

from pathlib import Path

import dkim

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
MIN_KEY_BITS = 2048


class DKIMConfigError(RuntimeError):
    pass


class Signer:
    def __init__(self, selector: str, domain: str, key: bytes):
        self.selector = selector.encode()
        self.domain = domain.encode()
        self.key = key

    @classmethod
    def from_config(cls, config) -> Signer | None:
        selector, domain, key_file = (
            config.get("KKP_DKIM_SELECTOR"),
            config.get("KKP_DKIM_DOMAIN"),
            config.get("KKP_DKIM_KEY_FILE"),
        )
        if not (selector or domain or key_file):
            return None
        if not (selector and domain and key_file):
            raise DKIMConfigError(
                "DKIM needs all three of KKP_DKIM_SELECTOR, KKP_DKIM_DOMAIN and KKP_DKIM_KEY_FILE"
            )
        try:
            key = Path(key_file).read_bytes()
        except OSError as exc:
            raise DKIMConfigError(f"cannot read KKP_DKIM_KEY_FILE {key_file}: {exc}") from exc
        bits = _key_bits(key)
        if bits < MIN_KEY_BITS:
            raise DKIMConfigError(
                f"the DKIM key in {key_file} has {bits} bits; use at least {MIN_KEY_BITS}"
                " (openssl genrsa -out dkim.pem 2048)"
            )
        return cls(selector, domain, key)

    def sign(self, message: bytes) -> bytes:
        """The message with a `DKIM-Signature` header in front."""
        signature = dkim.sign(
            message,
            self.selector,
            self.domain,
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED_HEADERS if _has_header(message, h)],
            linesep=b"\r\n",
        )
        return signature + message


def _has_header(message: bytes, name: bytes) -> bool:
    head = message.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name + b":") or (b"\r\n" + name + b":") in head


def _key_bits(pem: bytes) -> int:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        return load_pem_private_key(pem, password=None).key_size
    except (ValueError, TypeError) as exc:
        raise DKIMConfigError(f"the DKIM key is not a PEM private key: {exc}") from exc


def signer_for(app) -> Signer | None:
    """The app's signer, loaded once; None when DKIM is not configured."""
    if "kkp_dkim" not in app.extensions:
        app.extensions["kkp_dkim"] = Signer.from_config(app.config)
    return app.extensions["kkp_dkim"]


def sign(app, message: bytes) -> bytes:
    signer = signer_for(app)
    return signer.sign(message) if signer else message
