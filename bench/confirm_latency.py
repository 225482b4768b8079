"""A double opt-in confirmation's latency while an issue goes out to N subscribers.

Run by hand, not in the test suite:

    .venv/bin/python bench/confirm_latency.py                            # SQLite, 100,000
    .venv/bin/python bench/confirm_latency.py --db postgresql
    .venv/bin/python bench/confirm_latency.py --subscribers 5000 --every 0.5
    .venv/bin/python bench/confirm_latency.py --shared      # one worker on every queue

Everything `send_issue.py` does (it takes the same options and prints the same table:
the send's messages per second beside the ceiling of the same run), with the process
layout of the Procfile: the workers on every queue but the interactive one, and a
`mailer` (`dramatiq --queues interactive`) beside them. From the moment the send starts
until the issue is sent, somebody subscribes every `--every` seconds through the
public form (GET /subscribe for its CSRF token, then POST, as a browser does). The
latency of each is the time from her POST until the mail server accepted her
confirmation mail: the delivery's `sent_at`, written when smtp-sink answered the
message's DATA. Prints their p50, p95 and maximum (the target: p95 under 5 s) and
how many never arrived, below the send's figures.
"""

from __future__ import annotations

import http.cookiejar
import json
import math
import re
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime

from send_issue import VENV_BIN, Bench, arguments, print_table

#: the target for a confirmation's p95, in seconds
TARGET_P95 = 5.0
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_VERSION = re.compile(r'name="consent_version"[^>]*value="([^"]*)"')


class ConfirmBench(Bench):
    def __init__(self, args):
        super().__init__(args)
        self.requests: list[dict] = []
        self.confirming = threading.Event()
        self.confirmer: threading.Thread | None = None
        self.result |= {
            "every_s": args.every,
            "layout": "shared" if args.shared else "lanes",
            "mailer_threads": None if args.shared else args.mailer_threads,
        }

    def environment(self) -> dict[str, str]:
        env = super().environment()
        # one address asks every second: more than the public forms allow per address
        env["KKP_PUBLIC_FORM_LIMIT"] = "100000 per minute"
        return env

    def worker_queues(self) -> list[str]:
        return [] if self.args.shared else super().worker_queues()

    def start_services(self, env: dict[str, str]) -> None:
        from kkp.mail.tasks import INTERACTIVE_QUEUE

        super().start_services(env)
        if self.args.shared:
            return
        self.start(
            "mailer",
            [
                str(VENV_BIN / "dramatiq"),
                "--processes",
                "1",
                "--threads",
                str(self.args.mailer_threads),
                "workers.app",
                "--queues",
                INTERACTIVE_QUEUE,
            ],
            env,
        )
        log = self.tmp / "mailer.log"
        deadline = time.monotonic() + 120
        while "is ready for action" not in log.read_text(errors="replace"):
            if self.procs["mailer"].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the mailer did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)

    # the confirmations ------------------------------------------------------------------

    def subscribe(self, n: int) -> None:
        """One person through the public form, as her browser: GET, then POST."""
        base = f"http://127.0.0.1:{self.web_port}"
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        record = {"email": f"eilig{n:05d}@example.org", "asked": time.time()}
        self.requests.append(record)
        try:
            with opener.open(base + "/subscribe", timeout=60) as response:
                page = response.read().decode()
            data = urllib.parse.urlencode(
                {
                    "email": record["email"],
                    "name": "Eilige Person",
                    "lists": str(self.list_id),
                    "consent": "y",
                    "consent_version": _VERSION.search(page).group(1),
                    "csrf_token": _CSRF.search(page).group(1),
                }
            ).encode()
            record["posted"] = time.time()
            with opener.open(base + "/subscribe", data=data, timeout=60) as response:
                response.read()
                record["status"] = response.status
        except (urllib.error.URLError, OSError, AttributeError) as exc:
            record["error"] = repr(exc)[:200]
        record["answered"] = time.time()

    def confirm_meanwhile(self) -> None:
        """A sign-up every `--every` seconds, each in its own thread (a slow answer does
        not delay the next one), until told to stop."""
        n, started = 0, time.monotonic()
        while not self.confirming.is_set():
            threading.Thread(target=self.subscribe, args=(n,), daemon=True).start()
            n += 1
            self.confirming.wait(max(0.0, started + n * self.args.every - time.monotonic()))

    def start_send(self, app, admin):
        from kkp.extensions import db
        from newsletter.models import MailingList

        with app.app_context():
            self.list_id = db.session.query(MailingList.id).filter_by(slug="kkp-kompakt").scalar()
            db.session.remove()
        how, started = super().start_send(app, admin)
        self.confirmer = threading.Thread(target=self.confirm_meanwhile, daemon=True)
        self.confirmer.start()
        return how, started

    def wait_sent(self, engine, timeout):
        status, ended = super().wait_sent(engine, timeout)
        self.confirming.set()
        if self.confirmer is not None:
            self.confirmer.join(10)
        # the last ones asked while the send ended: give them the target's time, and more
        deadline = time.monotonic() + max(30.0, 6 * TARGET_P95)
        while time.monotonic() < deadline and len(self.arrived(engine)) < self.asked():
            time.sleep(0.1)
        self.result["confirmations"] = self.latencies(engine)
        return status, ended

    def asked(self) -> int:
        return sum(1 for r in self.requests if "posted" in r and "error" not in r)

    def arrived(self, engine) -> dict[str, float]:
        """Each address's confirmation: when the mail server accepted it (epoch seconds)."""
        import sqlalchemy as sa

        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT recipient, sent_at FROM delivery "
                    "WHERE kind = 'subscription_confirmation' AND status = 'sent'"
                )
            ).all()
        return {recipient: epoch(sent_at) for recipient, sent_at in rows if sent_at}

    def latencies(self, engine) -> dict:
        arrived = self.arrived(engine)
        seconds = sorted(
            arrived[r["email"]] - r["posted"] for r in self.requests if r["email"] in arrived
        )
        answers = sorted(r["answered"] - r["posted"] for r in self.requests if "status" in r)
        out = {
            "asked": len(self.requests),
            "arrived": len(seconds),
            "missing": self.asked() - len(seconds),
            "errors": [r["error"] for r in self.requests if "error" in r][:5],
            "target_p95_s": TARGET_P95,
        }
        if seconds:
            out |= {
                "p50_s": round(statistics.median(seconds), 3),
                "p95_s": round(percentile(seconds, 0.95), 3),
                "max_s": round(seconds[-1], 3),
            }
            out["met"] = out["p95_s"] < TARGET_P95 and not out["missing"]
        if answers:
            out["form_answer_p95_s"] = round(percentile(answers, 0.95), 3)
        return out


def epoch(value) -> float:
    """A stored UTC time (aware, naive, or SQLite's text) as epoch seconds."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def percentile(ordered: list[float], q: float) -> float:
    return ordered[max(0, math.ceil(len(ordered) * q) - 1)]


def print_confirmations(r: dict) -> None:
    c = r.get("confirmations") or {}
    layout = (
        "no mailer, the workers on every queue (--shared)"
        if r["layout"] == "shared"
        else f"mailer 1 x {r['mailer_threads']} threads"
    )
    print(f"\nconfirmation mails during the send (a sign-up every {r['every_s']} s, {layout})")
    print(
        f"  asked {c.get('asked')}, arrived {c.get('arrived')}, missing {c.get('missing')}; "
        f"from the POST to the mail server: p50 {c.get('p50_s')} s, p95 {c.get('p95_s')} s, "
        f"max {c.get('max_s')} s (target p95 < {c.get('target_p95_s')} s: "
        f"{'met' if c.get('met') else 'NOT met'})"
    )
    print(
        f"  beside the send: {r.get('msgs_per_s')} msg/s, ratio to the ceiling {r.get('ratio')}; "
        f"the form answered within {c.get('form_answer_p95_s')} s (p95)"
    )
    if c.get("errors"):
        print(f"  form errors: {c['errors']}")


def main() -> None:
    parser = arguments()
    parser.description = __doc__.splitlines()[0]
    parser.set_defaults(subscribers=100_000)
    parser.add_argument(
        "--every", type=float, default=1.0, help="seconds between two sign-ups during the send"
    )
    parser.add_argument("--mailer-threads", type=int, default=4, help="the mailer's threads")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="for comparison: no mailer, the workers on every queue (the layout before the lanes)",
    )
    args = parser.parse_args()
    if args.profile:
        args.keep = True
    bench = ConfirmBench(args)
    try:
        result = bench.run()
    finally:
        bench.cleanup()
    print_table(result)
    print_confirmations(result)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    sys.exit(main())
