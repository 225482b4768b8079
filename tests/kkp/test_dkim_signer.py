"""The DKIM signer on its own: rsa-sha256 and ed25519-sha256 (RFC 8463) on one message,
each verified by dkimpy (an independent implementation) against DNS records handed to it,
on headers that are RFC 2047 encoded and folded. The mail that workers send is checked
the same way in test_dkim_verp.py."""

from __future__ import annotations

import base64
import re

import dkim
import pytest
from cryptography.hazmat.primitives import serialization as ser
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from dkim.canonicalization import Relaxed

from kkp.mail.dkim import DKIMConfigError, Signer, relaxed_body

DOMAIN = "kkp.test"

MESSAGE = (
    b"From: =?utf-8?q?Kommunale_Kriminalpr=C3=A4vention_K=C3=B6ln?=\r\n"
    b" <newsletter@kkp.test>\r\n"
    b"To: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>\r\n"
    b"Subject: =?utf-8?q?Netzwerktreffen_Fr=C3=BChjahr=3A_Sicherheit_im_Quartier?=\r\n"
    b" =?utf-8?q?_und_Gewaltpr=C3=A4vention?=\r\n"
    b"Date: Fri, 04 Dec 2026 08:00:00 +0000\r\n"
    b"Message-ID: <1.2.1796371200@kkp.test>\r\n"
    b"List-Unsubscribe: <https://kkp.test/unsubscribe/abc>\r\n"
    b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hallo J=C3=BCrgen,\r\n"
    b"    einger=C3=BCckt  mit  Leerzeichen\tund Tab\r\n"
    b"\r\n"
    b"Ende\r\n"
)


def _pem(key, fmt=ser.PrivateFormat.PKCS8) -> bytes:
    return key.private_bytes(ser.Encoding.PEM, fmt, ser.NoEncryption())


@pytest.fixture(scope="module")
def keys():
    """Both keys as PEM and the DNS answer dkimpy gets for each selector."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed_key = ed25519.Ed25519PrivateKey.generate()
    spki = rsa_key.public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo
    )
    raw = ed_key.public_key().public_bytes(ser.Encoding.Raw, ser.PublicFormat.Raw)
    records = {
        b"rsa._domainkey.kkp.test.": b"v=DKIM1; k=rsa; p=" + base64.b64encode(spki),
        b"ed._domainkey.kkp.test.": b"v=DKIM1; k=ed25519; p=" + base64.b64encode(raw),
    }
    return {
        "rsa": _pem(rsa_key, ser.PrivateFormat.TraditionalOpenSSL),
        "ed25519": _pem(ed_key),
        "weak": _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)),
        "dns": lambda name, timeout=5: records.get(name),
    }


def _verified(message: bytes, dns) -> list[bool | str]:
    """Each DKIM-Signature's result, top to bottom: True, False or dkimpy's complaint."""
    results = []
    for i in range(message.count(b"DKIM-Signature:")):
        try:
            results.append(dkim.DKIM(message).verify(idx=i, dnsfunc=dns))
        except dkim.DKIMException as exc:
            results.append(str(exc))
    return results


def _tags(message: bytes, i: int) -> dict[bytes, bytes]:
    """The i-th DKIM-Signature's tags, unfolded, blanks removed."""
    fields = re.findall(rb"^DKIM-Signature:(.*?)\r\n(?![ \t])", message, re.M | re.S)
    value = re.sub(rb"\s+", b"", fields[i])
    return dict(tag.split(b"=", 1) for tag in value.split(b";") if tag)


def test_both_signatures_verify_and_break_on_changes(keys):
    signer = Signer("rsa", DOMAIN, keys["rsa"], ed25519_selector="ed", ed25519_key=keys["ed25519"])
    signed = signer.sign(MESSAGE)
    assert signed.endswith(MESSAGE)
    assert _verified(signed, keys["dns"]) == [True, True]
    assert _tags(signed, 0)[b"a"] == b"rsa-sha256" and _tags(signed, 1)[b"a"] == b"ed25519-sha256"
    for i in (0, 1):
        assert _tags(signed, i)[b"c"] == b"relaxed/relaxed" and b"l" not in _tags(signed, i)
    signature_lines = signed[: signed.index(b"\r\nFrom:")].split(b"\r\n")
    assert max(map(len, signature_lines)) <= 78  # folded

    # whitespace that relays may change: both still verify (relaxed/relaxed)
    relaid = signed.replace(b"Leerzeichen\tund", b"Leerzeichen und").replace(
        b"Ende\r\n", b"Ende  \r\n\r\n"
    )
    assert _verified(relaid, keys["dns"]) == [True, True]

    # the body, a signed header, a second From (oversigned): every change breaks both
    for changed in (
        signed.replace(b"Ende", b"Ende?"),
        signed.replace(b"Fr=C3=BChjahr", b"Herbst"),
        signed.replace(b"MIME-Version", b"From: chef@example.org\r\nMIME-Version"),
        signed.replace(b"One-Click", b"Two-Click"),
    ):
        assert not any(result is True for result in _verified(changed, keys["dns"]))


def test_rsa_alone_signs_once(keys):
    signed = Signer("rsa", DOMAIN, keys["rsa"]).sign(MESSAGE)
    assert signed.count(b"DKIM-Signature:") == 1
    assert _verified(signed, keys["dns"]) == [True]
    names = _tags(signed, 0)[b"h"].split(b":")
    assert names[0] == names[-1] == b"from" and names.count(b"from") == 2
    assert b"list-unsubscribe-post" in names and b"content-transfer-encoding" not in names


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\r\n",
        b"\r\n\r\n\r\n",
        b"eins",
        b"eins \t ",
        b" \t \r\n  \r\n",
        b"  zwei  Leer\t\tzeichen \r\n\tTab am Anfang\r\n \r\n\r\n",
        b"a \r\n \r\nb\t\r\n",
        b"=C3=BC  =\r\n   weiter\r\n",
    ],
)
def test_relaxed_body_as_dkimpy_makes_it(body):
    assert relaxed_body(body) == Relaxed.canonicalize_body(body)


def test_settings_that_cannot_sign_are_refused_with_a_clear_message(keys, tmp_path):
    files = {}
    for name in ("rsa", "ed25519", "weak"):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_bytes(keys[name])
    rsa_settings = {
        "KKP_DKIM_SELECTOR": "rsa",
        "KKP_DKIM_DOMAIN": DOMAIN,
        "KKP_DKIM_KEY_FILE": str(files["rsa"]),
    }
    ed = {"KKP_DKIM_ED25519_SELECTOR": "ed", "KKP_DKIM_ED25519_KEY_FILE": str(files["ed25519"])}

    signer = Signer.from_config({**rsa_settings, **ed})
    assert [k.algorithm for k in signer.keys] == [b"rsa-sha256", b"ed25519-sha256"]
    for config, message in (
        (ed, r"all three .*Ed25519 signs beside RSA, not instead"),
        ({**rsa_settings, "KKP_DKIM_ED25519_SELECTOR": "ed"}, r"needs both"),
        ({**rsa_settings, "KKP_DKIM_ED25519_KEY_FILE": str(files["ed25519"])}, r"needs both"),
        ({**rsa_settings, **ed, "KKP_DKIM_ED25519_SELECTOR": "rsa"}, r"a selector of its own"),
        ({**rsa_settings, **ed, "KKP_DKIM_ED25519_KEY_FILE": str(files["rsa"])}, r"not an Ed25519"),
        ({**rsa_settings, "KKP_DKIM_KEY_FILE": str(files["ed25519"])}, r"not an RSA key"),
        ({**rsa_settings, "KKP_DKIM_KEY_FILE": str(files["weak"])}, r"1024 bits; use at least"),
        ({**rsa_settings, **ed, "KKP_DKIM_ED25519_KEY_FILE": "/nowhere.pem"}, r"cannot read"),
    ):
        with pytest.raises(DKIMConfigError, match=message):
            Signer.from_config(config)
