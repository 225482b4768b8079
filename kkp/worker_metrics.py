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

import os
from pathlib import Path

from dramatiq.middleware import prometheus

from kkp.config import bind_address, instance_path, private_folder

BIND = "KKP_WORKER_METRICS_BIND"


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
    """The exposition server (a process of its own, forked by the Dramatiq CLI)."""
    host, port = bind_address(BIND, os.environ[BIND])
    prometheus.HTTP_HOST, prometheus.HTTP_PORT = host, port
    prometheus.DB_PATH = str(folder())
    return prometheus._run_exposition_server()
