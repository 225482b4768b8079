"""ESMTP PIPELINING (RFC 2920): MAIL FROM, RCPT TO and DATA in one write when the
server offers it, two writes per message instead of four; a server without it gets
one command at a time; a refusal inside the pipeline is the failure it is, and
nothing goes out twice."""

from __future__ import annotations

import smtplib
import threading
from collections import Counter

import pytest
from aiosmtpd.controller import Controller

from tests import services

MESSAGE = (
    b"From: a@example.org\r\nTo: b@example.org\r\nSubject: Test\r\n\r\nHallo.\r\n"
    b".Punkt am Zeilenanfang\r\n"
)
REFUSAL = "550 5.1.1 Recipient address rejected: User unknown"


class Sink:
    """Keeps what it receives; offers PIPELINING if asked; refuses `refused` at RCPT."""

    def __init__(self, *, pipelining: bool, refused: tuple[str, ...] = ()):
        self.pipelining = pipelining
        self.refused = refused
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refused:
            return REFUSAL
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@pytest.fixture
def server():
    controllers = []

    def start(**options):
        sink = Sink(**options)
        controller = Controller(sink, hostname="127.0.0.1", port=services.free_port())
        controller.start()
        controllers.append(controller)
        return sink, controller.port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def writes(monkeypatch):
    """Counts the client's socket writes (smtplib writes everything through `send`)."""
    counted = Counter()
    original = smtplib.SMTP.send

    def send(self, s):
        counted["writes"] += 1
        return original(self, s)

    monkeypatch.setattr(smtplib.SMTP, "send", send)
    return counted


def _transport(port: int):
    from kkp.mail.transport import SMTPSettings, SMTPTransport

    return SMTPTransport(SMTPSettings.from_url(f"smtp://127.0.0.1:{port}?timeout=5"))


def _send_three(transport, writes) -> int:
    transport.send_bytes(MESSAGE, envelope_from="bounce@kkp.test", recipients=["x@example.org"])
    before = writes["writes"]  # the connection and EHLO are behind us
    for n in range(3):
        transport.send_bytes(
            MESSAGE, envelope_from="bounce@kkp.test", recipients=[f"p{n}@example.org"]
        )
    return writes["writes"] - before


@pytest.mark.parametrize(("pipelining", "per_message"), [(True, 2), (False, 4)])
def test_a_message_takes_two_writes_with_pipelining_and_four_without(
    server, writes, pipelining, per_message
):
    sink, port = server(pipelining=pipelining)
    transport = _transport(port)
    try:
        assert _send_three(transport, writes) == 3 * per_message
    finally:
        transport.close()
    assert [to for to, _ in sink.messages] == [["x@example.org"]] + [
        [f"p{n}@example.org"] for n in range(3)
    ]
    # the dot at the start of a line arrives whole (stuffed on the way, unstuffed there)
    assert all(data == MESSAGE for _, data in sink.messages)


def test_a_refused_recipient_in_the_pipeline_fails_and_the_connection_goes_on(server, writes):
    from kkp.mail.transport import DeliveryError

    sink, port = server(pipelining=True, refused=("nobody@example.org",))
    transport = _transport(port)
    try:
        transport.send_bytes(MESSAGE, envelope_from="b@kkp.test", recipients=["p1@example.org"])
        with pytest.raises(DeliveryError) as refused:
            transport.send_bytes(
                MESSAGE, envelope_from="b@kkp.test", recipients=["nobody@example.org"]
            )
        assert refused.value.permanent and not refused.value.connection
        assert not refused.value.in_doubt
        assert str(refused.value) == REFUSAL
        transport.send_bytes(MESSAGE, envelope_from="b@kkp.test", recipients=["p2@example.org"])
        # two recipients, one refused: the refusal is told, the other gets it, once
        with pytest.raises(DeliveryError):
            transport.send_bytes(
                MESSAGE,
                envelope_from="b@kkp.test",
                recipients=["nobody@example.org", "p3@example.org"],
            )
    finally:
        transport.close()
    received = Counter(r for to, _ in sink.messages for r in to)
    assert received == {"p1@example.org": 1, "p2@example.org": 1, "p3@example.org": 1}


def test_addresses_beyond_ascii_take_the_command_by_command_path(server, writes):
    """SMTPUTF8 needs smtplib's checks (is it offered?): no pipelining for it."""
    sink, port = server(pipelining=True)
    transport = _transport(port)
    try:
        transport.send_bytes(MESSAGE, envelope_from="b@kkp.test", recipients=["p1@example.org"])
        before = writes["writes"]
        transport.send_bytes(MESSAGE, envelope_from="b@kkp.test", recipients=["jürgen@example.org"])
        assert writes["writes"] - before == 4
    finally:
        transport.close()
    assert [to for to, _ in sink.messages] == [["p1@example.org"], ["jürgen@example.org"]]
