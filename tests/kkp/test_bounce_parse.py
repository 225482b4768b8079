"""Reading returned mails: real-looking samples in data/bounces/, `{VERP}` standing for
the return path of delivery 17."""

from __future__ import annotations

from pathlib import Path

import pytest

from kkp.mail.bounce_parse import MAX_DIAGNOSTIC, BounceKind, parse_bounce
from kkp.mail.verp import return_path

SAMPLES = Path(__file__).parent / "data" / "bounces"
DELIVERY = 17


@pytest.fixture
def verp(app, ctx):
    saved = app.config.get("KKP_RETURN_PATH")
    app.config["KKP_RETURN_PATH"] = "bounces+{token}@kkp.example.org"
    yield return_path(DELIVERY)
    app.config["KKP_RETURN_PATH"] = saved


def sample(name: str, address: str) -> bytes:
    return (SAMPLES / name).read_bytes().replace(b"{VERP}", address.encode())


@pytest.mark.parametrize(
    ("name", "kind", "status", "recipient", "words"),
    [
        (
            "postfix_511_unknown_user.eml",
            BounceKind.HARD,
            "5.1.1",
            "anna.schmidt@stadt-beispiel.de",
            "User unknown in virtual mailbox table",
        ),
        (  # made by a real Postfix: see make_postfix_dsn.py beside it
            "postfix_local_unknown_user.eml",
            BounceKind.HARD,
            "5.1.1",
            "nobody-here@localhost",
            'unknown user: "nobody-here"',
        ),
        (
            "postfix_422_mailbox_full_delayed.eml",
            BounceKind.SOFT,
            "4.2.2",
            "jonas.weber@gemeinde-muster.de",
            "Mailbox full",
        ),
        (
            "exim_failed_recipients.eml",
            BounceKind.HARD,
            "5.1.1",
            "p.mueller@landkreis-beispiel.de",
            "Mailbox does not exist",
        ),
        (
            "exchange_ndr.eml",
            BounceKind.HARD,
            "5.1.1",
            "ordnungsamt@rathaus-beispiel.de",
            "RecipNotFound",
        ),
        (
            "arf_complaint.eml",
            BounceKind.COMPLAINT,
            "",
            "lena.koch@mailbox-anbieter.example",
            "abuse",
        ),
    ],
)
def test_bounces_and_complaints_are_read_with_their_delivery(
    verp, name, kind, status, recipient, words
):
    parsed = parse_bounce(sample(name, verp))
    assert (parsed.kind, parsed.delivery_id, parsed.status) == (kind, DELIVERY, status)
    assert parsed.final_recipient == recipient
    assert words in parsed.diagnostic and len(parsed.diagnostic) <= MAX_DIAGNOSTIC
    assert len(parsed.key) == 64


def test_the_envelope_recipient_names_the_delivery_when_no_header_does(verp):
    raw = sample("exchange_ndr.eml", "postmaster@kkp.example.org")
    assert parse_bounce(raw).delivery_id is None
    assert parse_bounce(raw, envelope_recipient=verp).delivery_id == DELIVERY


def test_an_out_of_office_reply_is_no_bounce(verp):
    parsed = parse_bounce(sample("out_of_office.eml", verp))
    assert parsed.kind == BounceKind.AUTO_REPLY


def test_a_forged_token_names_no_delivery(verp):
    number, mac = verp.split("+", 1)[1].split("@")[0].split("-")
    forged = f"bounces+{int(number) + 1}-{mac}@kkp.example.org"
    parsed = parse_bounce(sample("postfix_511_unknown_user.eml", forged), envelope_recipient=forged)
    assert parsed.kind == BounceKind.HARD and parsed.delivery_id is None


def test_hostile_mails_are_unknown_and_never_raise(verp):
    junk = b"From: x@example.net\r\nSubject: junk\r\n\r\n" + b"\xff\x00A" * (5 * 1024 * 1024 // 3)
    assert parse_bounce(junk).kind == BounceKind.UNKNOWN
    broken = parse_bounce(sample("wrong_charset_broken_mime.eml", verp))
    assert broken.kind == BounceKind.UNKNOWN and broken.delivery_id == DELIVERY
    for raw in (b"", b"\x00\x01\x02", b"Content-Type: multipart/report\r\n\r\n--"):
        assert parse_bounce(raw).kind == BounceKind.UNKNOWN


def test_the_same_mail_has_the_same_key(verp):
    raw = sample("postfix_511_unknown_user.eml", verp)
    assert parse_bounce(raw).key == parse_bounce(raw).key
    assert parse_bounce(raw).key != parse_bounce(sample("exim_failed_recipients.eml", verp)).key
