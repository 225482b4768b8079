"""The infrastructure hosts' programs: PostgreSQL, Redis, RabbitMQ, HAProxy, the SMTP sink.

Each is a private instance in the run's temporary folder, started inside its host's
namespace (`ip netns exec`) and listening on the host's address only.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_port(address: str, port: int, timeout: float = 60.0, proc=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{proc.name} stopped before listening on {port}") from None
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {address}:{port} after {timeout} s")


class Proc:
    """A program on a host: its own process group, its output in <tmp>/<name>.log."""

    def __init__(self, net, host, name, argv, tmp: Path, env=None, user: str | None = None):
        self.name, self.host = name, host
        self.log_path = tmp / f"{name}.log"
        prefix = net.exec_prefix(host)
        if user:
            prefix += ["runuser", "-u", user, "--"]
        with open(self.log_path, "ab") as log:
            self.popen = subprocess.Popen(
                [*prefix, *argv],
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def poll(self):
        return self.popen.poll()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> None:
        if self.popen.poll() is not None:
            return
        try:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        except ProcessLookupError:
            pass


def pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if found:
        return found[-1]
    which = shutil.which(name)
    if not which:
        raise RuntimeError(f"PostgreSQL's {name} was not found (apt-get install postgresql)")
    return which


class PostgreSQL:
    """initdb into the run's folder, as the `postgres` user when we are root."""

    port = 5432

    def __init__(self, net, host: str, tmp: Path):
        self.net, self.host, self.tmp = net, host, tmp
        self.address = net.hosts[host]
        self.data = tmp / "pgdata"
        self.user = "postgres" if os.getuid() == 0 else None
        self.data.mkdir()
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.data, entry.pw_uid, entry.pw_gid)
            tmp.chmod(0o755)
        argv = [
            pg_bin("initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
        ]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        subprocess.run([*argv, "--no-sync"], check=True, capture_output=True)
        with open(self.data / "pg_hba.conf", "a") as f:
            f.write(f"host all all {net.subnet}.0/24 trust\n")
        self.proc: Proc | None = None
        self.url = f"postgresql+psycopg://postgres@{self.address}:{self.port}/postgres"

    def start(self) -> None:
        self.proc = Proc(
            self.net,
            self.host,
            "postgresql",
            [
                pg_bin("postgres"),
                "-D",
                str(self.data),
                "-c",
                f"listen_addresses={self.address}",
                "-c",
                f"unix_socket_directories={self.data}",
                "-c",
                "max_connections=300",
                "-c",
                "fsync=off",  # a process crash loses nothing; the OS is not crashed
                "-c",
                "full_page_writes=off",
                "-c",
                "shared_buffers=128MB",
                # a worker host that loses power (its link cut) leaves its connections
                # open, with their row locks; keepalives find the idle ones dead and end
                # them, the user timeout those with an answer still unacknowledged (for
                # them keepalives never start, and TCP retries for 15 minutes)
                # (docs/deploy.md sets the same in production, with longer times)
                "-c",
                "tcp_keepalives_idle=2",
                "-c",
                "tcp_keepalives_interval=1",
                "-c",
                "tcp_keepalives_count=3",
                "-c",
                "tcp_user_timeout=5000",
            ],
            self.tmp,
            user=self.user,
        )
        wait_port(self.address, self.port, 60, self.proc)

    def stop(self, sig: int = signal.SIGINT) -> None:
        """SIGINT: PostgreSQL's fast shutdown (clients cut off); SIGQUIT: immediate."""
        if self.proc:
            self.proc.stop(sig)


class Redis:
    port = 6379

    def __init__(self, net, host: str, tmp: Path):
        self.net, self.host, self.tmp = net, host, tmp
        self.address = net.hosts[host]
        self.dir = tmp / "redis"
        self.dir.mkdir()
        self.url = f"redis://{self.address}:{self.port}/0"
        self.proc: Proc | None = None

    def start(self) -> None:
        self.proc = Proc(
            self.net,
            self.host,
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--bind",
                self.address,
                "--port",
                str(self.port),
                "--dir",
                str(self.dir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--protected-mode",
                "no",  # no password: it listens on the cluster only
            ],
            self.tmp,
        )
        wait_port(self.address, self.port, 30, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc:
            self.proc.stop(sig)


RABBITMQ_SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"


class RabbitMQ:
    """A private RabbitMQ node in its own namespace: its own epmd on the host's loopback
    and network, its own data folder and configuration; guest may log in from the
    network."""

    port = 5672

    def __init__(self, net, host: str, tmp: Path):
        self.net, self.host, self.tmp = net, host, tmp
        self.address = net.hosts[host]
        self.dir = tmp / "rabbitmq"
        self.dir.mkdir()
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.address}:{self.port}\n"
            "loopback_users = none\n"
            "management_agent.disable_metrics_collector = true\n"
        )
        (self.dir / "enabled_plugins").write_text("[].\n")
        # Debian's rabbitmq-server runs as the user rabbitmq (its HOME, and so the
        # Erlang cookie, is that user's); the node's files are in our folder, its own
        self.user = "rabbitmq" if os.getuid() == 0 else None
        if self.user:
            entry = pwd.getpwnam(self.user)
            tmp.chmod(0o755)
            os.chown(self.dir, entry.pw_uid, entry.pw_gid)
            for path in self.dir.iterdir():
                os.chown(path, entry.pw_uid, entry.pw_gid)
        self.url = f"amqp://guest:guest@{self.address}:{self.port}/%2F"
        self.proc: Proc | None = None

    def env(self) -> dict[str, str]:
        d = str(self.dir)
        return {
            "RABBITMQ_NODENAME": "rabbit@localhost",
            "RABBITMQ_CONFIG_FILE": f"{d}/rabbitmq",
            "RABBITMQ_ENABLED_PLUGINS_FILE": f"{d}/enabled_plugins",
            "RABBITMQ_MNESIA_BASE": f"{d}/mnesia",
            "RABBITMQ_LOG_BASE": f"{d}/log",
            "RABBITMQ_PID_FILE": f"{d}/rabbit.pid",
            "RABBITMQ_SCHEMA_DIR": f"{d}/schema",
            "RABBITMQ_GENERATED_CONFIG_DIR": f"{d}/generated",
            "RABBITMQ_ADVANCED_CONFIG_FILE": f"{d}/advanced.config",
            "RABBITMQ_LOGS": "-",
        }

    def start(self) -> None:
        self.proc = Proc(
            self.net,
            self.host,
            "rabbitmq",
            [RABBITMQ_SERVER if self.user else shutil.which("rabbitmq-server")],
            self.tmp,
            env=self.env(),
            user=self.user,
        )
        wait_port(self.address, self.port, 120, self.proc)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc:
            self.proc.stop(sig, timeout=60)


HAPROXY_CONFIG = """\
global
    maxconn 2000
    stats socket {dir}/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 15s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 502 503
frontend web
    bind {address}:{port}
    default_backend kkp
backend kkp
    balance roundrobin
    option httpchk GET /healthz
    http-check expect status 200
    default-server inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
{servers}
"""


class HAProxy:
    """Debian's haproxy in front of the web hosts, health-checked on /healthz."""

    port = 8080

    def __init__(self, net, host: str, tmp: Path, web: dict[str, str], web_port: int):
        self.net, self.host, self.tmp = net, host, tmp
        self.address = net.hosts[host]
        self.config = tmp / "haproxy.cfg"
        servers = "\n".join(
            f"    server {name} {address}:{web_port} check" for name, address in web.items()
        )
        self.config.write_text(
            HAPROXY_CONFIG.format(dir=tmp, address=self.address, port=self.port, servers=servers)
        )
        self.url = f"http://{self.address}:{self.port}"
        self.proc: Proc | None = None

    def start(self) -> None:
        binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.proc = Proc(
            self.net, self.host, "haproxy", [binary, "-db", "-f", str(self.config)], self.tmp
        )
        wait_port(self.address, self.port, 30, self.proc)
        # the stats socket may come a moment after the port (seen under load)
        deadline = time.monotonic() + 30
        while not self.stats_socket.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy made no stats socket:\n{self.proc.log()[-2000:]}")
            time.sleep(0.05)

    @property
    def stats_socket(self) -> Path:
        return self.tmp / "haproxy.sock"

    def servers(self) -> dict[str, str]:
        """Each web host's state as the proxy sees it (UP, DOWN, ...)."""
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.stats_socket))
            s.sendall(b"show stat\n")
            data = b""
            while chunk := s.recv(65536):
                data += chunk
        lines = data.decode().splitlines()
        head = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(head, line.split(","), strict=False))
            if row.get("pxname") == "kkp" and row.get("svname") not in ("BACKEND", "FRONTEND"):
                out[row["svname"]] = row.get("status", "")
        return out


class Sink:
    """The SMTP sink (bench/cluster/sink.py): every RCPT with its envelope sender."""

    port = 2525

    def __init__(self, net, host: str, tmp: Path):
        self.net, self.host, self.tmp = net, host, tmp
        self.address = net.hosts[host]
        self.record = tmp / "received.tsv"
        self.url = f"smtp://{self.address}:{self.port}"
        self.proc: Proc | None = None

    def start(self) -> None:
        self.proc = Proc(
            self.net,
            self.host,
            "smtp-sink",
            [
                sys.executable,
                "-m",
                "bench.cluster.sink",
                self.address,
                str(self.port),
                str(self.record),
            ],
            self.tmp,
        )
        wait_port(self.address, self.port, 30, self.proc)

    def received(self) -> list[tuple[str, str, str]]:
        """(recipient, envelope sender, client address) of every message so far."""
        if not self.record.exists():
            return []
        rows = []
        for line in self.record.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                rows.append((parts[0], parts[1], parts[2]))
        return rows
