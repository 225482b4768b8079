"""A cluster of hosts on this machine (network namespaces on a bridge), faults survived.

    sudo .venv/bin/python -m bench.cluster                  # every scenario, 100,000
    .venv/bin/python -m bench.cluster --broker rabbitmq --subscribers 20000
    .venv/bin/python -m bench.cluster --short               # what the test runs
    .venv/bin/python -m bench.cluster --clean               # a crashed run's leftovers

Needs root and `ip`. Prints each scenario's counts as it ends, a table, and as its
last line the same as JSON; exits 1 when a scenario's counts fail their check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
import traceback

from bench.cluster import net, scenarios

SHORT = {
    "subscribers": 2000,
    "small": 100,
    "web_hosts": 1,
    "web_workers": 1,
    "worker_hosts": 2,
    "clock_hosts": 1,
    "processes": 1,
    "threads": 4,
    "chunk_size": 50,
    "stale_minutes": 0.1,
    "scenarios": "kill-worker",
    "timeout": 200.0,  # a stuck send says where it stands before the test gives up
}


def parse(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.cluster", description=__doc__.split("\n")[0])
    p.add_argument("--subscribers", type=int, default=100_000)
    p.add_argument("--small", type=int, default=1000, help="the clocks' list (the first N)")
    p.add_argument("--broker", choices=("redis", "rabbitmq"), default="redis")
    p.add_argument("--web-hosts", type=int, choices=(1, 2), default=2)
    p.add_argument("--worker-hosts", type=int, choices=(1, 2), default=2)
    p.add_argument("--clock-hosts", type=int, choices=(1, 2), default=2)
    p.add_argument("--web-workers", type=int, default=2, help="gunicorn's, per web host")
    p.add_argument("--processes", type=int, default=2, help="per worker host")
    p.add_argument("--threads", type=int, default=4, help="per worker process")
    p.add_argument("--chunk-size", type=int, default=250)
    p.add_argument("--stale-minutes", type=float, default=0.5)
    p.add_argument("--tick-seconds", type=float, default=1.0)
    p.add_argument("--outage", type=float, default=2.0, help="seconds a restarted service is down")
    p.add_argument("--timeout", type=float, default=1800.0, help="seconds a send may take")
    p.add_argument("--scenarios", default=",".join(scenarios.ALL), help="comma-separated")
    p.add_argument("--short", action="store_true", help="the test's short run")
    p.add_argument("--clean", action="store_true", help="remove a crashed run's leftovers")
    args = p.parse_args(argv)
    if args.short:
        for key, value in SHORT.items():
            if getattr(args, key) == p.get_default(key):
                setattr(args, key, value)
    return args


def preconditions() -> str | None:
    if os.geteuid() != 0:
        return "the cluster needs root (network namespaces)"
    if not shutil.which("ip"):
        return "the cluster needs `ip` (iproute2)"
    return None


def main(argv=None) -> int:
    args = parse(argv)
    missing = preconditions()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    removed = net.clean_stale()
    if removed:
        print(f"removed leftovers of earlier runs: {', '.join(removed)}")
    if args.clean:
        return 0
    from bench.cluster import data
    from bench.cluster.cluster import Cluster

    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in scenarios.ALL]
    if unknown:
        print(f"unknown scenarios: {unknown}; known: {list(scenarios.ALL)}", file=sys.stderr)
        return 2
    results: dict = {"args": {k: v for k, v in vars(args).items() if k not in ("clean",)}}
    load_before = os.getloadavg()
    ok = True
    with Cluster(args) as cluster:
        try:
            cluster.up()
        except Exception:
            print(cluster.logs(), file=sys.stderr)
            raise
        results["setup"] = {k: round(v, 1) for k, v in cluster.timings.items()}
        print(f"cluster up: {results['setup']}, hosts {cluster.net.hosts}", flush=True)
        for name in wanted:
            started = time.monotonic()
            try:
                result = scenarios.ALL[name](cluster)
            except Exception as exc:  # noqa: BLE001 - reported, the next one still runs
                traceback.print_exc()
                print(cluster.logs(1500), file=sys.stderr)
                print(data.diagnosis(cluster.engine), file=sys.stderr)
                result = {"ok": False, "problems": [f"{type(exc).__name__}: {exc}"]}
            result["wall_s"] = round(time.monotonic() - started, 1)
            ok = ok and result["ok"]
            results[name] = result
            print(f"{name}: {'ok' if result['ok'] else 'FAILED'} {data.dump(result)}", flush=True)
    results["load"] = {"before": load_before, "after": os.getloadavg()}
    results["ok"] = ok
    print(table(results, wanted))
    print(data.dump(results))
    return 0 if ok else 1


def table(results: dict, wanted: list[str]) -> str:
    a = results["args"]
    lines = [
        f"== {a['broker']}, {a['subscribers']:,} subscribers, "
        f"{a['worker_hosts']} worker hosts x {a['processes']} processes x {a['threads']} threads"
    ]
    for name in wanted:
        r = results[name]
        if "once" in r:
            extra = f", {r['rate']} msg/s" if "rate" in r else ""
            figures = (
                f"once {r['once']:,}, duplicated {r['duplicated']:,}, missing {r['missing']:,}, "
                f"in doubt {r['interrupted']:,} (arrived {r['interrupted_arrived']:,}), "
                f"bound {r['bound']:,}{extra}; by host {r.get('by_host')}"
            )
        elif "requests" in r:
            figures = (
                f"{r['requests']} requests, {r['errors']} errors, "
                f"down after {r['marked_down_after_s']} s"
            )
        elif "both_clocks" in r:
            figures = (
                f"two clocks: {r['both_clocks']}; one: {r['after_clock1_died']}; "
                f"starts {r['starts']}"
            )
        else:
            figures = ""
        status = "ok" if r["ok"] else "FAILED " + "; ".join(r.get("problems", []))
        lines.append(f"{name:20} {status:6} {figures}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
