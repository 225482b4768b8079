"""`GET /metrics` in the Prometheus text format (prometheus-client), for the operator.

Answered only with `Authorization: Bearer <KKP_METRICS_TOKEN>` (else a 404, as if there
were no such page), or on its own address `KKP_METRICS_BIND` (served by one of the web
processes, see kkp.gunicorn_conf), never with cookies.

Two kinds of figures:

- what each web process counts, the requests by route (the URL rule, not the path) and
  status and their durations: gunicorn runs several processes, so these use
  prometheus-client's multiprocess mode (`PROMETHEUS_MULTIPROC_DIR`, set up by
  kkp.gunicorn_conf; without it, as under `make run`, the process's own counts);
- what the database and the broker hold, read at each scrape (:class:`StateCollector`):
  deliveries by status, bounces and suppressions, messages sent in the last minute,
  the queues' lengths, the scheduler's ticks. Any process answers them alike, with no
  state kept between processes, and a restart loses nothing.
"""

from __future__ import annotations

import hmac
import logging
import os
import time
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

from kkp.config import bind_address
from kkp.db import utcnow
from kkp.extensions import db, limiter
from kkp.mail.models import Delivery, DeliveryStatus
from people.models import Bounce, Suppression
from service.schedule import tick_record

log = logging.getLogger(__name__)

bp = Blueprint("metrics", __name__)

REQUESTS = Counter(
    "kkp_http_requests",
    "Requests answered, by route (URL rule), method and status.",
    ["route", "method", "status"],
    registry=None,
)
DURATION = Histogram(
    "kkp_http_request_duration_seconds",
    "How long requests took, by route (URL rule) and method.",
    ["route", "method"],
    registry=None,
)
#: deliveries by status besides the rows' own: those a hard or soft bounce came back
#: for, and those the recipient complained about
BOUNCE_STATUSES = {"bounced": ("hard", "soft"), "complained": ("complaint",)}


def _multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def _route() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "(none)"


def _started() -> None:
    g.kkp_started = time.perf_counter()


def _counted(response: Response) -> Response:
    started = g.pop("kkp_started", None)
    if started is not None:
        route, method = _route(), request.method
        REQUESTS.labels(route, method, str(response.status_code)).inc()
        DURATION.labels(route, method).observe(time.perf_counter() - started)
    return response


class StateCollector:
    """The figures the database and the broker hold, read at each scrape."""

    def __init__(self, app: Flask):
        self.app = app

    def collect(self):
        with self.app.app_context():
            try:
                yield from self._database()
            finally:
                db.session.remove()
            yield from self._queues()

    def _database(self):
        deliveries = GaugeMetricFamily(
            "kkp_deliveries", "Deliveries (mails) by status.", labels=["status"]
        )
        counts = dict.fromkeys(DeliveryStatus, 0)
        counts.update(
            db.session.execute(
                sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
            ).all()
        )
        for label, kinds in BOUNCE_STATUSES.items():
            counts[label] = db.session.scalar(
                sa.select(sa.func.count(sa.distinct(Bounce.delivery_id))).where(
                    Bounce.kind.in_(kinds), Bounce.delivery_id.is_not(None)
                )
            )
        for status, count in counts.items():
            deliveries.add_metric([str(status)], count)
        yield deliveries
        suppressed = GaugeMetricFamily(
            "kkp_suppressed_addresses",
            "Addresses on the suppression list, by reason.",
            labels=["reason"],
        )
        for reason, count in db.session.execute(
            sa.select(Suppression.reason, sa.func.count()).group_by(Suppression.reason)
        ).all():
            suppressed.add_metric([reason], count)
        yield suppressed
        since = utcnow() - timedelta(minutes=1)
        yield GaugeMetricFamily(
            "kkp_deliveries_sent_last_minute",
            "Mails sent in the last minute (the send rate).",
            value=db.session.scalar(
                sa.select(sa.func.count()).select_from(Delivery).where(Delivery.sent_at >= since)
            ),
        )
        ticks, last = tick_record()
        yield CounterMetricFamily(
            "kkp_scheduler_ticks", "Scheduler ticks run by the workers.", value=ticks
        )
        yield GaugeMetricFamily(
            "kkp_scheduler_last_tick_seconds",
            "When the scheduler last ran (Unix time; 0: never).",
            value=last.timestamp() if last else 0,
        )

    def _queues(self):
        broker = self.app.extensions["dramatiq"]
        family = GaugeMetricFamily(
            "kkp_queue_messages",
            "Messages in the broker's queues: ready, delayed (retries, later sends) and dead.",
            labels=["queue", "state"],
        )
        try:
            for queue in sorted(broker.get_declared_queues()):
                for state, count in zip(
                    ("ready", "delayed", "dead"), queue_counts(broker, queue), strict=True
                ):
                    family.add_metric([queue, state], count)
        except Exception as exc:  # noqa: BLE001 - the broker gone: no queue figures
            log.warning("no queue lengths for /metrics: %s", type(exc).__name__)
            return
        yield family


def queue_counts(broker, queue: str) -> tuple[int, int, int]:
    """Messages ready, delayed and dead in one Dramatiq queue (Redis or RabbitMQ)."""
    client = getattr(broker, "client", None)
    if client is None:
        return broker.get_queue_message_counts(queue)
    key = f"{broker.namespace}:{queue}"
    with client.pipeline(transaction=False) as pipe:
        pipe.llen(key).llen(f"{key}.DQ").zcard(f"{key}.XQ")
        return tuple(pipe.execute())


def registry(app: Flask) -> CollectorRegistry:
    """What one scrape shows: the requests counted (by every web process in multiprocess
    mode) and the state read now."""
    scrape = CollectorRegistry(auto_describe=False)
    if _multiprocess():
        MultiProcessCollector(scrape)
    else:
        scrape.register(REQUESTS)
        scrape.register(DURATION)
    scrape.register(StateCollector(app))
    return scrape


def _authorised() -> bool:
    token = current_app.config.get("KKP_METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if not token or not given.startswith("Bearer "):
        return False
    return hmac.compare_digest(given.removeprefix("Bearer ").encode(), token.encode())


@bp.get("/metrics")
@limiter.exempt
def metrics():
    if not _authorised():
        return Response("Not Found\n", 404, mimetype="text/plain")
    body = generate_latest(registry(current_app._get_current_object()))
    return Response(
        body, headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"}
    )


def serve_bind(app: Flask) -> bool:
    """Serve the metrics on `KKP_METRICS_BIND` from this process, without a token; False
    when another process serves them already (the port is taken) or none is set."""
    bind = app.config.get("KKP_METRICS_BIND")
    if not bind:
        return False
    host, port = bind_address("KKP_METRICS_BIND", bind)
    try:
        start_http_server(port, addr=host, registry=registry(app))
    except OSError:
        return False
    log.info("metrics served on %s", bind)
    return True


def init_app(app: Flask) -> None:
    app.before_request(_started)
    app.after_request(_counted)
    app.register_blueprint(bp)
    app.extensions["kkp_metrics"] = serve_bind
