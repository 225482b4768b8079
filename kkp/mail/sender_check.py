"""Does the sender domain meet the bulk-sender rules of Gmail and Yahoo (2024)? SPF,
DKIM, DMARC and the alignment of the From domain, checked in the DNS; for what is
missing or wrong, the record to publish.

Pure: it reads the configuration it is given and asks the DNS through the
:class:`~kkp.mail.dns_lookup.Lookup` it is given. Which hosts must SPF authorise? The
addresses in ``KKP_SENDING_IPS`` when set (a relay that hands mail on to another one,
or a local relay behind NAT), else the public addresses of the host of
``KKP_SMTP_URL``: the relay that mail leaves through.
"""

from __future__ import annotations

import base64
import functools
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask_babel import lazy_gettext as _l
from publicsuffixlist import PublicSuffixList

from kkp.mail.dkim import DKIMConfigError, Signer
from kkp.mail.dns_lookup import DnsUnreachable, Lookup
from kkp.mail.message import sender_address
from kkp.mail.sender_dkim import dkim, dkim_ed25519
from kkp.mail.sender_records import Finding, Found, Record, Status, tags
from kkp.mail.spf import SPFResult, check_host, spf_records, with_addresses

DMARC_POLICIES = ("none", "quarantine", "reject")


@dataclass(frozen=True)
class SenderSetup:
    """What the configuration says about the sender."""

    from_domain: str
    envelope_domain: str
    sending_ips: tuple[str, ...] = ()  # from KKP_SENDING_IPS
    relay_host: str | None = None  # of KKP_SMTP_URL
    dkim_selector: str | None = None
    dkim_domain: str | None = None
    dkim_public_key: str | None = None  # base64 DER, as p= holds it
    dkim_error: str | None = None
    ed25519_selector: str | None = None
    ed25519_public_key: str | None = None  # base64 of the 32 raw bytes (RFC 8463)


@dataclass
class Report:
    setup: SenderSetup
    findings: list[Finding] = field(default_factory=list)
    unreachable: bool = False
    #: the From or return path domain is no domain of the public DNS (localhost, a
    #: name of the local network): nothing to ask
    not_public: bool = False

    @property
    def all_ok(self) -> bool:
        return (
            not self.unreachable
            and not self.not_public
            and all(f.status == Status.OK for f in self.findings)
        )


def _domain(address: str) -> str:
    return address.rpartition("@")[2].strip().rstrip(".").lower()


def setup_from_config(config) -> SenderSetup:
    """The sender as KKP_MAIL_FROM, KKP_RETURN_PATH, KKP_SMTP_URL, KKP_SENDING_IPS and
    KKP_DKIM_* set it."""
    from_domain = _domain(sender_address(config["KKP_MAIL_FROM"]))
    return_path = (config.get("KKP_RETURN_PATH") or "").replace("{token}", "x")
    ips = tuple(re.split(r"[\s,;]+", (config.get("KKP_SENDING_IPS") or "").strip()))
    smtp_url = config.get("KKP_SMTP_URL")
    dkim: dict = {}
    try:
        signer = Signer.from_config(config)
    except DKIMConfigError as exc:
        dkim = {"dkim_error": str(exc)}
    else:
        if signer:
            public = signer.key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            dkim = {"dkim_public_key": base64.b64encode(public).decode()}
            if signer.ed25519_key is not None:
                raw = signer.ed25519_key.public_key().public_bytes(
                    serialization.Encoding.Raw, serialization.PublicFormat.Raw
                )
                dkim["ed25519_selector"] = config.get("KKP_DKIM_ED25519_SELECTOR")
                dkim["ed25519_public_key"] = base64.b64encode(raw).decode()
    return SenderSetup(
        from_domain=from_domain,
        envelope_domain=_domain(return_path) if return_path else from_domain,
        sending_ips=tuple(ip for ip in ips if ip),
        relay_host=urlsplit(smtp_url).hostname if smtp_url else None,
        dkim_selector=config.get("KKP_DKIM_SELECTOR"),
        dkim_domain=(config.get("KKP_DKIM_DOMAIN") or "").lower() or None,
        **dkim,
    )


@functools.cache
def _suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list the package ships: no download


def organisational_domain(domain: str) -> str:
    """The registered domain (RFC 7489 3.2), by the Public Suffix List."""
    return _suffixes().privatesuffix(domain) or domain


def aligned(domain: str | None, from_domain: str) -> bool:
    """Relaxed alignment: both under the same organisational domain."""
    return bool(domain) and organisational_domain(domain) == organisational_domain(from_domain)


def check_sender(setup: SenderSetup, lookup: Lookup) -> Report:
    """Every finding; when the DNS does not answer, none, and `unreachable`."""
    report = Report(setup)
    if not all(_suffixes().privatesuffix(d) for d in (setup.from_domain, setup.envelope_domain)):
        report.not_public = True
        return report
    try:
        report.findings = [
            Finding(topic, *found)
            for topic, check in _CHECKS
            if (found := check(setup, lookup)) is not None
        ]
    except DnsUnreachable:
        report.unreachable = True
    return report


# -- SPF -----------------------------------------------------------------------------------


def _sending_ips(setup: SenderSetup, lookup: Lookup) -> list[str]:
    if setup.sending_ips:
        return list(setup.sending_ips)
    if not setup.relay_host:
        return []
    try:
        found = [ipaddress.ip_address(setup.relay_host)]
    except ValueError:
        found = [ipaddress.ip_address(a) for a in lookup.addresses(setup.relay_host)]
    return [str(ip) for ip in found if ip.is_global]  # what recipients' servers see


def _spf(setup: SenderSetup, lookup: Lookup) -> Found:
    domain = setup.envelope_domain
    ips = _sending_ips(setup, lookup)
    records = spf_records(lookup, domain)
    if len(records) > 1:
        return (
            Status.WRONG,
            _l(
                "%(domain)s has %(count)s SPF records; receivers ignore them all. Merge them "
                "into one.",
                domain=domain,
                count=len(records),
            ),
        )
    record = records[0] if records else None
    if not ips:
        return (
            Status.MISSING if record is None else Status.UNCHECKED,
            _l(
                "The public address of the sending mail server is unknown, so the check cannot "
                "say which record SPF needs. Your operator sets KKP_SENDING_IPS (the addresses "
                "mail leaves from) or KKP_SMTP_URL."
            ),
        )
    needed = Record(domain, "TXT", with_addresses(record, ips))
    if record is None:
        return (
            Status.MISSING,
            _l(
                "%(domain)s publishes no SPF record: receivers cannot tell that the mail "
                "server may send for it.",
                domain=domain,
            ),
            needed,
        )
    failing = {ip: r for ip in ips if (r := check_host(lookup, ip, domain)) != SPFResult.PASS}
    if not failing:
        return (
            Status.OK,
            _l(
                "The SPF record of %(domain)s authorises the sending server (%(ips)s).",
                domain=domain,
                ips=", ".join(ips),
            ),
        )
    if SPFResult.PERMERROR in failing.values():
        return (
            Status.WRONG,
            _l(
                "The SPF record of %(domain)s cannot be evaluated (a syntax error, or more "
                "than ten DNS lookups through include, a and mx). Simplify it, and list the "
                "sending server's addresses in it directly.",
                domain=domain,
            ),
            needed,
        )
    return (
        Status.WRONG,
        _l(
            "The SPF record of %(domain)s does not authorise the sending server (%(ips)s).",
            domain=domain,
            ips=", ".join(failing),
        ),
        needed,
    )


# -- DMARC and alignment ---------------------------------------------------------------------


def _dmarc(setup: SenderSetup, lookup: Lookup) -> Found:
    org = organisational_domain(setup.from_domain)
    names = [f"_dmarc.{setup.from_domain}"] + (
        [f"_dmarc.{org}"] if org != setup.from_domain else []
    )
    for name in names:  # the From domain's own, else its organisational domain's (RFC 7489 6.6.3)
        records = [t for t in lookup.txt(name) if re.match(r"v=DMARC1\s*(;|$)", t, re.I)]
        if records:
            break
    needed = Record(
        names[0], "TXT", "v=DMARC1; p=none"
    )  # the From domain: the office surely has it
    if not records:
        return (
            Status.MISSING,
            _l(
                "%(domain)s publishes no DMARC record; Gmail and Yahoo require one from bulk "
                "senders. Start with p=none; once reports show that all mail passes, tighten it "
                "to p=quarantine.",
                domain=setup.from_domain,
            ),
            needed,
        )
    if len(records) > 1:
        return (
            Status.WRONG,
            _l(
                "%(name)s holds %(count)s DMARC records; receivers ignore them all. Keep one.",
                name=name,
                count=len(records),
            ),
        )
    policy = tags(records[0]).get("p", "").lower()
    if policy not in DMARC_POLICIES:
        return (
            Status.WRONG,
            _l(
                "The DMARC record at %(name)s has no valid policy (p=none, p=quarantine or "
                "p=reject).",
                name=name,
            ),
            Record(name, "TXT", "v=DMARC1; p=none"),
        )
    return (
        Status.OK,
        _l(
            "%(name)s publishes a DMARC record with the policy p=%(policy)s.",
            name=name,
            policy=policy,
        ),
    )


def _alignment(setup: SenderSetup, lookup: Lookup) -> Found:
    frm = setup.from_domain
    if aligned(setup.dkim_domain, frm) and setup.dkim_public_key:
        return (
            Status.OK,
            _l(
                "The From domain %(from)s is aligned with the DKIM signature's domain %(dkim)s.",
                **{"from": frm, "dkim": setup.dkim_domain},
            ),
        )
    if aligned(setup.envelope_domain, frm):
        return (
            Status.OK,
            _l(
                "The From domain %(from)s is aligned with the return path's domain %(rp)s.",
                **{"from": frm, "rp": setup.envelope_domain},
            ),
        )
    return (
        Status.WRONG,
        _l(
            "The From domain %(from)s is aligned neither with a DKIM signature nor with the "
            "return path's domain %(rp)s: DMARC fails for every mail. Sign with "
            "KKP_DKIM_DOMAIN=%(org)s, or use a return path under %(org)s.",
            **{"from": frm, "rp": setup.envelope_domain, "org": organisational_domain(frm)},
        ),
    )


def _return_path(setup: SenderSetup, lookup: Lookup) -> Found:
    frm, rp = setup.from_domain, setup.envelope_domain
    if aligned(rp, frm):
        return (
            Status.OK,
            _l(
                "The return path's domain %(rp)s belongs to the From domain %(from)s.",
                **{"from": frm, "rp": rp},
            ),
        )
    return (
        Status.WRONG,
        _l(
            "The return path's domain %(rp)s does not belong to the From domain %(from)s. "
            "Your operator sets KKP_RETURN_PATH to an address under %(org)s.",
            **{"from": frm, "rp": rp, "org": organisational_domain(frm)},
        ),
    )


#: each check's topic and function; a check that does not apply finds None
_CHECKS = (("spf", _spf), ("dkim", dkim), ("dkim_ed25519", dkim_ed25519), ("dmarc", _dmarc),
           ("alignment", _alignment), ("return_path", _return_path))  # fmt: skip
