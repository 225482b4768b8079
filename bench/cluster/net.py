"""The network: one Linux network namespace per host, each with one address on a bridge.

Names carry the orchestrator's process id (`kkpc<pid>-<host>`, the bridge `kkpc<pid>`),
so that a crashed run's leftovers are recognised and removed (`clean_stale`). The
root namespace keeps the bridge's first address, so the orchestrator reaches every host
as a client on the network would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

PREFIX = "kkpc"


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], check=check, capture_output=True, text=True)


def namespaces() -> list[str]:
    out = ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def kill_namespace_processes(ns: str, sig: int = signal.SIGKILL) -> int:
    """Send `sig` to every process inside the namespace `ns`; returns how many."""
    pids = [int(p) for p in ip("netns", "pids", ns, check=False).stdout.split()]
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass
    return len(pids)


def _remove(ns_names: list[str], bridges: list[str]) -> None:
    for ns in ns_names:
        deadline = time.monotonic() + 10
        while kill_namespace_processes(ns) and time.monotonic() < deadline:
            time.sleep(0.05)
        ip("netns", "del", ns, check=False)
    for bridge in bridges:
        ip("link", "del", bridge, check=False)


def clean_stale() -> list[str]:
    """Remove the namespaces and bridges of earlier runs whose orchestrator is gone."""
    gone: list[str] = []
    for ns in namespaces():
        if ns.startswith(PREFIX) and "-" in ns:
            owner = ns[len(PREFIX) :].split("-", 1)[0]
            if owner.isdigit() and not _alive(int(owner)):
                gone.append(ns)
    links = ip("-o", "link", "show", "type", "bridge", check=False).stdout
    bridges = []
    for line in links.splitlines():
        name = line.split(":", 2)[1].strip().split("@")[0]
        owner = name[len(PREFIX) :]
        if name.startswith(PREFIX) and owner.isdigit() and not _alive(int(owner)):
            bridges.append(name)
    _remove(gone, bridges)
    return gone + bridges


class Network:
    """A bridge and a namespace per host; `add(host)` gives the host its address."""

    def __init__(self, run_id: int | None = None):
        self.run_id = run_id or os.getpid()
        self.bridge = f"{PREFIX}{self.run_id}"
        # one /24 per run, the first free from one picked by the run's id; the bridge .1
        used = ip("-o", "-4", "addr", "show", check=False).stdout
        for k in range(250):
            self.subnet = f"10.213.{(self.run_id + k) % 250 + 1}"
            if f" {self.subnet}." not in used:
                break
        self.gateway = f"{self.subnet}.1"
        self.hosts: dict[str, str] = {}
        self._veths: dict[str, str] = {}
        ip("link", "add", self.bridge, "type", "bridge")
        ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        ip("link", "set", self.bridge, "up")

    def ns(self, host: str) -> str:
        return f"{PREFIX}{self.run_id}-{host}"

    def add(self, host: str, number: int) -> str:
        """Create the host `host` with the address <subnet>.<number>; return it."""
        ns, address = self.ns(host), f"{self.subnet}.{number}"
        outside, inside = f"kc{self.run_id}h{number}", f"kc{self.run_id}i{number}"
        ip("netns", "add", ns)
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", ns)
        ip("link", "set", outside, "master", self.bridge)
        ip("link", "set", outside, "up")
        run = ["netns", "exec", ns, "ip"]
        ip(*run, "link", "set", "lo", "up")
        ip(*run, "link", "set", inside, "name", "eth0")
        ip(*run, "addr", "add", f"{address}/24", "dev", "eth0")
        ip(*run, "link", "set", "eth0", "up")
        ip(*run, "route", "add", "default", "via", self.gateway)
        self.hosts[host] = address
        self._veths[host] = outside
        return address

    def exec_prefix(self, host: str) -> list[str]:
        return ["ip", "netns", "exec", self.ns(host)]

    def cut(self, host: str) -> None:
        """Pull the host's cable: its link on the bridge goes down."""
        ip("link", "set", self._veths[host], "down")

    def mend(self, host: str) -> None:
        ip("link", "set", self._veths[host], "up")

    def kill(self, host: str) -> int:
        """SIGKILL every process of the host (as a power cut would)."""
        return kill_namespace_processes(self.ns(host))

    def teardown(self) -> None:
        _remove([self.ns(h) for h in self.hosts], [self.bridge])
        self.hosts.clear()
