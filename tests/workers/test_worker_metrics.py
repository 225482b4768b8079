"""The Procfile's worker under the Dramatiq CLI with KKP_WORKER_METRICS_BIND and JSON
logs: Dramatiq's Prometheus middleware counts the actor's message on that address, and
the actor's log line carries the request id the message was enqueued with."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kkp.extensions import db
from kkp.request_id import request_id
from newsletter.operations import add_subscriber
from service.app import ROOT
from tests import services

ADDRESS = "geheim.person@example.org"


def counted(url: str, actor: str) -> float:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            text = response.read().decode()
    except (OSError, urllib.error.URLError):
        return -1
    prefix = f'dramatiq_messages_total{{actor_name="{actor}",queue_name="interactive"}} '
    return next(
        (float(line.split()[-1]) for line in text.splitlines() if line.startswith(prefix)), 0
    )


@pytest.mark.once_in_postgresql  # the Dramatiq CLI's start: a few seconds
def test_worker_metrics_and_the_request_id_in_the_actors_json_line(
    app, broker, lists, mail, database_url, redis_url, tmp_path
):
    port = services.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KKP_")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        KKP_INSTANCE_PATH=str(tmp_path),
        KKP_DATABASE_URL=database_url,
        KKP_BROKER_URL=redis_url,
        KKP_BROKER_NAMESPACE=app.config["KKP_BROKER_NAMESPACE"],
        KKP_SMTP_URL=app.config["KKP_SMTP_URL"],
        KKP_MAIL_FROM=app.config["KKP_MAIL_FROM"],
        KKP_BASE_URL=app.config["KKP_BASE_URL"],
        KKP_SECRET_KEY=app.config["SECRET_KEY"],
        KKP_LOG_FORMAT="json",
        KKP_WORKER_METRICS_BIND=f"127.0.0.1:{port}",
    )
    token = request_id.set("from-the-request-42")
    try:
        add_subscriber(email=ADDRESS, list_ids=[lists["kkp-kompakt"]])
        db.session.commit()  # the confirmation mail's message, with the request's id
    finally:
        request_id.reset(token)
    log = tmp_path / "worker.log"
    argv = [sys.executable, "-m", "dramatiq", "--processes", "1", "--threads", "1"]
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [*argv, "workers.app", "--queues", "interactive"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        assert len(mail.wait_for(1, timeout=60)) == 1
        deadline = time.monotonic() + 30
        while counted(url, "send_interactive_delivery") < 1:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    output = log.read_text()
    assert "geheim" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    sent = [line for line in lines if line["message"].endswith(") sent")]
    assert sent, output[-3000:]
    assert sent[0]["request_id"] == "from-the-request-42"
    assert sent[0]["actor"] == "send_interactive_delivery"
