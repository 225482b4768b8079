"""The sender domain check (/admin/settings/sender-domain) against a real DNS server in
the test process (dnslib on 127.0.0.1, a free UDP port), which answers from a zone each
test writes; dnspython asks it as it asks the office's resolver."""

from __future__ import annotations

import base64
import html
import socket
from contextlib import contextmanager

import dns.resolver
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from dnslib import MX, QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer

DOMAIN = "kkp.example.org"
PAGE = "/admin/settings/sender-domain"


class Zone(BaseResolver):
    """Answers from `records`: (name, type) -> values."""

    def __init__(self):
        self.records: dict[tuple[str, str], list] = {}
        self.asked: list[tuple[str, str]] = []

    def resolve(self, request, handler):
        reply = request.reply()
        name, qtype = str(request.q.qname).rstrip(".").lower(), QTYPE[request.q.qtype]
        self.asked.append((name, qtype))
        for value in self.records.get((name, qtype), []):
            reply.add_answer(RR(request.q.qname, request.q.qtype, rdata=_rdata(qtype, value)))
        if not any(n == name for n, _ in self.records):
            reply.header.rcode = RCODE.NXDOMAIN
        return reply


def _rdata(qtype: str, value):
    if qtype == "TXT":  # character-strings of at most 255 bytes, as DNS servers split them
        return TXT([value[i : i + 255].encode() for i in range(0, len(value), 255)])
    if qtype == "MX":
        return MX(value, 10)
    return A(value)


@pytest.fixture(scope="module")
def zone():
    resolver = Zone()
    server = DNSServer(
        resolver, address="127.0.0.1", port=0, logger=DNSLogger(logf=lambda *_: None)
    )
    server.start_thread()
    resolver.port = server.server.server_address[1]
    yield resolver
    server.stop()
    server.server.server_close()


def _resolver(port: int) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port = ["127.0.0.1"], port
    resolver.timeout = resolver.lifetime = 0.5
    return resolver


@pytest.fixture(scope="module")
def dkim_key(tmp_path_factory):
    """The configured private key's file, and the p= of its public half."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path_factory.mktemp("dkim") / "dkim.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return str(path), base64.b64encode(public).decode()


@contextmanager
def sender(app, port: int, **values):
    """The app's mail settings and DNS resolver for a while."""
    settings = {
        "KKP_MAIL_FROM": f"Präventionsrat <newsletter@{DOMAIN}>",
        "KKP_RETURN_PATH": f"bounces+{{token}}@{DOMAIN}",
        "KKP_SENDING_IPS": "192.0.2.25",
        **values,
    }
    saved = {key: app.config.get(key) for key in settings}
    app.config.update(settings)
    app.extensions["kkp_dns_resolver"] = _resolver(port)
    try:
        yield
    finally:
        app.config.update(saved)
        for name in ("kkp_dns_resolver", "kkp_dkim"):
            app.extensions.pop(name, None)


def good_zone(zone, public_key: str) -> None:
    zone.records = {
        (DOMAIN, "TXT"): [f"v=spf1 mx include:_spf.{DOMAIN} -all"],
        (DOMAIN, "MX"): [f"mx.{DOMAIN}"],
        (f"mx.{DOMAIN}", "A"): ["198.51.100.7"],
        (f"_spf.{DOMAIN}", "TXT"): ["v=spf1 ip4:192.0.2.0/24 -all"],
        (f"kkp._domainkey.{DOMAIN}", "TXT"): [f"v=DKIM1; k=rsa; p={public_key}"],
        (f"_dmarc.{DOMAIN}", "TXT"): ["v=DMARC1; p=quarantine; rua=mailto:dmarc@kkp.example.org"],
    }


def _dkim(key_file: str) -> dict:
    return {"KKP_DKIM_SELECTOR": "kkp", "KKP_DKIM_DOMAIN": DOMAIN, "KKP_DKIM_KEY_FILE": key_file}


def _page(client) -> str:
    response = client.get(PAGE)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def test_all_good(app, logged_in, zone, dkim_key):
    key_file, public = dkim_key
    good_zone(zone, public)
    with sender(app, zone.port, **_dkim(key_file)):
        page = _page(logged_in)
    assert page.count("badge-check-ok") == 5, page
    assert "Alles ist in Ordnung." in page
    assert "autorisiert den sendenden Server (192.0.2.25)" in page
    assert "Diesen Eintrag im DNS der Domain veröffentlichen" not in page
    assert PAGE in logged_in.get("/admin/settings").get_data(as_text=True)  # linked there


def test_an_ed25519_key_beside_rsa(app, logged_in, zone, dkim_key, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import ed25519

    key_file, public = dkim_key
    good_zone(zone, public)
    key = ed25519.Ed25519PrivateKey.generate()
    ed_file = tmp_path / "ed25519.pem"
    ed_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    ed_public = base64.b64encode(raw).decode()
    settings = {
        **_dkim(key_file),
        "KKP_DKIM_ED25519_SELECTOR": "kkped",
        "KKP_DKIM_ED25519_KEY_FILE": str(ed_file),
    }
    with sender(app, zone.port, **settings):
        missing = _page(logged_in)
        zone.records[(f"kkped._domainkey.{DOMAIN}", "TXT")] = [
            f"v=DKIM1; k=ed25519; p={ed_public}"
        ]
        published = _page(logged_in)
    assert "DKIM: der Ed25519-Schlüssel" in missing
    assert f"kkped._domainkey.{DOMAIN}" in missing and f"k=ed25519; p={ed_public}" in missing
    assert published.count("badge-check-ok") == 6, published


def test_dmarc_missing_names_the_record(app, logged_in, zone, dkim_key):
    key_file, public = dkim_key
    good_zone(zone, public)
    del zone.records[(f"_dmarc.{DOMAIN}", "TXT")]
    with sender(app, zone.port, **_dkim(key_file)):
        page = _page(logged_in)
    assert page.count("badge-check-ok") == 4
    assert "badge-check-missing" in page
    assert "veröffentlicht keinen DMARC-Eintrag" in page
    assert "Diesen Eintrag im DNS der Domain veröffentlichen" in page
    assert f"<code>_dmarc.{DOMAIN}</code>" in page
    assert "<code>v=DMARC1; p=none</code>" in page


def test_spf_not_authorising_the_relay(app, logged_in, zone, dkim_key):
    """Without KKP_SENDING_IPS the relay of KKP_SMTP_URL is the sending host."""
    key_file, public = dkim_key
    good_zone(zone, public)
    zone.records[(f"relay.{DOMAIN}", "A")] = ["85.13.150.7"]
    with sender(
        app,
        zone.port,
        KKP_SENDING_IPS=None,
        KKP_SMTP_URL=f"smtp://relay.{DOMAIN}:25",
        **_dkim(key_file),
    ):
        page = _page(logged_in)
    assert "badge-check-wrong" in page
    assert "autorisiert den sendenden Server (85.13.150.7) nicht" in page
    assert f"<code>v=spf1 mx include:_spf.{DOMAIN} ip4:85.13.150.7 -all</code>" in page


def test_dkim_key_mismatch(app, logged_in, zone, dkim_key):
    key_file, public = dkim_key
    good_zone(zone, public)
    other = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()
    published = base64.b64encode(
        other.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    ).decode()
    zone.records[(f"kkp._domainkey.{DOMAIN}", "TXT")] = [f"v=DKIM1; k=rsa; p={published}"]
    with sender(app, zone.port, **_dkim(key_file)):
        page = _page(logged_in)
    assert "passt nicht zum eingestellten privaten Schlüssel" in page
    assert f"<code>kkp._domainkey.{DOMAIN}</code>" in page
    assert f"<code>v=DKIM1; k=rsa; p={public}</code>" in page


def test_dns_unreachable(app, logged_in, zone):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]  # closed again below: nobody answers there
    with sender(app, port):
        page = _page(logged_in)
    assert "Der DNS-Server antwortet nicht" in page
    assert "badge-check" not in page


def test_a_local_sender_asks_no_dns(app, logged_in, zone):
    zone.records, zone.asked = {}, []
    with sender(app, zone.port, KKP_MAIL_FROM="KKP <newsletter@localhost>", KKP_RETURN_PATH=None):
        page = _page(logged_in)
    assert "nicht auf einer Domain des öffentlichen Internets" in page
    assert 'class="badge badge-check' not in page and zone.asked == []


def test_editors_may_not(app, client, zone):
    from kkp.auth.operations import create_editor
    from kkp.extensions import db
    from tests.helpers import post_form

    with app.app_context():
        create_editor("red@kkp.test", role="editor", password="richtig-geheim-123", name="R")
        db.session.commit()
    post_form(client, "/admin/login", {"email": "red@kkp.test", "password": "richtig-geheim-123"})
    assert client.get(PAGE).status_code == 403
    assert PAGE not in client.get("/admin/settings").get_data(as_text=True)


def test_spf_evaluation(zone):
    """redirect, a with a prefix, ip6, the limit of ten lookups, two records, none."""
    from kkp.mail.dns_lookup import Lookup
    from kkp.mail.spf import SPFResult, check_host, with_addresses

    zone.records = {
        ("a.test", "TXT"): ["v=spf1 redirect=b.test"],
        ("b.test", "TXT"): ["v=spf1 a:host.b.test/24 ip6:2001:db8::/32 ~all"],
        ("host.b.test", "A"): ["198.51.100.1"],
        ("loop.test", "TXT"): ["v=spf1 include:loop.test -all"],
        ("two.test", "TXT"): ["v=spf1 -all", "v=spf1 +all"],
    }
    lookup = Lookup(_resolver(zone.port))
    assert check_host(lookup, "198.51.100.77", "a.test") == SPFResult.PASS
    assert check_host(lookup, "2001:db8::5", "a.test") == SPFResult.PASS
    assert check_host(lookup, "203.0.113.9", "a.test") == SPFResult.SOFTFAIL
    assert check_host(lookup, "203.0.113.9", "loop.test") == SPFResult.PERMERROR
    assert check_host(lookup, "203.0.113.9", "two.test") == SPFResult.PERMERROR
    assert check_host(lookup, "203.0.113.9", "none.test") == SPFResult.NONE
    assert with_addresses("v=spf1 redirect=b.test", ["2001:db8::5"]) == (
        "v=spf1 ip6:2001:db8::5 redirect=b.test"
    )
