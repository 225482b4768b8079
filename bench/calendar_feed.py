"""The subscribed calendar under load, beside /healthz as the floor.

Run by hand, not in the test suite:

    .venv/bin/python bench/calendar_feed.py                      # SQLite, 2,000 events
    .venv/bin/python bench/calendar_feed.py --db postgresql --events 5000
    .venv/bin/python bench/calendar_feed.py --load python        # without wrk

What it does:

1. a temporary instance folder and a fresh database (a SQLite file, or a new
   PostgreSQL database that is dropped afterwards), migrated;
2. N published events (bulk insert) over the four kinds, from half a year ago to a
   year ahead, with Markdown descriptions, so the calendar is as big as a real one;
3. gunicorn as in the Procfile (2 workers x 4 threads by default, no access log), with
   Redis on 127.0.0.1:6379 in a database number of its own for /healthz's broker ping
   (as `bench/send_issue.py` does);
4. the first request to /calendar.ics (one worker builds it: the cold path), then, with
   the same server and the same load (C keep-alive connections for D seconds after a
   warm-up): /healthz, /calendar.ics in full (plain, and gzipped as calendar apps ask
   for it with Accept-Encoding), /calendar.ics with If-None-Match (304).

The load comes from `wrk` when it is installed, otherwise from a load generator in
Python (one process per connection, `http.client` keep-alive). The URLs are measured
in rounds; each ratio is to /healthz of the same round (the median over the rounds,
and the lowest). Prints a table; the last line is the same as JSON.
"""

# ruff: noqa: E402 - the project's root must be on the path before it is imported
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import argparse
import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta

from bench.send_issue import PG_ADMIN, free_port, loadavg, pick_redis_db, wait_port

VENV_BIN = Path(sys.executable).parent
DESCRIPTION = (
    "Das **Netzwerktreffen** bringt Verwaltung, Polizei, Schulen und Jugendhilfe an "
    "einen Tisch. Auf der Tagesordnung:\n\n- Berichte aus den Stadtteilen\n"
    "- Sicherheitsaudit Nordstadt\n- Termine im Frühjahr\n\n"
    "Mehr dazu auf [unserer Seite](https://example.org/netzwerk)."
)
VENUES = ["Rathaus, Sitzungssaal", "Bürgerhaus Süd", "Polizeidirektion, Raum 2.14", ""]


# -- the instance ----------------------------------------------------------------------


def database_url(args, tmp: Path) -> tuple[str, str | None]:
    if args.db == "sqlite":
        return f"sqlite:///{tmp / 'kkp.db'}", None
    import sqlalchemy as sa

    name = f"kkp_bench_cal_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def drop_database(name: str | None) -> None:
    if not name:
        return
    import sqlalchemy as sa

    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def seed(app, n: int) -> float:
    """N published events, in person, online and hybrid, over every kind."""
    import secrets

    import sqlalchemy as sa
    from flask_migrate import upgrade

    from events.models import Event
    from events.operations import ensure_default_kinds, kinds
    from kkp.db import utcnow
    from kkp.extensions import db

    started = time.perf_counter()
    with app.app_context():
        upgrade()
        ensure_default_kinds()
        kind_ids = [k.id for k in kinds()]
        now = utcnow().replace(minute=0, second=0, microsecond=0)
        rows = []
        for i in range(n):
            start = now + timedelta(days=i * 540 // n - 180, hours=i % 9)
            fmt = ("in_person", "online", "hybrid")[i % 3]
            venue = VENUES[i % len(VENUES)] or "Stadthalle"
            rows.append(
                {
                    "slug": f"termin-{i:05d}",
                    "uid": f"{secrets.token_hex(12)}@kkp.example.org",
                    "kind_id": kind_ids[i % len(kind_ids)],
                    "title": f"Netzwerktreffen Kriminalprävention {i + 1}",
                    "summary": "Austausch der Netzwerkpartner; Berichte, Ausblick.",
                    "description": DESCRIPTION,
                    "format": fmt,
                    "venue": "" if fmt == "online" else venue,
                    "address": "" if fmt == "online" else f"Markt {i % 40 + 1}, 01067 Dresden",
                    "join_url": "" if fmt == "in_person" else f"https://meet.example.org/{i}",
                    "all_day": i % 17 == 0,
                    "starts_at": start,
                    "ends_at": start + timedelta(hours=2),
                    "registration_mode": ("open", "none", "invitation")[i % 3],
                    "status": "published",
                    "sequence": i % 3,
                    "changed_at": now - timedelta(minutes=i),
                    "published_at": now - timedelta(minutes=i),
                    "created_at": now,
                    "updated_at": now,
                }
            )
        for first in range(0, n, 1000):
            db.session.execute(sa.insert(Event), rows[first : first + 1000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
    return time.perf_counter() - started


# -- load --------------------------------------------------------------------------------


def _client(port: int, path: str, headers: dict, seconds: float, expect: int, queue) -> None:
    """One keep-alive connection, as many requests as fit in `seconds`."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    done = errors = received = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            received += len(body)
            if response.status == expect:
                done += 1
            else:
                errors += 1
            if response.will_close:
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    queue.put((done, errors, received))


def python_load(port, path, headers, connections, seconds, expect) -> dict:
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    procs = [
        context.Process(target=_client, args=(port, path, headers, seconds, expect, queue))
        for _ in range(connections)
    ]
    started = time.monotonic()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - started
    done = sum(r[0] for r in results)
    return {
        "rps": done / elapsed,
        "errors": sum(r[1] for r in results),
        "mb_per_s": sum(r[2] for r in results) / elapsed / 1e6,
    }


def wrk_load(port, path, headers, connections, seconds, threads) -> dict:
    argv = [shutil.which("wrk"), f"-t{threads}", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*argv, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    scale = {"B": 1e-6, "KB": 1e-3, "MB": 1, "GB": 1e3}.get(transfer.group(2), 1)
    return {
        "rps": rps,
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
        "mb_per_s": float(transfer.group(1)) * scale,
    }


def measure(args, port, path, headers, expect, *, warmup: bool) -> dict:
    if args.load == "wrk":
        if warmup:
            wrk_load(port, path, headers, args.connections, args.warmup, args.wrk_threads)
        return wrk_load(port, path, headers, args.connections, args.seconds, args.wrk_threads)
    if warmup:
        python_load(port, path, headers, args.connections, args.warmup, expect)
    return python_load(port, path, headers, args.connections, args.seconds, expect)


def fetch(port: int, path: str, headers: dict | None = None) -> tuple[int, dict, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, dict(response.getheaders()), body, elapsed


# -- the run -----------------------------------------------------------------------------


def run(args) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="kkp-bench-calendar-"))
    url, pg_name = database_url(args, tmp)
    port = free_port()
    env = {
        "KKP_INSTANCE_PATH": str(tmp),
        "KKP_DATABASE_URL": url,
        "KKP_BROKER_URL": args.redis or pick_redis_db(),
        "KKP_BROKER_NAMESPACE": f"kkp-bench-{uuid.uuid4().hex[:8]}",
        "KKP_SECRET_KEY": uuid.uuid4().hex * 2,
        "KKP_BASE_URL": "https://kkp.example.org",
        "KKP_MAIL_FROM": "KKP Kompakt <newsletter@kkp.example.org>",
        "KKP_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    result = {
        "db": args.db,
        "events": args.events,
        "load": args.load,
        "workers": args.workers,
        "threads": args.threads,
        "connections": args.connections,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "cpus": os.cpu_count(),
        "load_before": loadavg(),
    }
    web = None
    try:
        from service.app import create_app

        result["seed_s"] = round(seed(create_app({"KKP_LOG_LEVEL": "WARNING"}), args.events), 1)
        log = open(tmp / "web.log", "wb")  # noqa: SIM115 - closed with the process
        web = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--no-control-socket",
                "--config",
                "python:kkp.gunicorn_conf",
                "service.app:create_app()",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_port(port, 60)
        status, _headers, body, _s = fetch(port, "/healthz")
        if status != 200:
            raise RuntimeError(f"/healthz answers {status}: {body[:300]!r}")
        status, headers, body, cold = fetch(port, "/calendar.ics")
        if status != 200:
            raise RuntimeError(f"/calendar.ics answers {status}")
        result["calendar_bytes"] = len(body)
        result["vevents"] = body.count(b"BEGIN:VEVENT")
        result["cold_build_s"] = round(cold, 3)
        etag = headers["ETag"]

        gz = {"Accept-Encoding": "gzip"}
        status, headers, body, _s = fetch(port, "/calendar.ics", gz)
        result["calendar_gzip_bytes"] = len(body)
        rows = [
            ("/healthz", "/healthz", {}, 200),
            ("/calendar.ics (200)", "/calendar.ics", {}, 200),
            ("/calendar.ics (200, gzip)", "/calendar.ics", gz, 200),
            ("/calendar.ics (304)", "/calendar.ics", {"If-None-Match": etag}, 304),
        ]
        # Rounds of all URLs, each ratio taken within its round: the machine's load
        # drifts (other processes), and a ratio of neighbours cancels most of it.
        rounds: dict[str, list[dict]] = {label: [] for label, *_rest in rows}
        for number in range(args.rounds):
            for label, path, request_headers, expect in rows:
                rounds[label].append(
                    measure(args, port, path, request_headers, expect, warmup=number == 0)
                )
        result["load_after"] = loadavg()
        floors = [f["rps"] for f in rounds["/healthz"]]
        result["results"] = {}
        for label, figures in rounds.items():
            ratios = [f["rps"] / floor for f, floor in zip(figures, floors, strict=True)]
            result["results"][label] = {
                "rps": round(statistics.median(f["rps"] for f in figures), 1),
                "rps_rounds": [round(f["rps"]) for f in figures],
                "mb_per_s": round(statistics.median(f["mb_per_s"] for f in figures), 1),
                "errors": sum(f["errors"] for f in figures),
                "ratio": round(statistics.median(ratios), 2),
                "ratio_min": round(min(ratios), 2),
            }
        return result
    finally:
        if web is not None and web.poll() is None:
            os.killpg(web.pid, signal.SIGTERM)
            try:
                web.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(web.pid, signal.SIGKILL)
        drop_database(pg_name)
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--redis", help="broker URL (default: an empty db on 127.0.0.1:6379)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--connections", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--seconds", type=float, default=5, help="measured time per URL")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all URLs")
    parser.add_argument("--warmup", type=float, default=2, help="unmeasured time per URL")
    parser.add_argument(
        "--load",
        choices=("wrk", "python"),
        default="wrk" if shutil.which("wrk") else "python",
        help="load generator (default: wrk if installed)",
    )
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder")
    args = parser.parse_args()
    if args.load == "wrk":
        args.seconds, args.warmup = max(1, int(args.seconds)), max(1, int(args.warmup))

    result = run(args)
    print(
        f"\n{result['events']:,} events ({result['db']}), calendar {result['calendar_bytes']:,} "
        f"bytes, {result['vevents']:,} VEVENTs; first /calendar.ics (cold build) "
        f"{result['cold_build_s']} s; gunicorn {result['workers']}x{result['threads']}, "
        f"{result['connections']} connections, {result['rounds']} rounds x {result['seconds']} s, "
        f"load: {result['load']}, "
        f"{result['cpus']} CPUs, load average {result['load_before']} → {result['load_after']}\n"
    )
    print(f"{'URL':<26} {'req/s':>8} {'MB/s':>8} {'errors':>7} {'ratio':>6} {'min':>5}  rounds")
    for label, row in result["results"].items():
        print(
            f"{label:<26} {row['rps']:>8.0f} {row['mb_per_s']:>8.1f} {row['errors']:>7} "
            f"{row['ratio']:>6.2f} {row['ratio_min']:>5.2f}  {row['rps_rounds']}"
        )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
