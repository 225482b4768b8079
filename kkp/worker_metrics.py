"""The workers' metrics: Dramatiq's own Prometheus middleware (messages processed,
failed, retried, dead, in progress, their durations, by queue and actor), served on
`KKP_WORKER_METRICS_BIND` rather than its default 0.0.0.0:9191, and its files in the
instance folder rather than one folder shared by every instance on the host.

prometheus-client decides when it is first imported whether it runs in multiprocess
mode, so the worker entry point (workers/app.py) calls :func:`prepare` before it imports
the app; the exposition server runs in a process the Dramatiq CLI forks from its main
process, which never imports the app: :func:`serve` reads the environment itself.
"""

from __future__ import annotations

import logging
import os
import time
from http.server import HTTPServer
from pathlib import Path

from dramatiq.middleware import prometheus

from kkp.config import bind_address, instance_path, private_folder

log = logging.getLogger(__name__)

BIND = "KKP_WORKER_METRICS_BIND"
#: how often a Dramatiq process whose address another one serves tries again (seconds)
RETRY_SECONDS = 10


def folder() -> Path:
    return private_folder(instance_path() / "worker-metrics")


def prepare(env: dict[str, str] | None = None) -> bool:
    """In a worker process, before anything imports prometheus-client: its files go to
    the instance's folder. True when the workers' metrics are asked for."""
    env = os.environ if env is None else env
    if not env.get(BIND):
        return False
    bind_address(BIND, env[BIND])  # a wrong value stops the start
    path = str(folder())
    prometheus.DB_PATH = path
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = path
    return True


class WorkerMetrics(prometheus.Prometheus):
    """Dramatiq's Prometheus middleware with our exposition server."""

    @property
    def forks(self):
        return [serve]


def serve() -> int:
    """The exposition server (a process of its own, forked by the Dramatiq CLI). The
    Procfile's worker and mailer share the instance's folder and the address: the first
    to take it serves the figures of both, the other tries again every
    `RETRY_SECONDS`, so that one serves while either runs."""
    host, port = bind_address(BIND, os.environ[BIND])
    prometheus.DB_PATH = str(folder())
    while True:
        try:
            server = HTTPServer((host, port), prometheus._metrics_handler)
        except OSError:
            time.sleep(RETRY_SECONDS)
            continue
        log.info("worker metrics served on %s:%s", host, port)
        with server:
            server.serve_forever()
