"""The same code on RabbitMQ (KKP_BROKER_URL=amqp://…): a sign-up mail goes through it."""

from __future__ import annotations

import fcntl
import os
import tempfile
import time
from pathlib import Path

import pytest

from tests import services

AMQP_URL = os.environ.get("KKP_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@pytest.fixture
def rabbit_lock():
    """One test at a time on this machine's RabbitMQ: its queues have no namespace, so a
    test in another process (another xdist worker, another run) would take or flush
    this one's messages."""
    with open(Path(tempfile.gettempdir()) / "kkp-test-rabbitmq.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


@pytest.fixture
def rabbit_app(app, broker, database_url, smtp_server, rabbit_lock):
    if not services.reachable("127.0.0.1", 5672):
        services.require("RabbitMQ is not reachable on 127.0.0.1:5672 (KKP_TEST_AMQP_URL)")
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config

    rabbit = create_app(test_config(database_url, AMQP_URL, smtp_server.port))
    rabbit_broker = rabbit.extensions["dramatiq"]
    for queue in ("default", "mail", "interactive"):
        rabbit_broker.declare_queue(queue)
    rabbit_broker.flush_all()
    try:
        yield rabbit
    finally:
        rabbit_broker.flush_all()
        rabbit_broker.close()
        init_broker(app, broker)  # actors are process-wide: give them back


def test_signup_mail_through_rabbitmq(rabbit_app, lists, mail):
    from dramatiq import Worker

    from newsletter.operations import add_subscriber

    assert type(rabbit_app.extensions["dramatiq"]).__name__ == "RabbitmqBroker"
    health = rabbit_app.test_client().get("/healthz")
    assert health.status_code == 200 and health.get_json()["broker"] == "ok"

    with rabbit_app.app_context():
        from kkp.extensions import db

        add_subscriber(email="hase@example.org", list_ids=[lists["kkp-kompakt"]])
        db.session.commit()
    worker = Worker(rabbit_app.extensions["dramatiq"], worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        received = mail.wait_for(1, timeout=30)
    finally:
        worker.stop(timeout=10_000)
    assert received[0]["to"] == ["hase@example.org"]


def test_queue_lengths_and_readiness_on_rabbitmq(rabbit_app, monkeypatch):
    from prometheus_client.parser import text_string_to_metric_families

    from kkp.mail.tasks import send_delivery

    monkeypatch.setitem(rabbit_app.config, "KKP_METRICS_TOKEN", "r" * 32)
    client = rabbit_app.test_client()
    assert client.get("/readyz").status_code == 200
    with rabbit_app.app_context():
        send_delivery.send_now(1)
        send_delivery.send_now(2)

    def ready() -> dict[str, float]:
        metrics = client.get("/metrics", headers={"Authorization": "Bearer " + "r" * 32})
        return {
            sample.labels["queue"]: sample.value
            for family in text_string_to_metric_families(metrics.get_data(as_text=True))
            for sample in family.samples
            if sample.name == "kkp_queue_messages" and sample.labels["state"] == "ready"
        }

    deadline = time.monotonic() + 10  # RabbitMQ counts a published message a moment later
    while ready().get("mail") != 2:
        assert time.monotonic() < deadline, ready()
        time.sleep(0.1)
    assert ready()["interactive"] == 0
