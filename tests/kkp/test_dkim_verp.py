"""DKIM signatures (RFC 6376) and per-delivery return paths (VERP), checked on mail as
the SMTP server received it, with dkimpy's verifier and a DNS answer made from the key."""

from __future__ import annotations

import base64
import re
import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from tests.helpers import parse_mail
from tests.newsletter.conftest import add_confirmed

SELECTOR, DOMAIN = "kkp2026", "kkp.test"


def _key(path, bits: int) -> str:
    """Write a private key to `path`; return the public key's DNS TXT record."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return "v=DKIM1; k=rsa; p=" + base64.b64encode(public).decode()


def _ed25519_key(path) -> str:
    """Write an Ed25519 key to `path`; return its DNS TXT record (RFC 8463: the raw key)."""
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "v=DKIM1; k=ed25519; p=" + base64.b64encode(raw).decode()


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dkim")
    good, weak, ed = folder / "dkim.pem", folder / "weak.pem", folder / "ed25519.pem"
    return {
        "good": (good, _key(good, 2048)),
        "weak": (weak, _key(weak, 1024)),
        "ed25519": (ed, _ed25519_key(ed)),
        "dir": folder,
    }


@contextmanager
def configured(app, **values):
    """Change mail settings for a while; signer and transport are made again after."""
    saved = {key: app.config.get(key) for key in values}
    app.config.update(values)
    for name in ("kkp_dkim", "kkp_transport"):
        app.extensions.pop(name, None)
    try:
        yield
    finally:
        app.config.update(saved)
        for name in ("kkp_dkim", "kkp_transport"):
            app.extensions.pop(name, None)


def _dkim_settings(key_file) -> dict:
    return {
        "KKP_DKIM_SELECTOR": SELECTOR,
        "KKP_DKIM_DOMAIN": DOMAIN,
        "KKP_DKIM_KEY_FILE": str(key_file),
    }


def _issue(lists, *, subscribers: int = 1) -> int:
    from kkp.extensions import db
    from newsletter import issues, sending

    add_confirmed([lists["kkp-kompakt"]], subscribers)
    issue = issues.create_issue(
        number="8/2026", title="Signiert", intro="Hallo", list_ids=[lists["kkp-kompakt"]]
    )
    issues.add_article(issue, title="Artikel", body="Text", links="https://example.org/")
    db.session.commit()
    sending.start_sending(issue)
    db.session.commit()
    return issue.id


def _sign_up(email: str, lists) -> None:
    from kkp.extensions import db
    from newsletter.models import ConsentText
    from newsletter.operations import request_subscription

    version = db.session.scalar(sa.select(sa.func.max(ConsentText.version)))
    request_subscription(email=email, list_ids=[lists["fortbildungen"]], consent_version=version)
    db.session.commit()


def _signed_headers(raw: bytes) -> list[str]:
    value = parse_mail(raw)["DKIM-Signature"]
    assert value, "no DKIM-Signature"
    tags = dict(
        part.strip().split("=", 1) for part in re.sub(r"\s+", "", str(value)).split(";") if part
    )
    assert tags["d"] == DOMAIN and tags["s"] == SELECTOR and tags["a"] == "rsa-sha256"
    return tags["h"].lower().split(":")


# -- DKIM ----------------------------------------------------------------------------------


def test_issue_and_sign_up_mail_carry_a_valid_signature(app, ctx, lists, mail, worker, keys):
    """Signed with RSA and, beside it, Ed25519 (RFC 8463): both verify."""
    import dkim

    key_file, record = keys["good"]
    ed_file, ed_record = keys["ed25519"]
    records = {
        f"{SELECTOR}._domainkey.{DOMAIN}.".encode(): record.encode(),
        f"ed-{SELECTOR}._domainkey.{DOMAIN}.".encode(): ed_record.encode(),
    }
    asked = []

    def dns(name, timeout=5):
        asked.append(name)
        return records.get(name)

    settings = _dkim_settings(key_file) | {
        "KKP_DKIM_ED25519_SELECTOR": f"ed-{SELECTOR}",
        "KKP_DKIM_ED25519_KEY_FILE": str(ed_file),
    }
    with configured(app, **settings):
        _issue(lists)
        _sign_up("neu@example.org", lists)
        received = mail.wait_for(2)
    by_recipient = {m["to"][0]: m["data"] for m in received}
    issue_mail, confirmation = by_recipient["person0@example.org"], by_recipient["neu@example.org"]

    for raw in (issue_mail, confirmation):
        assert raw.startswith(b"DKIM-Signature:")
        assert dkim.verify(raw, dnsfunc=dns, minkey=2048), raw[:600]  # the first: RSA
        assert dkim.DKIM(raw).verify(idx=1, dnsfunc=dns), raw[:900]  # then Ed25519
        assert b"a=ed25519-sha256" in raw[: raw.index(b"\r\nFrom:")]
    assert set(asked) == set(records)

    signed = _signed_headers(issue_mail)
    for header in (
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
    ):
        assert header in signed, f"{header} is not signed: {signed}"
    assert {"from", "to", "subject", "date", "message-id"} <= set(_signed_headers(confirmation))

    # a changed byte in a signed header or the body breaks the signature
    assert not dkim.verify(issue_mail.replace(b"Signiert", b"Gefaelscht", 1), dnsfunc=dns)
    body_at = issue_mail.index(b"\r\n\r\n") + 4
    tampered = issue_mail[:body_at] + issue_mail[body_at:].replace(b"Text", b"Test", 1)
    assert not dkim.verify(tampered, dnsfunc=dns)
    one_click = re.sub(
        rb"List-Unsubscribe-Post: [^\r]+", b"List-Unsubscribe-Post: nothing", issue_mail
    )
    assert not dkim.verify(one_click, dnsfunc=dns)


def test_without_settings_nothing_is_signed(app, ctx, lists, mail, worker):
    _issue(lists)
    assert b"DKIM-Signature" not in mail.wait_for(1)[0]["data"]


def test_a_weak_missing_or_broken_key_is_refused_with_a_clear_message(keys, tmp_path):
    from kkp.mail.dkim import DKIMConfigError, Signer

    weak, _record = keys["weak"]
    with pytest.raises(DKIMConfigError, match=r"1024 bits; use at least 2048"):
        Signer.from_config(_dkim_settings(weak))

    missing = tmp_path / "nowhere" / "dkim.pem"
    with pytest.raises(DKIMConfigError, match=r"cannot read KKP_DKIM_KEY_FILE .*nowhere"):
        Signer.from_config(_dkim_settings(missing))

    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key\n")
    with pytest.raises(DKIMConfigError, match=r"not a PEM private key"):
        Signer.from_config(_dkim_settings(garbage))

    good, _record = keys["good"]
    with pytest.raises(DKIMConfigError, match=r"all three"):
        Signer.from_config({"KKP_DKIM_SELECTOR": SELECTOR, "KKP_DKIM_KEY_FILE": str(good)})
    assert Signer.from_config({}) is None
    assert Signer.from_config(_dkim_settings(good)) is not None


def test_an_issue_with_a_weak_key_pauses_with_the_reason_and_sends_nothing(
    app, ctx, lists, mail, worker, drain, keys
):
    from newsletter import sending
    from tests.newsletter.conftest import fresh_issue
    from tests.newsletter.test_sending_faults import _statuses, _wait

    weak, _record = keys["weak"]
    with configured(app, **_dkim_settings(weak)):
        issue_id = _issue(lists, subscribers=3)
        _wait(lambda: fresh_issue(issue_id).status != "sending", 20, "the issue to stop")
        drain()
    issue = fresh_issue(issue_id)
    assert issue.status == "paused"
    assert "1024 bits" in issue.pause_reason and "2048" in issue.pause_reason
    assert _statuses(issue_id) == {"queued": 3}, "deliveries stuck in flight"
    assert mail.messages == []

    # fixed (a good key; the worker restarted), resumed: out it goes
    good, _record = keys["good"]
    with configured(app, **_dkim_settings(good)):
        sending.resume(issue)
        from kkp.extensions import db

        db.session.commit()
        _wait(lambda: fresh_issue(issue_id).status == "sent", 20, "the issue to be sent")
    assert sorted(m["to"][0] for m in mail.messages) == [f"person{i}@example.org" for i in range(3)]


def test_a_sign_up_mail_with_a_weak_key_waits_and_says_why(app, ctx, lists, mail, worker, keys):
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from tests.newsletter.test_sending_faults import _wait

    weak, _record = keys["weak"]

    def row():
        db.session.rollback()
        return db.session.execute(sa.select(Delivery.status, Delivery.last_error)).one()

    with configured(app, **_dkim_settings(weak)):
        _sign_up("neu@example.org", lists)
        _wait(lambda: row().last_error, 20, "the delivery to say why it waits")
    status, last_error = row()
    assert status == "queued"  # not lost: sent once the key is fixed (the sweeper retries)
    assert "DKIMConfigError" in last_error and "1024 bits" in last_error
    assert mail.messages == []


# -- VERP ------------------------------------------------------------------------------------


def test_each_delivery_has_its_own_return_path_that_maps_back(app, ctx, lists, mail, worker):
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from kkp.mail.verp import delivery_id_of, return_path

    with configured(app, KKP_RETURN_PATH="bounces+{token}@kkp.test"):
        issue_id = _issue(lists, subscribers=4)
        _sign_up("neu@example.org", lists)
        received = mail.wait_for(5)
        time.sleep(0.3)
        db.session.rollback()
        recipients = dict(db.session.execute(sa.select(Delivery.id, Delivery.recipient)).all())
        issue_deliveries = set(
            db.session.scalars(sa.select(Delivery.id).where(Delivery.issue_id == issue_id))
        )
        seen = set()
        for m in received:
            match = re.fullmatch(r"bounces\+(\d+)-([0-9a-f]{8})@kkp\.test", m["from"])
            assert match, m["from"]
            delivery_id = delivery_id_of(m["from"])
            assert delivery_id == int(match.group(1))
            assert recipients[delivery_id] == m["to"][0]
            assert m["from"] == return_path(delivery_id)
            seen.add(delivery_id)
        assert issue_deliveries < seen and len(seen) == 5

        address = received[0]["from"]
        token = address.split("+", 1)[1].split("@", 1)[0]
        number, mac = token.split("-")
        other_mac = mac[:-1] + ("0" if mac[-1] != "0" else "1")
        for tampered in (
            f"bounces+{number}-{other_mac}@kkp.test",  # a changed MAC
            f"bounces+{int(number) + 1}-{mac}@kkp.test",  # another delivery, same MAC
            f"bounces+{number}@kkp.test",  # no MAC
            f"bounces+{number}-{mac}@evil.example",  # another domain
            f"other+{number}-{mac}@kkp.test",  # another local part
            f"bounces+{number}-{mac}x@kkp.test",
            "",
        ):
            assert delivery_id_of(tampered) is None, tampered
        assert delivery_id_of(f"<{address}>") == int(number)  # as a DSN may write it

    # without KKP_RETURN_PATH the envelope sender is the From address, and no token maps
    assert return_path(1) == "newsletter@kkp.test"
    assert delivery_id_of(address) is None
