"""`KKP_BOUNCE_IMAP_URL`: TLS unless the mailbox is on this machine, and no secret in
an error or a log line."""

from __future__ import annotations

import pytest

from kkp.mail.imap import MailboxSettings
from kkp.redaction import redact


@pytest.mark.parametrize(
    "url, expected",
    [
        (
            "imaps://bounce%40kkp.de:p%40ss@mail.kkp.de/Bounces?processed=Done&batch=10",
            ("mail.kkp.de", 993, "bounce@kkp.de", "p@ss", "Bounces", "Done", True, False, 10),
        ),
        (
            "imap://u:geheim@mail.kkp.de",
            ("mail.kkp.de", 143, "u", "geheim", "INBOX", None, False, True, 50),
        ),
        (
            "imap://u:geheim@127.0.0.1:1143/",
            ("127.0.0.1", 1143, "u", "geheim", "INBOX", None, False, False, 50),
        ),
        (
            "imap://u:geheim@localhost/?starttls=1",
            ("localhost", 143, "u", "geheim", "INBOX", None, False, True, 50),
        ),
    ],
)
def test_the_url_says_where_and_how(url, expected):
    s = MailboxSettings.from_url(url)
    fields = ("host", "port", "username", "password", "folder", "processed", "tls", "starttls")
    assert tuple(getattr(s, name) for name in (*fields, "batch")) == expected
    assert s.password not in repr(s)


@pytest.mark.parametrize(
    "url",
    [
        "pop3://u:secret@mail.kkp.de",
        "imap://u:secret@mail.kkp.de?starttls=0",  # plain text over the network
        "imaps://mail.kkp.de/INBOX",  # no user
        "imaps://u:secret@mail.kkp.de?batch=0",
    ],
)
def test_a_url_that_cannot_be_used_is_refused_without_its_password(url):
    with pytest.raises(ValueError, match="KKP_BOUNCE_IMAP_URL") as refused:
        MailboxSettings.from_url(url)
    assert "secret" not in str(refused.value)


def test_a_logged_url_keeps_no_user_or_password():
    line = "polling imaps://bounce%40kkp.de:s3cr@t@mail.kkp.de:993/INBOX failed"
    assert redact(line) == "polling imaps://[redacted]@mail.kkp.de:993/INBOX failed"
