"""The cluster's short run (issue 15): hosts in network namespaces on a bridge, PostgreSQL,
Redis, the SMTP sink, one web host behind HAProxy, two worker hosts and a clock; a worker
host killed mid-send (SIGKILL of all its processes, its link cut). Nobody gets a copy
twice; whoever got none is among the deliveries shown as in doubt, and those are within
the bound of what can be in flight (a stretch per worker thread).

Needs root, `ip` and haproxy; skips otherwise (fails under KKP_REQUIRE_SERVICES=1). The
full run with every scenario is `make cluster` (bench/cluster/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from bench.cluster import net
from service.app import ROOT
from tests import services


def _missing() -> str | None:
    if os.geteuid() != 0:
        return "the cluster needs root (network namespaces)"
    for program in ("ip", "haproxy", "redis-server"):
        if not shutil.which(program) and not os.path.exists(f"/usr/sbin/{program}"):
            return f"the cluster needs {program}"
    if subprocess.run(["ip", "netns", "list"], capture_output=True).returncode != 0:
        return "`ip netns` does not work here"
    return None


@pytest.mark.once_in_postgresql  # long (a cluster of processes); once is enough
def test_a_worker_host_killed_mid_send_leaves_nobody_with_two_copies(database_url):
    # (the cluster runs a PostgreSQL of its own; `database_url` only puts this test in
    # make test's PostgreSQL pass)
    missing = _missing()
    if missing:
        services.require(missing)
    run = subprocess.Popen(
        [sys.executable, "-m", "bench.cluster", "--short"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = run.communicate(timeout=300)
    except subprocess.TimeoutExpired:
        run.terminate()  # SIGTERM: the run tears its cluster down
        out, err = run.communicate(timeout=60)
        pytest.fail(f"the short run took more than 300 s:\n{out[-3000:]}{err[-3000:]}")
    assert run.returncode == 0, out[-3000:] + err[-5000:]
    counts = json.loads(out.strip().splitlines()[-1])["kill-worker"]
    assert counts["problems"] == []
    assert counts["rows"] == counts["recipients"] == 2000
    assert counts["duplicated"] == 0
    assert counts["sent_not_arrived"] == 0
    assert counts["once"] + counts["missing"] == 2000
    assert counts["missing"] <= counts["interrupted"] <= counts["bound"]
    assert counts["by_status"].get("sent", 0) + counts["interrupted"] == 2000
    assert set(counts["by_host"]) == {"worker1", "worker2"}  # both sent before the kill
    # torn down: no namespace of the run is left (its names carry the run's process id)
    assert not [n for n in net.namespaces() if n.startswith(f"{net.PREFIX}{run.pid}-")]
