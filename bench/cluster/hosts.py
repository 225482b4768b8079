"""The application's hosts: web (gunicorn), worker (dramatiq) and clock (`kkp clock`),
each started with the Procfile's command inside its namespace, configured only by
`KKP_*` variables that name the other hosts by their network addresses."""

from __future__ import annotations

import signal
import sys
import time
import uuid
from pathlib import Path

from bench.cluster.services import ROOT, Proc, wait_port  # noqa: F401 - ROOT for callers

VENV_BIN = Path(sys.executable).parent
WEB_PORT = 5000


def environment(tmp: Path, database_url: str, broker_url: str, smtp_url: str, args) -> dict:
    """What every application host is given (the same secret key on all of them)."""
    return {
        "KKP_DATABASE_URL": database_url,
        "KKP_BROKER_URL": broker_url,
        "KKP_BROKER_NAMESPACE": "kkp",
        "KKP_SMTP_URL": smtp_url,
        "KKP_SECRET_KEY": uuid.uuid4().hex * 2,
        "KKP_BASE_URL": "http://kkp.example.org",
        "KKP_MAIL_FROM": "KKP Kompakt <newsletter@kkp.example.org>",
        "KKP_RETURN_PATH": "bounces+{token}@kkp.example.org",
        "KKP_LOG_LEVEL": "WARNING",
        "KKP_ISSUE_CHUNK_SIZE": str(args.chunk_size),
        "KKP_DELIVERY_STALE_MINUTES": str(args.stale_minutes),
        "KKP_INSTANCE_PATH": str(tmp / "instance"),
    }


def start_web(net, host: str, tmp: Path, env: dict, workers: int = 2) -> Proc:
    address = net.hosts[host]
    proc = Proc(
        net,
        host,
        host,
        [
            str(VENV_BIN / "gunicorn"),
            "--bind",
            f"{address}:{WEB_PORT}",
            "--workers",
            str(workers),
            "--threads",
            "4",
            "--no-control-socket",
            "--config",
            "python:kkp.gunicorn_conf",
            "service.app:create_app()",
        ],
        tmp,
        env,
    )
    return proc


def start_worker(net, host: str, tmp: Path, env: dict, processes: int, threads: int) -> Proc:
    from kkp.mail.tasks import WORKER_QUEUES

    return Proc(
        net,
        host,
        host,
        [
            str(VENV_BIN / "dramatiq"),
            "--processes",
            str(processes),
            "--threads",
            str(threads),
            "workers.app",
            "--queues",
            *WORKER_QUEUES,
            "interactive",
        ],
        tmp,
        env,
    )


def start_clock(net, host: str, tmp: Path, env: dict, interval: float) -> Proc:
    return Proc(
        net, host, host, [str(VENV_BIN / "kkp"), "clock", "--interval", str(interval)], tmp, env
    )


def wait_web(net, proc: Proc, timeout: float = 120.0) -> None:
    wait_port(net.hosts[proc.host], WEB_PORT, timeout, proc.popen)


def wait_worker(proc: Proc, processes: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = proc.log()
        if text.count("is ready for action") >= processes:
            return
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.name} stopped:\n{text[-3000:]}")
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not report ready within {timeout} s")


def stop_all(procs) -> None:
    for proc in procs:
        proc.stop(signal.SIGTERM, timeout=15)
