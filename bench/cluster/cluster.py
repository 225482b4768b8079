"""One cluster: the network, the infrastructure hosts, the application hosts; torn down
(namespaces, bridge, every process, the temporary folder) however the run ends."""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.cluster import data, hosts
from bench.cluster.net import Network
from bench.cluster.services import HAProxy, PostgreSQL, RabbitMQ, Redis, Sink

#: each host's last address byte
NUMBERS = {
    "db": 10,
    "broker": 11,
    "smtp": 12,
    "proxy": 13,
    "web1": 21,
    "web2": 22,
    "worker1": 31,
    "worker2": 32,
    "clock1": 41,
    "clock2": 42,
}


class Cluster:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="kkp-cluster-"))
        self.net: Network | None = None
        self.procs: dict = {}
        self.started = False
        self.timings: dict[str, float] = {}
        atexit.register(self.teardown)
        self._previous = {
            s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGHUP)
        }

    def _on_signal(self, signum, _frame):
        raise SystemExit(128 + signum)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.teardown()

    # -- up ------------------------------------------------------------------------------

    def up(self) -> None:
        a = self.args
        t0 = time.monotonic()
        self.net = Network()
        wanted = ["db", "broker", "smtp", "proxy"]
        wanted += [f"web{i}" for i in range(1, a.web_hosts + 1)]
        wanted += [f"worker{i}" for i in range(1, a.worker_hosts + 1)]
        wanted += [f"clock{i}" for i in range(1, a.clock_hosts + 1)]
        for host in wanted:
            self.net.add(host, NUMBERS[host])
        self.pg = PostgreSQL(self.net, "db", self.tmp)
        self.pg.start()
        broker_class = RabbitMQ if a.broker == "rabbitmq" else Redis
        self.broker = broker_class(self.net, "broker", self.tmp)
        self.broker.start()
        self.sink = Sink(self.net, "smtp", self.tmp)
        self.sink.start()
        self.timings["infrastructure_s"] = time.monotonic() - t0
        admin = sa.create_engine(self.pg.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE kkp"))
        admin.dispose()
        self.database_url = self.pg.url.rsplit("/", 1)[0] + "/kkp"
        (self.tmp / "instance").mkdir()
        self.env = hosts.environment(self.tmp, self.database_url, self.broker.url, self.sink.url, a)
        os.environ.update(self.env)
        # Compiled once here, not by each host's processes at once (the machine may
        # set PYTHONDONTWRITEBYTECODE; `make test` does the same)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        packages = ["kkp", "people", "events", "newsletter", "service", "workers"]
        subprocess.run(
            [sys.executable, "-m", "compileall", "-q", *packages],
            env=env,
            check=False,
            cwd=hosts.ROOT,
            stdout=subprocess.DEVNULL,
        )
        # the web and worker hosts boot while the orchestrator migrates and seeds (they
        # touch the database only when asked); the clocks start after
        web = {h: self.net.hosts[h] for h in wanted if h.startswith("web")}
        for host in web:
            self.procs[host] = hosts.start_web(self.net, host, self.tmp, self.env, a.web_workers)
        for host in wanted:
            if host.startswith("worker"):
                self.start_worker(host, wait=False)
        from service.app import create_app

        self.app = create_app()
        self.engine = sa.create_engine(self.database_url, pool_pre_ping=True)
        t1 = time.monotonic()
        self.ids = data.prepare(self.app, a.subscribers, a.small)
        self.timings["seed_s"] = time.monotonic() - t1
        for host in wanted:
            if host.startswith("clock"):
                self.procs[host] = hosts.start_clock(
                    self.net, host, self.tmp, self.env, a.tick_seconds
                )
        self.proxy = HAProxy(self.net, "proxy", self.tmp, web, hosts.WEB_PORT)
        self.proxy.start()
        for host in web:
            hosts.wait_web(self.net, self.procs[host])
        for host in wanted:
            if host.startswith("worker"):
                hosts.wait_worker(self.procs[host], a.processes)
        self.wait_proxy_up(len(web))
        self.started = True
        self.timings["up_s"] = time.monotonic() - t0

    def start_worker(self, host: str, wait: bool = True) -> None:
        self.procs[host] = hosts.start_worker(
            self.net, host, self.tmp, self.env, self.args.processes, self.args.threads
        )
        if wait:
            hosts.wait_worker(self.procs[host], self.args.processes)

    def wait_proxy_up(self, n: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sum(s == "UP" for s in self.proxy.servers().values()) >= n:
                return
            time.sleep(0.1)
        raise RuntimeError(f"the proxy sees {self.proxy.servers()}")

    def worker_hosts(self) -> list[str]:
        return [h for h in self.procs if h.startswith("worker")]

    def in_flight_bound(self, worker_hosts: int) -> int:
        """Messages that may be in doubt when hosts die: a stretch per worker thread."""
        from newsletter.sending.chunks import STATUS_CHECK_EVERY

        stretch = min(STATUS_CHECK_EVERY, self.args.chunk_size)
        return worker_hosts * self.args.processes * self.args.threads * stretch

    # -- faults --------------------------------------------------------------------------

    def kill_host(self, host: str, *, cut_first: bool = True) -> int:
        """SIGKILL every process of the host and cut its link; returns the processes.
        `cut_first`: the link goes before the processes (nothing they send gets out,
        as when a machine loses power); else the kernel still resets their connections."""
        if cut_first:
            self.net.cut(host)
        killed = self.net.kill(host)
        if not cut_first:
            self.net.cut(host)
        proc = self.procs.pop(host, None)
        if proc is not None:
            proc.popen.wait(10)
        return killed

    # -- down ----------------------------------------------------------------------------

    def logs(self, tail: int = 3000) -> str:
        out = []
        for path in sorted(self.tmp.glob("*.log")):
            out.append(f"== {path.name}\n{path.read_text(errors='replace')[-tail:]}")
        return "\n".join(out)

    def teardown(self) -> None:
        if self.tmp is None:
            return
        keep = os.environ.get("KKP_CLUSTER_KEEP_LOGS")
        if keep:  # the logs, the configuration and the sink's record, for a look after
            Path(keep).mkdir(parents=True, exist_ok=True)
            for pattern in ("*.log", "*.cfg", "*.tsv"):
                for path in self.tmp.glob(pattern):
                    shutil.copy(path, keep)
        for name in ("engine",):
            engine = getattr(self, name, None)
            if engine is not None:
                engine.dispose()
        for proc in list(self.procs.values()):
            proc.stop(signal.SIGKILL, timeout=5)
        self.procs.clear()
        if self.net is not None:
            self.net.teardown()  # SIGKILLs whatever still runs in a namespace
            self.net = None
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp = None
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        atexit.unregister(self.teardown)
