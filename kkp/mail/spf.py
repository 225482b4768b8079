"""SPF (RFC 7208): may this IP address send mail for this domain?

Our own evaluator over :class:`kkp.mail.dns_lookup.Lookup`, because pyspf asks the
module-wide dnspython resolver (it cannot be pointed at a given server per check) and
checkdmarc parses records without answering for an address. It follows ``include``,
``a``, ``mx``, ``ip4``, ``ip6``, ``exists`` and ``redirect`` with the limit of ten
lookups; ``ptr`` counts but never matches (RFC 7208 5.5: "do not use"), and a term
with macros (``%{…}``) never matches: both are rare in the records of offices.
"""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum

from kkp.mail.dns_lookup import Lookup

#: DNS lookups that one check may cause (RFC 7208 4.6.4)
MAX_LOOKUPS = 10


class SPFResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"


_QUALIFIERS = {"+": SPFResult.PASS, "-": SPFResult.FAIL, "~": SPFResult.SOFTFAIL,
               "?": SPFResult.NEUTRAL}  # fmt: skip
_MODIFIER = re.compile(r"([a-z][a-z0-9_.-]*)=(.*)", re.IGNORECASE)
_MECHANISM = re.compile(r"([a-z0-9]+)(.*)", re.IGNORECASE)
_DUAL_CIDR = re.compile(r"([^/]*)(?:/(\d{1,2}))?(?://(\d{1,3}))?")


class _PermError(Exception):
    pass


def spf_records(lookup: Lookup, domain: str) -> list[str]:
    """The domain's SPF records (TXT starting with ``v=spf1``); more than one is an error."""
    return [t for t in lookup.txt(domain) if re.match(r"v=spf1(\s|$)", t, re.IGNORECASE)]


def check_host(lookup: Lookup, ip: str, domain: str) -> SPFResult:
    """The SPF result for mail from `domain` sent by the host at `ip`."""
    try:
        return _check(lookup, ipaddress.ip_address(ip), domain, [0])
    except _PermError:
        return SPFResult.PERMERROR


def _count(lookups: list[int]) -> None:
    lookups[0] += 1
    if lookups[0] > MAX_LOOKUPS:
        raise _PermError("too many DNS lookups")


def _check(lookup: Lookup, ip, domain: str, lookups: list[int]) -> SPFResult:
    records = spf_records(lookup, domain)
    if not records:
        return SPFResult.NONE
    if len(records) > 1:
        raise _PermError("more than one SPF record")
    redirect = None
    for term in records[0].split()[1:]:
        modifier = _MODIFIER.fullmatch(term)
        if modifier:
            if modifier.group(1).lower() == "redirect":
                redirect = modifier.group(2)
            continue  # exp= and unknown modifiers change no result
        qualifier = _QUALIFIERS.get(term[0])
        if qualifier:
            term = term[1:]
        if _matches(lookup, ip, domain, term, lookups):
            return qualifier or SPFResult.PASS
    if redirect:
        _count(lookups)
        result = _check(lookup, ip, redirect, lookups)
        if result == SPFResult.NONE:
            raise _PermError("redirect to a domain without SPF")
        return result
    return SPFResult.NEUTRAL


def _matches(lookup: Lookup, ip, domain: str, term: str, lookups: list[int]) -> bool:
    match = _MECHANISM.fullmatch(term)
    if not match:
        raise _PermError(f"unknown term {term!r}")
    name, rest = match.group(1).lower(), match.group(2)
    arg = rest[1:] if rest.startswith(":") else rest
    if name == "all":
        return True
    if name in ("ip4", "ip6"):
        try:
            network = ipaddress.ip_network(arg, strict=False)
        except ValueError as exc:
            raise _PermError(f"bad network {arg!r}") from exc
        return network.version == ip.version and ip in network
    if name in ("a", "mx", "include", "exists", "ptr"):
        _count(lookups)
    else:
        raise _PermError(f"unknown mechanism {name!r}")
    if name == "include":
        if not arg:
            raise _PermError("include without a domain")
        if "%" in arg:
            return False
        result = _check(lookup, ip, arg, lookups)
        if result == SPFResult.NONE:
            raise _PermError("include of a domain without SPF")
        return result == SPFResult.PASS
    if name == "ptr" or "%" in arg:
        return False
    if name == "exists":
        return bool(lookup.address(arg, 4))
    cidr = _DUAL_CIDR.fullmatch(arg)
    if not cidr:
        raise _PermError(f"bad domain {arg!r}")
    target = cidr.group(1) or domain
    bits = cidr.group(2) if ip.version == 4 else cidr.group(3)
    hosts = [target] if name == "a" else lookup.mx(target)[:10]
    for host in hosts:
        for address in lookup.address(host, ip.version):
            prefix = f"/{bits}" if bits else ""
            if ip in ipaddress.ip_network(f"{address}{prefix}", strict=False):
                return True
    return False


def with_addresses(record: str | None, ips: list[str]) -> str:
    """`record` with ``ip4:``/``ip6:`` terms for `ips` before its final ``all`` or
    ``redirect`` (a new record, ending in ``-all``, when there is none)."""
    added = [f"ip{ipaddress.ip_address(ip).version}:{ip}" for ip in ips]
    if not record:
        return " ".join(["v=spf1", *added, "-all"])
    terms = record.split()
    end = next(
        (i for i, t in enumerate(terms) if t.lower().lstrip("+-~?") == "all"
         or t.lower().startswith("redirect=")),
        len(terms),
    )  # fmt: skip
    return " ".join(terms[:end] + [a for a in added if a not in terms] + terms[end:])
