"""The waits of a send, counted: SQL statements, commits and SMTP socket writes per
1,000 messages, for a send of a few thousand through the real pipeline, in-process.

Everything runs in this process: the app on a fresh database (SQLite or PostgreSQL,
seeded as `send_issue.py` does), a Dramatiq worker on Redis with `--threads` threads,
and an aiosmtpd server (offering PIPELINING unless `--no-pipelining`). Statements are
counted with SQLAlchemy's `before_cursor_execute` event, commits with its `commit`
event, SMTP writes by wrapping `smtplib.SMTP.send` (smtplib writes everything through
it). Only the workers' part is counted: from the first batch to the issue sent.

    .venv/bin/python bench/send_counts.py                          # SQLite, 3,000
    .venv/bin/python bench/send_counts.py --db postgresql --subscribers 5000
    .venv/bin/python bench/send_counts.py --no-pipelining

The figures are counts, not times: they do not depend on the machine's load.
"""

from __future__ import annotations

import argparse
import json
import logging
import smtplib
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import send_issue  # noqa: E402 - the seeding and database helpers of the full benchmark


class Sink:
    """Counts what arrives; offers PIPELINING (as Postfix does) unless told not to."""

    def __init__(self, pipelining: bool):
        self.pipelining = pipelining
        self.count = 0
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 OK"


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.statements: Counter[str] = Counter()
        #: each statement's text (its first 100 characters), for --show
        self.texts: Counter[str] = Counter()
        self.commits = 0
        self.writes = 0
        self.on = False
        #: the thread that starts the send and watches it: not counted
        self.watcher = threading.get_ident()

    def counted(self) -> bool:
        return self.on and threading.get_ident() != self.watcher

    def statement(self, conn, cursor, statement, parameters, context, executemany):
        if self.counted():
            kind = statement.lstrip().split(None, 1)[0].upper()
            with self.lock:
                self.statements[kind] += 1
                self.texts[" ".join(statement.split())[:100]] += 1

    def commit(self, conn):
        if self.counted():
            with self.lock:
                self.commits += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--subscribers", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=4, help="worker threads")
    parser.add_argument("--no-pipelining", action="store_true")
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--redis", help="Redis URL (default: an empty database number)")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    parser.add_argument("--show", action="store_true", help="each statement, how often")
    args = parser.parse_args()
    args.processes, args.dkim, args.log_level = 1, False, "WARNING"
    bench = send_issue.Bench(args)
    try:
        result = run(bench, args)
    finally:
        bench.drop_database()
    if not args.json:
        print(
            f"{args.db}, {result['messages']:,} messages, chunks of {result['chunk_size']}, "
            f"{'with' if result['pipelining'] else 'without'} PIPELINING, "
            f"{result['seconds']} s ({result['msg_per_s']} msg/s, load {result['load']})\n"
            f"  SQL statements per 1,000 messages: {result['statements_per_1000']} "
            f"({', '.join(f'{k} {v}' for k, v in result['by_kind_per_1000'].items())})\n"
            f"  commits per 1,000 messages:        {result['commits_per_1000']}\n"
            f"  SMTP writes per message:           {result['smtp_writes_per_message']}"
        )
        for text, times in (result["statements"] or {}).items():
            print(f"{times:8d}  {text}")
    print(json.dumps(result))


def run(bench, args) -> dict:
    import os

    import sqlalchemy as sa
    from aiosmtpd.controller import Controller

    env = bench.environment()
    os.environ.update(env)
    sink = Sink(pipelining=not args.no_pipelining)
    controller = Controller(sink, hostname="127.0.0.1", port=bench.smtp_port)
    controller.start()
    from dramatiq import Worker

    from kkp.extensions import db
    from newsletter import sending
    from newsletter.models import Issue
    from service.app import create_app

    app = create_app({"KKP_LOG_LEVEL": "WARNING"})
    # the chunk sender returns its counts, which no result backend keeps: not news here
    logging.getLogger("dramatiq.worker.WorkerThread").setLevel(logging.ERROR)
    issue_id = bench.seed(app)
    counts = Counts()
    original_send = smtplib.SMTP.send

    def send(self, s):
        if counts.counted():
            with counts.lock:
                counts.writes += 1
        return original_send(self, s)

    smtplib.SMTP.send = send
    broker = app.extensions["dramatiq"]
    worker = Worker(broker, worker_threads=args.threads, worker_timeout=100)
    try:
        with app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", counts.statement)
            sa.event.listen(db.engine, "commit", counts.commit)
            sending.start_sending(db.session.get(Issue, issue_id))
            db.session.commit()
            db.session.remove()
            counts.on = True
            started = time.perf_counter()
            worker.start()
            deadline = time.monotonic() + args.timeout
            while True:
                status = db.session.scalar(sa.select(Issue.status).where(Issue.id == issue_id))
                db.session.rollback()
                if status != "sending" or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            counts.on = False
            chunk_size = app.config["KKP_ISSUE_CHUNK_SIZE"]
            db.session.remove()
    finally:
        worker.stop(timeout=10_000)
        controller.stop()
        smtplib.SMTP.send = original_send
        with app.app_context():
            db.engine.dispose()
    n = sink.count
    per = 1000 / max(1, n)
    return {
        "db": args.db,
        "messages": n,
        "status": status,
        "pipelining": not args.no_pipelining,
        "chunk_size": chunk_size,
        "threads": args.threads,
        "seconds": round(elapsed, 1),
        "msg_per_s": round(n / elapsed),
        "load": send_issue.loadavg(),
        "statements_per_1000": round(sum(counts.statements.values()) * per, 1),
        "by_kind_per_1000": {k: round(v * per, 1) for k, v in counts.statements.most_common()},
        "commits_per_1000": round(counts.commits * per, 1),
        "smtp_writes_per_message": round(counts.writes / max(1, n), 2),
        "statements": dict(counts.texts.most_common()) if args.show else None,
    }


if __name__ == "__main__":
    main()
