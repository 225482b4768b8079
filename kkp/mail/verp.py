"""A return path per delivery (VERP), so that a bounce names the delivery it belongs to.

`KKP_RETURN_PATH=bounces+{token}@kkp.example.org` gives, for delivery 4711,
`bounces+4711-3f9a0c1b@kkp.example.org`: the id and a short HMAC, so bounce handling
can trust the id it reads back.
"""

from __future__ import annotations

import functools
import hmac
import re

from flask import current_app

from kkp.mail.message import sender_address

_TOKEN = re.compile(r"(\d+)-([0-9a-f]{8})")


def _mac(delivery_id: int, key: bytes) -> str:
    return hmac.digest(key, b"verp:%d" % delivery_id, "sha256")[:4].hex()


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return secret.encode()


def return_path(delivery_id: int | None) -> str:
    """The envelope sender for a delivery."""
    if delivery_id is None:
        return _bare(current_app.config["KKP_MAIL_FROM"])
    return return_paths(current_app)(delivery_id)


def return_paths(app):
    """:func:`return_path` for many deliveries of one send: the settings read once (an
    issue's chunk asks for one per message)."""
    pattern = app.config.get("KKP_RETURN_PATH")
    if not pattern:
        bare = _bare(app.config["KKP_MAIL_FROM"])
        return lambda delivery_id: bare
    key = _key(app.config["SECRET_KEY"])

    def for_delivery(delivery_id: int) -> str:
        return pattern.replace("{token}", f"{delivery_id}-{_mac(delivery_id, key)}")

    return for_delivery


@functools.lru_cache(maxsize=8)
def _bare(mail_from: str) -> str:
    return sender_address(mail_from)  # parsed once, not for each of 100,000 mails


def delivery_id_of(address: str) -> int | None:
    """The delivery id a bounce's recipient address carries, if it is genuine."""
    pattern = current_app.config.get("KKP_RETURN_PATH") or ""
    if "{token}" not in pattern:
        return None
    before, after = pattern.split("{token}", 1)
    address = address.strip().strip("<>")
    if not (address.lower().startswith(before.lower()) and address.lower().endswith(after.lower())):
        return None
    match = _TOKEN.fullmatch(address[len(before) : len(address) - len(after)])
    if not match:
        return None
    key = _key(current_app.config["SECRET_KEY"])
    if not hmac.compare_digest(match.group(2), _mac(int(match.group(1)), key)):
        return None
    return int(match.group(1))
