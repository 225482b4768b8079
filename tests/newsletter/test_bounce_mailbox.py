"""Returned mails read from an IMAP mailbox: a private Dovecot (Debian's dovecot-imapd,
which `make test` installs), reached over IMAPS and STARTTLS with a throwaway CA."""

from __future__ import annotations

import imaplib
import logging
import ssl
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
import sqlalchemy.exc

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.imap import MailboxSettings, open_mailbox
from kkp.mail.verp import return_path
from people.addresses import is_suppressed
from people.bounce_mailbox import poll
from people.bounces import Outcome
from people.models import Bounce
from service.schedule import poll_bounces_when_due
from tests.newsletter.test_bounces import ADDRESS, HARD, SAMPLES, delivery, returned, verp
from tests.services import PrivateDovecot, dovecot_binary, require

__all__ = ["delivery", "verp"]  # fixtures
#: a real Postfix's notification (tests/kkp/data/bounces/make_postfix_dsn.py made it)
POSTFIX = "postfix_local_unknown_user.eml"


def start_dovecot(ca_dir) -> PrivateDovecot:
    binary = dovecot_binary()
    if binary is None:
        require("dovecot is not installed (apt-get install dovecot-imapd; make test does)")
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server = PrivateDovecot(binary, cert.cert_chain_pems[0].bytes(), cert.private_key_pem.bytes())
    server.ca_file = str(ca_dir / "ca.pem")
    ca.cert_pem.write_to_path(server.ca_file)
    return server


@pytest.fixture(scope="module")
def dovecot(tmp_path_factory):
    server = start_dovecot(tmp_path_factory.mktemp("ca"))
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot, app, monkeypatch):
    """A fresh mailbox (any user name is one) and a client into it; the service's
    certificate check trusts the test CA, as it would a public one."""
    monkeypatch.setenv("SSL_CERT_FILE", dovecot.ca_file)
    user = f"bounces-{uuid.uuid4().hex[:8]}"
    context = ssl.create_default_context(cafile=dovecot.ca_file)
    client = imaplib.IMAP4_SSL("127.0.0.1", dovecot.imaps_port, ssl_context=context)
    client.login(user, dovecot.PASSWORD)
    client.user = user
    saved = app.config.get("KKP_BOUNCE_IMAP_URL")
    yield client
    app.config["KKP_BOUNCE_IMAP_URL"] = saved
    client.logout()


def drop(client, *mails: bytes) -> None:
    for raw in mails:
        typ, _ = client.append("INBOX", None, None, raw.replace(b"\n", b"\r\n"))
        assert typ == "OK"


def count(client, folder: str) -> int:
    typ, data = client.select(folder)
    return int(data[0]) if typ == "OK" else -1


def test_a_poll_suppresses_moves_and_a_second_changes_nothing(app, delivery, dovecot, mailbox):
    port, user = dovecot.imaps_port, mailbox.user
    app.config["KKP_BOUNCE_IMAP_URL"] = (
        f"imaps://{user}:{dovecot.PASSWORD}@127.0.0.1:{port}/INBOX?processed=Processed&batch=2"
    )
    forged = return_path(delivery).replace(f"+{delivery}-", f"+{delivery + 1}-")
    hard = returned(POSTFIX, delivery)
    raw = (SAMPLES / HARD).read_bytes().replace(b"Id: <", b"Id: <forged.")
    drop(
        mailbox,
        hard,
        returned("out_of_office.eml", delivery),
        raw.replace(b"{VERP}", forged.encode()),
    )
    assert poll() == {Outcome.SUPPRESSED: 1, Outcome.IGNORED: 2}
    assert is_suppressed(ADDRESS)
    assert (count(mailbox, "INBOX"), count(mailbox, "Processed")) == (0, 3)

    assert poll() == {}  # nothing left: nothing changes
    drop(mailbox, hard)  # the same bounce again (a second copy, a poll that died)
    assert poll() == {Outcome.DUPLICATE: 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) == 1
    assert (count(mailbox, "INBOX"), count(mailbox, "Processed")) == (0, 4)


def test_a_database_failure_leaves_the_mail_for_the_next_poll(
    app, delivery, dovecot, mailbox, monkeypatch
):
    # imap:// to a loopback host with STARTTLS asked for; no processed folder: deleted
    url = f"imap://{mailbox.user}:{dovecot.PASSWORD}@127.0.0.1:{dovecot.imap_port}/INBOX"
    app.config["KKP_BOUNCE_IMAP_URL"] = url + "?starttls=1"
    drop(mailbox, returned(HARD, delivery))

    def failing(*args, **kwargs):
        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    with monkeypatch.context() as patched:
        patched.setattr("people.bounce_mailbox.process_bounce", failing)
        assert poll() == {"database_down": 1}
    assert count(mailbox, "INBOX") == 1 and not is_suppressed(ADDRESS)

    assert poll() == {Outcome.SUPPRESSED: 1}
    assert is_suppressed(ADDRESS)
    assert (count(mailbox, "INBOX"), count(mailbox, "Processed")) == (0, -1)


@pytest.mark.parametrize("missing", [{"MOVE"}, {"MOVE", "UIDPLUS"}])
def test_a_server_without_move_gets_copy_and_expunge(dovecot, mailbox, missing):
    drop(mailbox, b"Subject: eins\n\n1\n", b"Subject: zwei\n\n2\n")
    url = f"imaps://{mailbox.user}:{dovecot.PASSWORD}@127.0.0.1:{dovecot.imaps_port}"
    with open_mailbox(MailboxSettings.from_url(url + "/INBOX?processed=Alt")) as box:
        box.capabilities -= missing
        first, second = box.uids()
        assert box.fetch([first, second], 10) == {first: b"Subject: e", second: b"Subject: z"}
        box.settle([first])
        assert box.uids() == [second]
    assert (count(mailbox, "INBOX"), count(mailbox, "Alt")) == (1, 1)


def test_a_refused_login_is_logged_without_the_password(app, ctx, tmp_path, caplog):
    # a Dovecot of its own: after a wrong password Dovecot slows the next login down
    server = start_dovecot(tmp_path)
    try:
        app.config["KKP_BOUNCE_IMAP_URL"] = (
            f"imap://bounces:wrong-pass@127.0.0.1:{server.imap_port}/INBOX"
        )
        with caplog.at_level(logging.INFO, logger="people.bounce_mailbox"):
            assert poll() == {}
    finally:
        app.config["KKP_BOUNCE_IMAP_URL"] = None
        server.stop()
    assert "login" in caplog.text and "wrong-pass" not in caplog.text
    assert "@" not in caplog.text


def test_the_scheduler_polls_every_interval(app, delivery, dovecot, mailbox, worker, drain):
    app.config["KKP_BOUNCE_IMAP_URL"] = (
        f"imaps://{mailbox.user}:{dovecot.PASSWORD}@127.0.0.1:{dovecot.imaps_port}/INBOX"
        "?processed=Processed"
    )
    drop(mailbox, returned(HARD, delivery))
    now = utcnow()
    assert poll_bounces_when_due(now)
    drain()
    assert is_suppressed(ADDRESS)
    assert (count(mailbox, "INBOX"), count(mailbox, "Processed")) == (0, 1)
    assert not poll_bounces_when_due(now + timedelta(seconds=60))
    assert poll_bounces_when_due(now + timedelta(seconds=300))
    drain()
    app.config["KKP_BOUNCE_IMAP_URL"] = None
    assert not poll_bounces_when_due(now + timedelta(seconds=900))


def test_the_real_postfix_notification_through_the_pipe(app, delivery):
    result = app.test_cli_runner().invoke(args=["bounce"], input=returned(POSTFIX, delivery))
    assert result.exit_code == 0 and "hard: suppressed" in result.output
    assert is_suppressed(ADDRESS)
