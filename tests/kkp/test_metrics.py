"""/metrics for the operator (a token, the requests by route and status, deliveries,
queues, ticks) and /readyz (migrated database, broker answering)."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery
from people.models import Bounce

TOKEN = "m" * 40


@pytest.fixture
def token(app, monkeypatch):
    monkeypatch.setitem(app.config, "KKP_METRICS_TOKEN", TOKEN)
    return TOKEN


def scrape(client) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert "Set-Cookie" not in response.headers
    assert response.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def test_metrics_answer_only_the_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "KKP_METRICS_TOKEN", None)
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", headers={"Authorization": "Bearer "}).status_code == 404
    monkeypatch.setitem(app.config, "KKP_METRICS_TOKEN", TOKEN)
    assert client.get("/metrics").status_code == 404
    wrong = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert wrong.status_code == 404 and "Set-Cookie" not in wrong.headers
    assert scrape(client)


def test_requests_are_counted_by_route_and_status(client, token):
    key = (
        "kkp_http_requests_total",
        (("method", "GET"), ("route", "/lang/<code>"), ("status", "302")),
    )
    before = scrape(client).get(key, 0)
    client.get("/lang/en?next=/")
    client.get("/lang/de?next=/")
    after = scrape(client)
    assert after[key] == before + 2
    duration = (
        "kkp_http_request_duration_seconds_count",
        (("method", "GET"), ("route", "/lang/<code>")),
    )
    assert after[duration] >= 2
    missing = (
        "kkp_http_requests_total",
        (("method", "GET"), ("route", "(none)"), ("status", "404")),
    )
    client.get("/gibt-es-nicht/a@example.org")
    assert scrape(client)[missing] >= 1


def test_deliveries_bounces_and_the_send_rate(ctx, client, token):
    now = utcnow()
    for i in range(3):
        db.session.add(
            Delivery(kind="test", recipient=f"r{i}@example.org", status="sent", sent_at=now)
        )
    db.session.add(Delivery(kind="test", recipient="f@example.org", status="failed"))
    db.session.flush()
    db.session.add(Bounce(delivery_id=1, email_hash="a" * 64, kind="complaint", message_key="k1"))
    db.session.add(Bounce(delivery_id=2, email_hash="b" * 64, kind="hard", message_key="k2"))
    db.session.commit()
    figures = scrape(client)
    assert figures[("kkp_deliveries", (("status", "sent"),))] == 3
    assert figures[("kkp_deliveries", (("status", "failed"),))] == 1
    assert figures[("kkp_deliveries", (("status", "queued"),))] == 0
    assert figures[("kkp_deliveries", (("status", "bounced"),))] == 1
    assert figures[("kkp_deliveries", (("status", "complained"),))] == 1
    assert figures[("kkp_deliveries_sent_last_minute", ())] == 3


def test_queue_lengths_from_the_redis_broker(ctx, client, token, broker):
    from kkp.mail.tasks import send_delivery

    send_delivery.send_now(1)
    send_delivery.send_now(2)
    send_delivery.send_now(3, delay=60_000)
    figures = scrape(client)
    assert figures[("kkp_queue_messages", (("queue", "mail"), ("state", "ready")))] == 2
    assert figures[("kkp_queue_messages", (("queue", "mail"), ("state", "delayed")))] == 1
    assert figures[("kkp_queue_messages", (("queue", "bulk"), ("state", "ready")))] == 0


def test_scheduler_ticks_are_counted(ctx, client, token):
    from service.schedule import record_tick

    assert scrape(client)[("kkp_scheduler_ticks_total", ())] == 0
    record_tick()
    record_tick()
    figures = scrape(client)
    assert figures[("kkp_scheduler_ticks_total", ())] == 2
    assert abs(figures[("kkp_scheduler_last_tick_seconds", ())] - utcnow().timestamp()) < 60


def test_readyz_when_migrated_and_the_broker_answers(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.get_data(as_text=True) == "ready\n"
    assert "Set-Cookie" not in response.headers


def test_readyz_fails_without_broker_or_migrations(
    app, broker, database_url, smtp_server, tmp_path
):
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config
    from tests.services import free_port

    try:
        gone = create_app(
            test_config(database_url, f"redis://127.0.0.1:{free_port()}/0", smtp_server.port)
        )
        response = gone.test_client().get("/readyz")
        assert response.status_code == 503
        assert response.get_data(as_text=True).startswith("not ready: broker unreachable")
        unmigrated = create_app(
            test_config(f"sqlite:///{tmp_path / 'empty.db'}", app.config["KKP_BROKER_URL"], 1)
        )
        response = unmigrated.test_client().get("/readyz")
        assert response.status_code == 503
        assert "not migrated" in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
    finally:
        init_broker(app, broker)  # actors are process-wide: bind them back
