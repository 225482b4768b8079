"""The DKIM part of the sender domain check (:mod:`kkp.mail.sender_check`): the
configured keys (RSA, and Ed25519 beside it, RFC 8463) published at their selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from kkp.mail.dns_lookup import Lookup
from kkp.mail.sender_records import Found, Record, Status, tags

if TYPE_CHECKING:  # the setup is built there, and that module runs these checks
    from kkp.mail.sender_check import SenderSetup


def dkim(setup: SenderSetup, lookup: Lookup) -> Found:
    """The RSA key: configured, published at its selector, the same."""
    if setup.dkim_error:
        return (
            Status.WRONG,
            _l("The DKIM settings cannot be used: %(error)s", error=setup.dkim_error),
        )
    if not setup.dkim_public_key:
        return (
            Status.MISSING,
            _l(
                "No DKIM key is configured: mail goes out unsigned. Your operator sets "
                "KKP_DKIM_SELECTOR, KKP_DKIM_DOMAIN and KKP_DKIM_KEY_FILE; the check then "
                "names the record to publish."
            ),
        )
    return _published(
        f"{setup.dkim_selector}._domainkey.{setup.dkim_domain}",
        "rsa",
        setup.dkim_public_key,
        lookup,
    )


def dkim_ed25519(setup: SenderSetup, lookup: Lookup) -> Found | None:
    """The Ed25519 key, when one is configured beside the RSA key."""
    if not setup.ed25519_public_key:
        return None
    return _published(
        f"{setup.ed25519_selector}._domainkey.{setup.dkim_domain}",
        "ed25519",
        setup.ed25519_public_key,
        lookup,
    )


def _published(name: str, kind: str, public_key: str, lookup: Lookup) -> Found:
    needed = Record(name, "TXT", f"v=DKIM1; k={kind}; p={public_key}")
    keys = [t["p"] for t in map(tags, lookup.txt(name)) if "p" in t]
    if not keys:
        return (
            Status.MISSING,
            _l(
                "No DKIM key is published at %(name)s: receivers cannot verify the signature.",
                name=name,
            ),
            needed,
        )
    if public_key in keys:
        return (
            Status.OK,
            _l("The key published at %(name)s matches the configured private key.", name=name),
        )
    return (
        Status.WRONG,
        _l(
            "The key published at %(name)s does not match the configured private key: "
            "every signature fails.",
            name=name,
        ),
        needed,
    )
