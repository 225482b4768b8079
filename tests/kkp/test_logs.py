"""No tokens and no addresses in logs: the web process's access log (gunicorn, as the
Procfile starts it) and the log lines of the app itself."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kkp.redaction import redact_path
from service.app import ROOT
from tests import services

# once, in the SQLite pass: what a log line holds does not depend on the database
pytestmark = pytest.mark.sqlite_only

TOKEN = "eyJzIjo0Mn0.Z2VoZWlt.c2VocmdlaGVpbWVzdG9rZW4"
API_SECRET = "kkp_" + "g" * 43
ADDRESS = "geheim.person@example.org"


def web_command() -> str:
    line = next(
        line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:")
    )
    return line.removeprefix("web:").strip()


def get(url: str, **headers) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def web(app, database_url, redis_url, tmp_path):
    """The Procfile's web process on a free port, its output in a file."""
    port = services.free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KKP_") and k != "PORT"}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        KKP_INSTANCE_PATH=str(tmp_path),
        KKP_DATABASE_URL=database_url,
        KKP_BROKER_URL=redis_url,
        KKP_RATELIMIT_STORAGE_URL="memory://",
        KKP_SECRET_KEY="s" * 40,
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
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while get_or_none(base + "/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the web process did not start:\n" + log.read_text()[-4000:])
            time.sleep(0.2)
        yield base, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def get_or_none(url: str) -> int | None:
    try:
        return get(url)
    except OSError:
        return None


def test_the_web_access_log_shows_no_tokens(web):
    base, log = web
    requests = [
        (f"/unsubscribe/{TOKEN}?l=1", {}),
        (f"/preferences/{TOKEN}", {}),
        (f"/preferences/{TOKEN}/data.json", {}),
        (f"/subscribe/confirm/{TOKEN}", {}),
        (f"/registrations/{TOKEN}?answer=accept", {}),
        ("/api/v1/lists", {"Authorization": f"Bearer {API_SECRET}"}),
        (f"/admin/subscribers?q={ADDRESS}", {"Referer": f"{base}/preferences/{TOKEN}"}),
        (f"/newsletter/?token={TOKEN}", {"User-Agent": f"Mail scanner {ADDRESS}"}),
    ]
    for path, headers in requests:
        get(base + path, **headers)
    deadline = time.monotonic() + 20
    while '"GET /newsletter/' not in log.read_text():  # the last request, logged
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
    output = log.read_text()
    assert TOKEN not in output and API_SECRET not in output
    assert "geheim" not in output
    for expected in (
        '"GET /unsubscribe/[redacted]?[redacted] HTTP/1.1"',
        '"GET /preferences/[redacted] HTTP/1.1"',
        '"GET /preferences/[redacted]/data.json HTTP/1.1"',
        '"GET /subscribe/confirm/[redacted] HTTP/1.1"',
        '"GET /registrations/[redacted]?[redacted] HTTP/1.1"',
        '"GET /api/v1/lists HTTP/1.1" 401',
        '"GET /admin/subscribers?[redacted] HTTP/1.1" 302',
        '"GET /newsletter/?[redacted] HTTP/1.1" 200',
    ):
        assert expected in output, output


def test_every_token_url_is_redacted(app):
    """Routes added later with a <token> are redacted too (or this test says so)."""
    rules = [r for r in app.url_map.iter_rules() if "token" in r.arguments]
    assert rules
    for rule in rules:
        path = re.sub(r"<(?:[^:>]+:)?token>", TOKEN, rule.rule)
        path = re.sub(r"<(?:int:)?[^>]+>", "1", path)
        assert TOKEN not in redact_path(path), rule.rule


def test_a_refused_delivery_logs_no_address(client, lists, mail, drain, caplog):
    caplog.set_level(logging.DEBUG)
    mail.answer = lambda envelope: f"550 5.1.1 <{envelope.rcpt_tos[0]}>: Recipient address rejected"
    from tests.newsletter.test_signup_flow import subscribe

    response = subscribe(client, email=ADDRESS, lists=[lists["kkp-kompakt"]])
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    drain()
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert failed, "the refused delivery was not logged"
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert not [r.getMessage() for r in ours if "geheim.person" in r.getMessage()]
    assert any("[address]" in r.getMessage() for r in failed)
