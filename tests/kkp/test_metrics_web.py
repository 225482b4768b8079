"""The Procfile's web process, two gunicorn workers: their requests added up on the
metrics address of its own (multiprocess mode), JSON log lines with the request's id."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.app import ROOT
from tests import services
from tests.kkp.test_logs import get, get_or_none, web_command

ADDRESS = "geheim.person@example.org"


@pytest.fixture
def web2(app, database_url, redis_url, tmp_path):
    port, metrics_port = services.free_port(), services.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KKP_") and k != "PORT"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        KKP_INSTANCE_PATH=str(tmp_path),
        KKP_DATABASE_URL=database_url,
        KKP_BROKER_URL=redis_url,
        KKP_RATELIMIT_STORAGE_URL="memory://",
        KKP_SECRET_KEY="s" * 40,
        KKP_LOG_FORMAT="json",
        KKP_METRICS_BIND=f"127.0.0.1:{metrics_port}",
    )
    log = tmp_path / "web.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            ["bash", "-c", "exec " + web_command()],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base, metrics = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{metrics_port}/metrics"
    try:
        deadline = time.monotonic() + 60
        while get_or_none(base + "/readyz") != 200 or get_or_none(metrics) != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the web process did not start:\n" + log.read_text()[-4000:])
            time.sleep(0.2)
        yield base, metrics, log
    finally:
        # nothing to see in its stop (which takes gunicorn seconds): gone at once
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def lang_requests(metrics: str) -> float:
    with urllib.request.urlopen(metrics, timeout=10) as response:
        text = response.read().decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "kkp_http_requests_total" and sample.labels["route"] == "/lang/<code>"
    )


@pytest.mark.once_in_postgresql  # gunicorn's start: a few seconds
def test_both_web_processes_counted_and_json_lines(web2):
    base, metrics, log = web2
    assert get(base + "/metrics") == 404  # no token set: only on its own address
    for i in range(12):  # over several connections: both processes answer some
        get(f"{base}/lang/en?next=/{ADDRESS}", **{"X-Request-ID": f"lb-request-{i:04d}"})
    deadline = time.monotonic() + 20
    while lang_requests(metrics) < 12:
        assert time.monotonic() < deadline, lang_requests(metrics)
        time.sleep(0.1)
    assert lang_requests(metrics) == 12
    while "lb-request-0011" not in log.read_text():
        assert time.monotonic() < deadline, log.read_text()[-2000:]
        time.sleep(0.1)
    output = log.read_text()
    assert "geheim" not in output
    lines = [json.loads(line) for line in output.splitlines() if line.strip()]
    access = [
        line
        for line in lines
        if line.get("request_id") == "lb-request-0003" and "/lang/" in line["message"]
    ]
    assert access and '"GET /lang/en?[redacted] HTTP/1.1" 302' in access[0]["message"]
    assert {line["logger"] for line in lines} >= {"gunicorn.error", "gunicorn.access"}
