"""DNS questions for the sender domain check, through a dnspython resolver that the
caller passes (the page the system's, the tests one pointed at their own server).

A name without the asked records is an empty answer; a server that does not answer
in time (or answers only with errors) ends the whole check: :class:`DnsUnreachable`.
"""

from __future__ import annotations

import dns.exception
import dns.name
import dns.resolver

#: seconds for one question, retries included: the page waits at most this per question
QUERY_SECONDS = 2.0


class DnsUnreachable(Exception):
    """No DNS server answered; nothing can be said about the records."""


def system_resolver() -> dns.resolver.Resolver:
    """The machine's resolver (/etc/resolv.conf) with the short timeout of the check."""
    try:
        resolver = dns.resolver.Resolver(configure=True)
    except dns.resolver.NoResolverConfiguration as exc:
        raise DnsUnreachable("no resolver configured") from exc
    resolver.timeout = resolver.lifetime = QUERY_SECONDS
    return resolver


def resolver_for(app) -> dns.resolver.Resolver:
    """The app's resolver: one a test put into app.extensions, else the system's."""
    return app.extensions.get("kkp_dns_resolver") or system_resolver()


class Lookup:
    """Questions by record type, answers as plain strings, through one resolver."""

    def __init__(self, resolver: dns.resolver.Resolver):
        self.resolver = resolver

    def _answer(self, name: str, rdtype: str) -> list:
        try:
            return list(self.resolver.resolve(name, rdtype, search=False))
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.name.NameTooLong:
            return []
        except (dns.exception.Timeout, dns.resolver.NoNameservers) as exc:
            raise DnsUnreachable(str(exc)) from exc

    def txt(self, name: str) -> list[str]:
        """Each TXT record as one string: its character-strings joined (RFC 7208 3.3)."""
        return [b"".join(r.strings).decode("utf-8", "replace") for r in self._answer(name, "TXT")]

    def addresses(self, name: str) -> list[str]:
        """The IPv4 and IPv6 addresses of a host name."""
        return [r.address for t in ("A", "AAAA") for r in self._answer(name, t)]

    def address(self, name: str, version: int) -> list[str]:
        return [r.address for r in self._answer(name, "A" if version == 4 else "AAAA")]

    def mx(self, name: str) -> list[str]:
        """The mail exchangers' host names, by preference."""
        answers = sorted(self._answer(name, "MX"), key=lambda r: r.preference)
        return [r.exchange.to_text(omit_final_dot=True) for r in answers]
