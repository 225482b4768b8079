"""Deliveries through the real SMTP server and the local outbox; message format."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.extensions import db
from kkp.mail import operations
from kkp.mail.models import Delivery, OutboxMessage
from kkp.mail.transport import OutboxTransport, SMTPSettings
from newsletter.operations import add_subscriber
from tests.helpers import parse_mail, text_of


def pending_delivery(lists, email="lea@example.org", name="Lea"):
    add_subscriber(email=email, name=name, list_ids=[lists["kkp-kompakt"]])
    db.session.commit()
    return db.session.scalar(sa.select(Delivery))


def test_delivery_is_sent_once(lists, mail):
    delivery = pending_delivery(lists)
    assert operations.deliver(delivery.id) == "sent"
    assert operations.deliver(delivery.id) == "skipped"
    assert len(mail.messages) == 1
    db.session.expire_all()
    stored = db.session.get(Delivery, delivery.id)
    assert stored.status == "sent" and stored.attempts == 1 and stored.message_id


def test_permanent_failure_is_recorded_and_not_retried(lists, mail):
    delivery = pending_delivery(lists)
    mail.answer = lambda envelope: "550 5.1.1 Mailbox unavailable"
    assert operations.deliver(delivery.id) == "failed"
    db.session.expire_all()
    stored = db.session.get(Delivery, delivery.id)
    assert stored.status == "failed"
    assert stored.last_error.startswith("550")
    assert operations.deliver(delivery.id) == "skipped"


def test_temporary_failure_is_retried(lists, mail):
    import pytest

    from kkp.mail.transport import DeliveryError

    delivery = pending_delivery(lists)
    mail.answer = lambda envelope: "451 4.7.1 Try again later"
    with pytest.raises(DeliveryError):
        operations.deliver(delivery.id)
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status == "queued"
    mail.answer = None
    assert operations.deliver(delivery.id) == "sent"
    assert len(mail.messages) == 1


def test_unreachable_server_keeps_the_delivery(app, lists, mail):
    import pytest

    from kkp.mail.transport import DeliveryError, SMTPTransport
    from tests.services import free_port

    delivery = pending_delivery(lists)
    app.extensions["kkp_transport"] = SMTPTransport(
        SMTPSettings.from_url(f"smtp://127.0.0.1:{free_port()}?timeout=2")
    )
    try:
        with pytest.raises(DeliveryError):
            operations.deliver(delivery.id)
    finally:
        app.extensions.pop("kkp_transport")
    db.session.expire_all()
    stored = db.session.get(Delivery, delivery.id)
    assert stored.status == "queued" and "connection" in stored.last_error.lower()


def test_connection_is_reused(app, lists, mail, smtp_server):
    sessions = []
    original = smtp_server.handler.handle_DATA

    async def counting(server, session, envelope):
        sessions.append(id(session))
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = counting
    try:
        for i in range(3):
            add_subscriber(email=f"r{i}@example.org", list_ids=[lists["kkp-kompakt"]])
        db.session.commit()
        for delivery_id in db.session.scalars(sa.select(Delivery.id)).all():
            operations.deliver(delivery_id)
    finally:
        del smtp_server.handler.handle_DATA
    assert len(sessions) == 3 and len(set(sessions)) == 1


def test_outbox_keeps_the_message_and_editors_read_it(app, lists, logged_in):
    delivery = pending_delivery(lists, name="Lea Ümlaut")
    app.extensions["kkp_transport"] = OutboxTransport()
    try:
        assert operations.deliver(delivery.id) == "sent"
    finally:
        app.extensions.pop("kkp_transport")
    stored = db.session.scalar(sa.select(OutboxMessage))
    assert b"\r\n" in stored.raw and b"\n" not in stored.raw.replace(b"\r\n", b"")
    msg = parse_mail(stored.raw)
    assert "Lea Ümlaut" in str(msg["To"])
    listing = logged_in.get("/admin/outbox/").get_data(as_text=True)
    assert "Bitte bestätigen Sie Ihr Abonnement" in listing
    page = logged_in.get(f"/admin/outbox/{stored.id}").get_data(as_text=True)
    assert "Hier bestätigen" in page and "Message-ID" in page
    html = logged_in.get(f"/admin/outbox/{stored.id}/html")
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert "Abonnement bestätigen" in html.get_data(as_text=True)


def test_message_format(lists, mail):
    from newsletter.models import Subscriber

    delivery = pending_delivery(lists, name="Anna")
    # The operations refuse control characters; force them past to test the builder.
    db.session.execute(sa.update(Subscriber).values(name='Anna "Ä" Müller\r\nBcc: x@example.org'))
    db.session.commit()
    operations.deliver(delivery.id)
    raw = mail.messages[0]["data"]
    msg = parse_mail(raw)
    assert msg.get_content_type() == "multipart/alternative"
    parts = [p.get_content_type() for p in msg.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert '<html lang="de"' in html or 'lang="de"' in html
    assert "<mj-" not in html
    assert "<!--[if mso" in html
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert "Bcc" not in msg
    assert "/subscribe/confirm/" in text_of(msg)


def test_smtp_url_forms():
    plain = SMTPSettings.from_url("smtp://relay.example:2525")
    assert (plain.host, plain.port, plain.tls, plain.starttls) == (
        "relay.example",
        2525,
        False,
        False,
    )
    starttls = SMTPSettings.from_url("smtp://u%40x:p%3Aw@relay.example:587?starttls=1")
    assert starttls.starttls and starttls.username == "u@x" and starttls.password == "p:w"
    tls = SMTPSettings.from_url("smtps://relay.example")
    assert tls.tls and tls.port == 465
    import pytest

    with pytest.raises(ValueError):
        SMTPSettings.from_url("http://relay.example")


def test_smtp_auth(ctx, lists):
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from kkp.mail.message import new_message
    from kkp.mail.transport import SMTPTransport
    from tests.conftest import MailSink
    from tests.services import free_port

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = auth_data.login == b"kkp" and auth_data.password == b"geheim"
        return AuthResult(success=ok)

    sink = MailSink()
    port = free_port()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        authenticator=authenticator,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        transport = SMTPTransport(SMTPSettings.from_url(f"smtp://kkp:geheim@127.0.0.1:{port}"))
        msg = new_message(subject="Test", sender="a@kkp.test", to="b@example.org", text="Hallo")
        transport.send(msg, envelope_from="a@kkp.test", recipients=["b@example.org"])
        transport.close()
        assert len(sink.messages) == 1
    finally:
        controller.stop()


def _tls_server(**kwargs):
    from aiosmtpd.controller import Controller

    from tests.conftest import MailSink
    from tests.services import free_port

    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    return controller, sink


def _send_one(url):
    from kkp.mail.message import new_message
    from kkp.mail.transport import SMTPTransport

    transport = SMTPTransport(SMTPSettings.from_url(url))
    msg = new_message(subject="Test", sender="a@kkp.test", to="b@example.org", text="Hallo")
    transport.send(msg, envelope_from="a@kkp.test", recipients=["b@example.org"])
    transport.close()


def test_starttls_and_tls(tmp_path, monkeypatch):
    import ssl

    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    # The transport verifies certificates against the system store; point it at our CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    controller, sink = _tls_server(tls_context=server_context, require_starttls=True)
    try:
        _send_one(f"smtp://127.0.0.1:{controller.port}?starttls=1")
        assert len(sink.messages) == 1
        # Without STARTTLS the server refuses: a clear, permanent error.
        import pytest

        from kkp.mail.transport import DeliveryError

        with pytest.raises(DeliveryError):
            _send_one(f"smtp://127.0.0.1:{controller.port}")
    finally:
        controller.stop()

    controller, sink = _tls_server(server_hostname="127.0.0.1", ssl_context=server_context)
    try:
        _send_one(f"smtps://127.0.0.1:{controller.port}")
        assert len(sink.messages) == 1
    finally:
        controller.stop()
