"""Sending an issue end to end, beside the physical SMTP limit of this machine.

Run by hand, not in the test suite:

    .venv/bin/python bench/send_issue.py                          # SQLite, 10,000 subscribers
    .venv/bin/python bench/send_issue.py --db postgresql --subscribers 100000
    .venv/bin/python bench/send_issue.py --processes 2 --threads 8 --profile 20

What it does, all through the real path:

1. a temporary instance folder and a fresh database (a SQLite file, or a new
   PostgreSQL database that is dropped afterwards), migrated with `flask db upgrade`;
2. N confirmed subscribers on one list (bulk insert), an editor with a password and
   an API token, and an issue of ten articles of German text (~30 KB per message);
3. Postfix's `smtp-sink` on a free port (it counts what it receives and throws it away),
   `dramatiq --processes P --threads T workers.app` and gunicorn (as in the Procfile),
   all as subprocesses built from `KKP_*` variables, Redis on a database number of its
   own (the first empty one from 15 down, or --redis);
4. the send: `POST /api/v1/issues/<id>/send` when the API has that route, otherwise
   the scheduler's path (the issue scheduled, the clock's `scheduler_tick` enqueued);
   the clock runs from then until the issue's status is "sent";
5. meanwhile: the peak memory of every worker process (VmHWM, and RSS sampled), and
   the admin pages fetched every half second through gunicorn by a logged-in editor;
6. afterwards `../shared/tools/smtp-ceiling` on one generated message, with as many
   SMTP sessions as the workers hold (P x T), for the ceiling.

Prints a table and, as its last line, the same as JSON. Figures are only comparable
on an idle machine: the load average before and after the run is printed with them.
"""

from __future__ import annotations

import argparse
import getpass
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VENV_BIN = Path(sys.executable).parent
CEILING = ROOT.parent / "shared" / "tools" / "smtp-ceiling"
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-passwort-123"
EDITOR = "bench@kkp.test"
TARGET_BYTES = 30_000
ADMIN_EVERY = 0.5  # seconds between two rounds of admin pages

# -- content -------------------------------------------------------------------------------

PARAGRAPHS = [
    "Die Kommunale Kriminalprävention lebt vom Austausch zwischen Verwaltung, Polizei, "
    "Schulen, Jugendhilfe und Zivilgesellschaft. In dieser Ausgabe stellen wir Projekte "
    "vor, die sich in der Praxis bewährt haben, und laden Sie herzlich zu den nächsten "
    "Fortbildungen und Netzwerktreffen ein.",
    "Im Mittelpunkt stand die Frage, wie sich **Angsträume** im öffentlichen Raum "
    "erkennen und entschärfen lassen. Bei den Begehungen mit Bürgerinnen und Bürgern "
    "zeigte sich, dass schon eine bessere Beleuchtung, übersichtliche Wegeführung und "
    "gepflegte Grünflächen das Sicherheitsgefühl deutlich stärken.",
    "Die Evaluation durch die Hochschule ergab, dass die Zahl der gemeldeten "
    "Sachbeschädigungen im Quartier um ein Drittel zurückgegangen ist. Besonders "
    "wirksam war die enge Abstimmung zwischen Ordnungsamt, Stadtreinigung und "
    "Quartiersmanagement: Schäden wurden innerhalb von 48 Stunden behoben.",
    "Für Fachkräfte der Jugendarbeit bieten wir im Frühjahr eine zweitägige Fortbildung "
    "zu Gewaltprävention und Deeskalation an. Die Teilnahme ist kostenfrei; die Plätze "
    "sind begrenzt. Bitte melden Sie sich bis Ende des Monats über das Formular auf "
    "unserer Website an. Für Übernachtung und Verpflegung ist gesorgt.",
    "Ein weiteres Thema war die Prävention von **Betrug an älteren Menschen**. "
    "Seniorenbeiräte, Banken und Polizei haben gemeinsam Informationsabende "
    "veranstaltet, an denen über 400 Personen teilgenommen haben. Die Materialien "
    "stehen in leichter Sprache und in mehreren Übersetzungen zur Verfügung.",
    "Wir danken allen Netzwerkpartnerinnen und -partnern für ihre Beiträge. Wenn Sie "
    "ein eigenes Projekt vorstellen möchten, schreiben Sie uns gern: Die nächste "
    "Ausgabe erscheint in vier Wochen, Redaktionsschluss ist der 15. des Monats.",
]
TITLES = [
    "Sicherheitsaudit im Quartier Nordstadt",
    "Fortbildung Gewaltprävention für Fachkräfte",
    "Schutz vor Enkeltrick und Schockanrufen",
    "Runder Tisch Häusliche Gewalt",
    "Jugendbeteiligung in der Stadtteilarbeit",
    "Neue Förderrichtlinie des Landes",
    "Zivilcourage-Trainings an Schulen",
    "Rückblick auf den Präventionstag",
    "Beleuchtungskonzept für Unterführungen",
    "Termine und Veranstaltungen",
]
FIRST_NAMES = ["Anna", "Jürgen", "Özlem", "Sören", "Marie", "Björn", "Käthe", "Lukas", "", "Jörg"]
LAST_NAMES = ["Müller", "Schäfer", "Weiß", "Krüger", "Yılmaz", "Becker", "Groß", "Hoffmann"]


#: the subscribers signed up over this many days
SIGN_UP_DAYS = 1500


def article_body(n: int, chars: int) -> str:
    """About `chars` characters of Markdown: paragraphs (and a short list, when long)."""
    parts: list[str] = []
    k = n
    while sum(len(p) + 2 for p in parts) < chars:
        parts.append(PARAGRAPHS[k % len(PARAGRAPHS)])
        k += 1
        if len(parts) == 2 and chars > 1200:
            parts.append(
                f"- Ansprechpartnerin: Frau {LAST_NAMES[n % len(LAST_NAMES)]}\n"
                f"- Ort: Rathaus, Saal {n + 1}\n"
                f"- Mehr dazu: [Projektseite](https://example.org/projekte/{n + 1})"
            )
    text = "\n\n".join(parts)
    if len(text) > chars:  # cut at the end of a sentence, or at least of a word
        cut = text.rfind(". ", 0, chars)
        text = text[: cut + 1] if cut > chars - 60 else text[: text.rfind(" ", 0, chars)] + " …"
    return text


# -- small helpers -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout} s")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def pick_redis_db(host: str = "127.0.0.1", port: int = 6379) -> str:
    """The highest-numbered empty Redis database, so nobody else's keys are touched."""
    import redis

    for number in range(15, 0, -1):
        client = redis.Redis(host=host, port=port, db=number)
        if client.dbsize() == 0:
            client.close()
            return f"redis://{host}:{port}/{number}"
        client.close()
    raise RuntimeError("no empty Redis database on 127.0.0.1:6379; pass --redis")


def vm_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB."""
    out = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    key, value = line.split(":", 1)
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


class Admin:
    """A logged-in editor's browser: cookies, CSRF token from the login form."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, timeout: float = 30.0) -> tuple[int, float]:
        started = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            exc.read()
            status = exc.code
        return status, (time.perf_counter() - started) * 1000

    def login(self, email: str, password: str) -> None:
        with self.opener.open(self.base + "/admin/login") as response:
            page = response.read().decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"email": email, "password": password, "csrf_token": token}
        ).encode()
        with self.opener.open(self.base + "/admin/login", data=data) as response:
            response.read()
            if response.url.rstrip("/").endswith("/login"):
                raise RuntimeError("could not log in to the admin pages")


# -- the run ---------------------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.tmp = Path(tempfile.mkdtemp(prefix="kkp-bench-send-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.pg_name: str | None = None
        self.redis_url: str | None = None
        self.result: dict = {
            "db": args.db,
            "subscribers": args.subscribers,
            "processes": args.processes,
            "threads": args.threads,
            "batch_size": None,
            "chunk_size": None,
        }

    # environment and database ----------------------------------------------------------

    def database_url(self) -> str:
        if self.args.db == "sqlite":
            return f"sqlite:///{self.tmp / 'kkp.db'}"
        import sqlalchemy as sa

        self.pg_name = f"kkp_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{self.pg_name}"'))
        admin.dispose()
        return PG_ADMIN.rsplit("/", 1)[0] + "/" + self.pg_name

    def drop_database(self) -> None:
        if not self.pg_name:
            return
        import sqlalchemy as sa

        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": self.pg_name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.pg_name}"'))
        admin.dispose()

    def environment(self) -> dict[str, str]:
        self.redis_url = self.args.redis or pick_redis_db()
        self.web_port = free_port()
        self.smtp_port = free_port()
        env = {
            "KKP_INSTANCE_PATH": str(self.tmp),
            "KKP_DATABASE_URL": self.database_url(),
            "KKP_BROKER_URL": self.redis_url,
            "KKP_BROKER_NAMESPACE": f"kkp-bench-{uuid.uuid4().hex[:8]}",
            "KKP_SMTP_URL": f"smtp://127.0.0.1:{self.smtp_port}",
            "KKP_SECRET_KEY": uuid.uuid4().hex * 2,
            # http like the gunicorn it starts: with an https base URL the session cookie
            # is Secure and the admin pages could not be logged in to over http
            "KKP_BASE_URL": "http://kkp.example.org",
            "KKP_MAIL_FROM": "KKP Kompakt <newsletter@kkp.example.org>",
            "KKP_RETURN_PATH": "bounces+{token}@kkp.example.org",
            "KKP_LOG_LEVEL": self.args.log_level,
        }
        if self.args.dkim:
            key = self.tmp / "dkim.pem"
            subprocess.run(
                ["openssl", "genrsa", "-out", str(key), "2048"],
                check=True,
                capture_output=True,
            )
            env |= {
                "KKP_DKIM_SELECTOR": "bench",
                "KKP_DKIM_DOMAIN": "kkp.example.org",
                "KKP_DKIM_KEY_FILE": str(key),
            }
        return env

    # seeding -----------------------------------------------------------------------------

    def seed(self, app) -> int:
        import sqlalchemy as sa
        from flask_migrate import upgrade

        from kkp.auth.operations import create_editor, create_token
        from kkp.db import utcnow
        from kkp.extensions import db
        from newsletter import issues
        from newsletter.models import Issue, Subscriber, Subscription
        from newsletter.operations import create_list, publish_consent_text

        with app.app_context():
            upgrade()
            self.result["batch_size"] = app.config["KKP_ISSUE_BATCH_SIZE"]
            self.result["chunk_size"] = app.config["KKP_ISSUE_CHUNK_SIZE"]
            publish_consent_text("Einwilligungstext für die Messung.")
            target = create_list("KKP Kompakt", slug="kkp-kompakt")
            editor = create_editor(EDITOR, role="admin", password=PASSWORD)
            db.session.flush()
            _token, self.api_token = create_token(editor, "bench")
            db.session.commit()

            started = time.perf_counter()
            now = utcnow()
            n = self.args.subscribers
            step = 20_000
            for first in range(1, n + 1, step):
                ids = range(first, min(first + step, n + 1))
                db.session.execute(
                    sa.insert(Subscriber),
                    [
                        {
                            "id": i,
                            "email": f"person{i:06d}@example.org",
                            "name": (
                                f"{FIRST_NAMES[i % len(FIRST_NAMES)]} "
                                f"{LAST_NAMES[i % len(LAST_NAMES)]}"
                            ).strip(),
                            "organisation": f"Stadt {i % 97}",
                            "status": "confirmed",
                            "source": "import",
                            "locale": "en" if i % 10 == 0 else "de",
                            # signed up over the years, as a real list (the dashboard
                            # counts this week's: not every one of them)
                            "created_at": now - timedelta(days=i % SIGN_UP_DAYS, minutes=1),
                            "updated_at": now,
                            "confirmed_at": now - timedelta(days=i % SIGN_UP_DAYS),
                        }
                        for i in ids
                    ],
                )
                db.session.execute(
                    sa.insert(Subscription),
                    [
                        {
                            "subscriber_id": i,
                            "list_id": target.id,
                            "status": "confirmed",
                            "requested_at": now,
                            "confirmed_at": now,
                        }
                        for i in ids
                    ],
                )
            if db.engine.dialect.name == "postgresql":
                db.session.execute(
                    sa.text("SELECT setval(pg_get_serial_sequence('subscriber', 'id'), :n)"),
                    {"n": n},
                )
            db.session.commit()
            if db.engine.dialect.name == "postgresql":
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            self.result["seed_s"] = round(time.perf_counter() - started, 1)

            issue = issues.create_issue(
                number="3/2026",
                title="Prävention vor Ort: Sicherheit im Quartier",
                intro=PARAGRAPHS[0],
                list_ids=[target.id],
            )
            articles = [
                issues.add_article(
                    issue,
                    title=TITLES[k],
                    body=article_body(k, 1000),
                    links=f"Mehr dazu | https://example.org/mehr/{k}",
                )
                for k in range(10)
            ]
            # Size the articles so that a message is about TARGET_BYTES.
            low, high = 50, 20_000
            while high - low > 20:
                chars = (low + high) // 2
                for k, article in enumerate(articles):
                    article.body = article_body(k, chars)
                db.session.flush()
                size = len(self.sample_message(issue))
                if size < TARGET_BYTES:
                    low = chars
                else:
                    high = chars
            for k, article in enumerate(articles):
                article.body = article_body(k, high)
            db.session.flush()
            size = len(self.sample_message(issue))
            db.session.commit()
            self.issue_id = issue.id
            self.result["message_bytes"] = size
            assert db.session.get(Issue, issue.id).status == "draft"
            db.session.remove()
        return self.issue_id

    @staticmethod
    def sample_message(issue, *, prepared=None) -> bytes:
        """One recipient's message, built as the chunk sender builds it."""
        from flask import current_app

        from newsletter.render import PreparedIssue, list_id_header, render_issue
        from newsletter.render import sender as sender_of
        from newsletter.sending.messages import mail_domain, recipient_for
        from newsletter.settings import office_settings

        if prepared is None:
            settings = office_settings()
            prepared = PreparedIssue(
                render_issue(issue, settings, "de"),
                sender=sender_of(settings),
                list_id=list_id_header(issue, mail_domain(), settings["newsletter_name"]),
            )

        class Person:
            id = 4711
            email = "juergen.mueller@example.org"
            name = "Jürgen Müller"
            locale = "de"

        recipient = recipient_for(
            Person, [lst.id for lst in issue.lists], f"<4711.{issue.id}.0@kkp.example.org>"
        )
        data = prepared.message(recipient)
        from kkp.mail import dkim

        return dkim.sign(current_app._get_current_object(), data)

    # processes -------------------------------------------------------------------------

    def start(self, name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.procs[name] = proc
        return proc

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def worker_queues(self) -> list[str]:
        """As the Procfile's worker: every queue but the interactive mail's."""
        from kkp.mail.tasks import WORKER_QUEUES

        return ["--queues", *WORKER_QUEUES]

    def start_services(self, env: dict[str, str]) -> None:
        sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
        self.start(
            "smtp-sink",
            [sink, "-c", "-u", getpass.getuser(), f"127.0.0.1:{self.smtp_port}", "256"],
            env,
        )
        nice = ["nice", "-n", str(self.args.nice)] if self.args.nice else []
        self.start(
            "workers",
            [
                *nice,
                str(VENV_BIN / "dramatiq"),
                "--processes",
                str(self.args.processes),
                "--threads",
                str(self.args.threads),
                "workers.app",
                *self.worker_queues(),
            ],
            env,
        )
        self.start(
            "web",
            [
                str(VENV_BIN / "gunicorn"),
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--workers",
                str(self.args.web_workers),
                "--threads",
                "4",
                "--no-control-socket",
                "--config",
                "python:kkp.gunicorn_conf",
                "service.app:create_app()",
            ],
            env,
        )
        wait_port(self.smtp_port)
        wait_port(self.web_port, 60)
        log = self.tmp / "workers.log"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log.read_text(errors="replace")
            ready = text.count("is ready for action")
            if ready >= self.args.processes:
                break
            if self.procs["workers"].poll() is not None:
                raise RuntimeError(f"the workers stopped:\n{text[-3000:]}")
            time.sleep(0.2)
        else:
            raise RuntimeError("the workers did not report ready within 120 s")

    def worker_pids(self) -> list[int]:
        import psutil

        try:
            main = psutil.Process(self.procs["workers"].pid)
            return [p.pid for p in main.children(recursive=True)]
        except (KeyError, psutil.Error):
            return []

    def web_pids(self) -> list[int]:
        import psutil

        try:
            return [p.pid for p in psutil.Process(self.procs["web"].pid).children()]
        except (KeyError, psutil.Error):
            return []

    # measuring -------------------------------------------------------------------------

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) so far of the workers, smtp-sink, gunicorn, the database
        server and the broker (every process of theirs on the machine) and this process."""
        import psutil

        out = {}
        for name in ("workers", "smtp-sink", "web"):
            proc = self.procs.get(name)
            if proc is None:
                continue
            try:
                main = psutil.Process(proc.pid)
                total = 0.0
                for p in [main, *main.children(recursive=True)]:
                    t = p.cpu_times()
                    total += t.user + t.system
                out[name] = total
            except psutil.Error:
                pass
        # the servers the send waits on, and this process (it asks for the admin pages)
        servers = {"postgres": "database", "redis-server": "broker", "beam.smp": "broker"}
        for p in psutil.process_iter(["name", "cpu_times"]):
            name = servers.get(p.info["name"] or "")
            if name and p.info["cpu_times"] is not None:
                t = p.info["cpu_times"]
                out[name] = out.get(name, 0.0) + t.user + t.system
        t = psutil.Process().cpu_times()
        out["bench"] = t.user + t.system
        return out

    @staticmethod
    def machine_busy() -> tuple[float, float]:
        """(CPU seconds busy, CPU seconds in all) of the whole machine so far."""
        import psutil

        t = psutil.cpu_times()
        idle = t.idle + getattr(t, "iowait", 0.0)
        return sum(t) - idle, sum(t)

    def sample_memory(self, stop: threading.Event, peaks: dict[int, int]) -> None:
        while not stop.is_set():
            for pid in self.worker_pids():
                rss = vm_status(pid).get("VmRSS", 0)
                peaks[pid] = max(peaks.get(pid, 0), rss)
            stop.wait(0.25)

    def poll_admin(
        self, admin: Admin, pages: list[str], stop: threading.Event, timings: dict
    ) -> None:
        while not stop.is_set():
            started = time.monotonic()
            for page in pages:
                status, ms = admin.get(page)
                timings.setdefault(page, []).append(ms)
                if status != 200:
                    timings.setdefault("errors", []).append((page, status))
            stop.wait(max(0.0, ADMIN_EVERY - (time.monotonic() - started)))

    def api_has_send(self, admin: Admin) -> str | None:
        try:
            with admin.opener.open(admin.base + "/api/v1/openapi.json") as response:
                spec = json.loads(response.read())
        except (urllib.error.URLError, ValueError):
            return None
        for path, ops in spec.get("paths", {}).items():
            if "issue" in path and path.rstrip("/").endswith("/send") and "post" in ops:
                return path
        return None

    def start_send(self, app, admin: Admin) -> tuple[str, float]:
        """Start the send through the API or the scheduler; return (path, clock start)."""
        route = None if self.args.via == "scheduler" else self.api_has_send(admin)
        if route:
            # OpenAPI paths are relative to the server URL, /api/v1
            url = admin.base + "/api/v1" + re.sub(r"\{[^}]+\}", str(self.issue_id), route)
            request = urllib.request.Request(
                url,
                data=b"{}",
                method="POST",
                headers={
                    "Authorization": f"Bearer {self.api_token}",
                    "Content-Type": "application/json",
                },
            )
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=120) as response:
                    response.read()
                return f"API POST /api/v1{route} ({response.status})", started
            except urllib.error.HTTPError as exc:
                if exc.code not in (404, 405):
                    raise
                print(f"{url}: {exc.code}; the scheduler's path instead", file=sys.stderr)
        from kkp.db import utcnow
        from kkp.extensions import db
        from newsletter import sending
        from newsletter.models import Issue
        from service.schedule import scheduler_tick

        with app.app_context():
            when = utcnow() + timedelta(seconds=1)
            sending.schedule(db.session.get(Issue, self.issue_id), when)
            db.session.commit()
            db.session.remove()
            time.sleep(max(0.0, (when - utcnow()).total_seconds()) + 0.05)
            started = time.perf_counter()
            scheduler_tick.send_now()  # what the clock does once a minute
        return "scheduler (issue scheduled, scheduler_tick enqueued)", started

    def sink_count(self) -> int:
        """Messages smtp-sink has received so far (its running counter, `-c`)."""
        try:
            with open(self.tmp / "smtp-sink.log", "rb") as f:
                f.seek(max(0, f.seek(0, 2) - 200))
                found = re.findall(rb"mesg=(\d+)", f.read())
        except OSError:
            return 0
        return int(found[-1]) if found else 0

    def wait_sent(self, engine, timeout: float) -> tuple[str, float]:
        """Until the issue is sent (or paused, cancelled), or nothing arrives any more."""
        import sqlalchemy as sa

        deadline = time.monotonic() + timeout
        status = "?"
        last_count, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                status = conn.execute(
                    sa.text("SELECT status FROM issue WHERE id = :i"), {"i": self.issue_id}
                ).scalar()
            if status in ("sent", "paused", "cancelled"):
                return status, time.perf_counter()
            count = self.sink_count()
            if count != last_count:
                last_count, last_change = count, time.monotonic()
            elif time.monotonic() - last_change > self.args.stall:
                with engine.connect() as conn:
                    row = conn.execute(
                        sa.text(
                            "SELECT last_subscriber_id, max_subscriber_id FROM issue WHERE id = :i"
                        ),
                        {"i": self.issue_id},
                    ).one()
                self.result["stalled"] = (
                    f"nothing received for {self.args.stall:.0f} s after {count} messages; "
                    f"cursor {row[0]} of {row[1]}"
                )
                print(f"STALLED: {self.result['stalled']}", file=sys.stderr)
                return f"stalled ({status})", last_change - time.monotonic() + time.perf_counter()
            time.sleep(0.1)
        return status, time.perf_counter()

    def profile(self, pids: list[int]) -> None:
        """py-spy on the first of `pids` for `--profile` seconds, in the background."""
        py_spy = VENV_BIN / "py-spy"
        if not py_spy.exists():
            print("py-spy is not installed in the venv: no profile", file=sys.stderr)
            return
        out = self.tmp / "profile.txt"
        self.profile_out = out
        self.start(
            "py-spy",
            [
                str(py_spy),
                "record",
                "--pid",
                str(pids[0]),
                "--duration",
                str(self.args.profile),
                "--rate",
                "200",
                "--format",
                "raw",
                "--threads",
                *(["--gil"] if self.args.profile_gil else []),
                "--nonblocking",
                "--output",
                str(out),
            ],
            {},
        )

    # the whole run ---------------------------------------------------------------------

    def run(self) -> dict:
        import sqlalchemy as sa

        args = self.args
        self.result["load_before"] = loadavg()
        env = self.environment()
        os.environ.update(env)
        from service.app import create_app

        app = create_app({"KKP_LOG_LEVEL": "WARNING"})
        self.seed(app)
        print(
            f"seeded {args.subscribers:,} subscribers in {self.result['seed_s']} s "
            f"({args.db}); a message is {self.result['message_bytes']:,} bytes",
            file=sys.stderr,
        )
        from kkp.extensions import db
        from newsletter.models import Issue

        with app.app_context():
            self.result["ceiling_before"] = self.ceiling(
                self.sample_message(db.session.get(Issue, self.issue_id))
            )
            db.session.remove()
        engine = sa.create_engine(env["KKP_DATABASE_URL"])
        self.start_services(env)
        pids = self.worker_pids()
        admin = Admin(f"http://127.0.0.1:{self.web_port}")
        admin.login(EDITOR, PASSWORD)
        candidates = [
            "/admin/",
            "/admin/subscribers",
            "/admin/outbox/",
            "/admin/issues",
            f"/admin/issues/{self.issue_id}",
            f"/admin/issues/{self.issue_id}/progress",
            f"/admin/issues/{self.issue_id}/progress.json",
        ]
        pages, missing = [], []
        for page in candidates:
            status, _ms = admin.get(page)
            (pages if status == 200 else missing).append(
                page if status == 200 else f"{page} ({status})"
            )
        self.result["admin_pages"] = pages
        self.result["admin_pages_missing"] = missing

        stop = threading.Event()
        peaks: dict[int, int] = {}
        timings: dict[str, list] = {}
        threads = [
            threading.Thread(target=self.sample_memory, args=(stop, peaks), daemon=True),
            threading.Thread(
                target=self.poll_admin, args=(admin, pages, stop, timings), daemon=True
            ),
        ]
        for t in threads:
            t.start()
        time.sleep(args.baseline)  # the admin pages before the send, for comparison
        idle = {p: list(v) for p, v in timings.items() if p != "errors"}
        if args.profile:
            self.profile(self.web_pids() if args.profile_web else pids)
        cpu_before = self.cpu_seconds()
        busy_before = self.machine_busy()
        try:
            how, started = self.start_send(app, admin)
            self.result["started_via"] = how
            status, ended = self.wait_sent(engine, args.timeout)
            hwm = {pid: vm_status(pid).get("VmHWM", 0) for pid in self.worker_pids()}
            cpu_after = self.cpu_seconds()
            busy_after = self.machine_busy()
        finally:
            stop.set()
            for t in threads:
                t.join(10)
        elapsed = ended - started

        with engine.connect() as conn:
            counts = dict(
                conn.execute(
                    sa.text(
                        "SELECT status, count(*) FROM delivery WHERE issue_id = :i GROUP BY status"
                    ),
                    {"i": self.issue_id},
                ).all()
            )
            row = conn.execute(
                sa.text("SELECT started_at, finished_at, to_send FROM issue WHERE id = :i"),
                {"i": self.issue_id},
            ).one()
        sent = counts.get("sent", 0)
        # CPU ms per message, whatever else runs on the machine
        self.result["cpu_ms_per_msg"] = {
            name: round(1000 * (cpu_after[name] - cpu_before.get(name, 0.0)) / max(sent, 1), 2)
            for name in cpu_after
        }
        busy = busy_after[0] - busy_before[0]
        total = busy_after[1] - busy_before[1]
        self.result["machine_busy"] = round(busy / max(total, 1e-9), 2)
        self.result |= {
            "status": status,
            "to_send": row.to_send,
            "deliveries": counts,
            "seconds": round(elapsed, 2),
            "msgs_per_s": round(sent / elapsed, 1) if elapsed else 0.0,
        }
        if row.started_at and row.finished_at:
            started_at, finished_at = row.started_at, row.finished_at
            if isinstance(started_at, str):  # SQLite through a plain engine
                from datetime import datetime

                started_at = datetime.fromisoformat(started_at)
                finished_at = datetime.fromisoformat(finished_at)
            inner = (finished_at - started_at).total_seconds()
            self.result["db_seconds"] = round(inner, 2)
            self.result["db_msgs_per_s"] = round(sent / inner, 1) if inner > 0 else None
        self.result["worker_rss_peak_mib"] = {
            str(pid): round(max(hwm.get(pid, 0), peaks.get(pid, 0)) / 1024, 1)
            for pid in sorted(set(hwm) | set(peaks))
        }

        def summary(values: list[float]) -> dict:
            ordered = sorted(values)
            return {
                "n": len(values),
                "median_ms": round(statistics.median(ordered), 1),
                "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
                "max_ms": round(ordered[-1], 1),
            }

        during, before = {}, {}
        for page, values in timings.items():
            if page == "errors" or not values:
                continue
            if idle.get(page):
                before[page] = summary(idle[page])
            during[page] = summary(values[len(idle.get(page, [])) :] or values)
        self.result["admin"] = during
        self.result["admin_before"] = before
        self.result["admin_errors"] = timings.get("errors", [])

        if args.profile and "py-spy" in self.procs:
            self.procs["py-spy"].wait(args.profile + 60)
            self.procs.pop("py-spy", None)
            self.result["profile"] = str(self.profile_out)
            if self.profile_out.exists():
                self.result["profile_summary"] = summarise_profile(self.profile_out)
        self.stop("web")
        self.stop("workers")
        self.stop("smtp-sink")
        counter = re.findall(r"mesg=(\d+)", (self.tmp / "smtp-sink.log").read_text())
        self.result["sink_received"] = int(counter[-1]) if counter else None

        # The ceiling after the send, with the message the workers sent.
        from kkp.extensions import db
        from newsletter import sending
        from newsletter.models import Issue

        with app.app_context():
            issue = db.session.get(Issue, self.issue_id)
            data = self.sample_message(issue, prepared=sending.prepared(issue)["de"])
            db.session.remove()
        self.result["message_bytes"] = len(data)
        self.result["ceiling_after"] = self.ceiling(data)
        measured = [c for c in (self.result["ceiling_before"], self.result["ceiling_after"]) if c]
        # the better of the two: the machine is shared, the limit is what it can do
        self.result["ceiling_msgs_per_s"] = max(measured) if measured else None
        if measured:
            self.result["ratio"] = round(self.result["msgs_per_s"] / max(measured), 3)
        self.result["load_after"] = loadavg()
        engine.dispose()
        return self.result

    def ceiling(self, data: bytes) -> int | None:
        """smtp-ceiling on `data` with as many sessions as the workers hold SMTP connections."""
        message = self.tmp / "message.eml"
        message.write_bytes(data)
        sessions = self.args.sessions or self.args.processes * self.args.threads
        self.result["ceiling_sessions"] = sessions
        out = subprocess.run(
            [
                str(self.args.ceiling_tool),
                str(message),
                str(self.args.ceiling_count),
                str(sessions),
            ],
            capture_output=True,
            text=True,
            env={**os.environ, "PATH": os.environ.get("PATH", "") + ":/usr/sbin"},
        )
        found = re.search(r"ceiling: (\d+) msg/s", out.stdout)
        if not found:
            self.result["ceiling_error"] = (out.stdout + out.stderr)[-500:]
            return None
        return int(found.group(1))

    def cleanup(self) -> None:
        for name in list(self.procs):
            try:
                self.stop(name)
            except Exception as exc:  # noqa: BLE001 - clean up the rest anyway
                print(f"could not stop {name}: {exc}", file=sys.stderr)
        try:
            from kkp.extensions import db

            db.session.remove()
        except Exception:  # noqa: BLE001
            pass
        if self.args.keep and self.pg_name:
            print(f"kept the database {self.pg_name} (drop it when done)", file=sys.stderr)
        else:
            try:
                self.drop_database()
            except Exception as exc:  # noqa: BLE001
                print(f"could not drop {self.pg_name}: {exc}", file=sys.stderr)
        if self.redis_url and not self.args.redis:
            import redis

            redis.Redis.from_url(self.redis_url).flushdb()
        if self.args.keep:
            print(f"kept {self.tmp}", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)


def summarise_profile(path: Path, top: int = 15) -> dict:
    """py-spy's raw (folded) stacks → the functions with the most samples, by self time
    and by inclusive time, in % of all samples of busy threads."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _sep, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if not f.startswith(("thread (", "process "))]
        # "function (path/to/file.py:line)" -> "function (file.py)"
        names = [re.sub(r"\((?:.*/)?([^/:]+)(?::\d+)?\)", r"(\1)", f) for f in frames]
        if names:
            own[names[-1]] = own.get(names[-1], 0) + n
        for name in set(names):
            inclusive[name] = inclusive.get(name, 0) + n

    def best(d):
        ranked = sorted(d.items(), key=lambda kv: -kv[1])[:top]
        return [(name, round(100 * n / total, 1)) for name, n in ranked]

    return {"samples": total, "self": best(own), "inclusive": best(inclusive)}


def print_table(r: dict) -> None:
    rows = [
        ("database", r["db"]),
        ("subscribers", f"{r['subscribers']:,}"),
        ("workers", f"{r['processes']} processes x {r['threads']} threads"),
        ("batch / chunk size", f"{r['batch_size']} / {r['chunk_size']}"),
        ("started via", r.get("started_via")),
        ("issue status", f"{r.get('status')}, deliveries {r.get('deliveries')}"),
        *([("STALLED", r["stalled"])] if r.get("stalled") else []),
        ("smtp-sink received", r.get("sink_received")),
        ("message size", f"{r.get('message_bytes', 0):,} bytes"),
        ("wall time (start -> sent)", f"{r.get('seconds')} s"),
        ("end to end", f"{r.get('msgs_per_s')} msg/s"),
        ("  (started_at -> finished_at)", f"{r.get('db_msgs_per_s')} msg/s"),
        (
            "ceiling (smtp-ceiling)",
            f"{r.get('ceiling_msgs_per_s')} msg/s, {r.get('ceiling_sessions')} sessions "
            f"(before {r.get('ceiling_before')}, after {r.get('ceiling_after')})",
        ),
        ("ratio to ceiling", r.get("ratio")),
        (
            "worker peak RSS (MiB)",
            ", ".join(f"{pid}: {mib}" for pid, mib in r.get("worker_rss_peak_mib", {}).items()),
        ),
        (
            "CPU per message (ms)",
            ", ".join(f"{k} {v}" for k, v in r.get("cpu_ms_per_msg", {}).items()),
        ),
        ("machine busy during the send", f"{r.get('machine_busy', 0):.0%} of all cores"),
        ("load average before / after", f"{r.get('load_before')} / {r.get('load_after')}"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    for key, title in (("admin_before", "before the send"), ("admin", "during the send")):
        print(f"\n{'admin page ' + title:44} {'n':>4} {'median':>9} {'p95':>9} {'max':>9}")
        for page, t in r.get(key, {}).items():
            print(
                f"{page:44} {t['n']:>4} {t['median_ms']:>7.1f}ms {t['p95_ms']:>7.1f}ms "
                f"{t['max_ms']:>7.1f}ms"
            )
    if r.get("admin_pages_missing"):
        print("not measured (not built yet): " + ", ".join(r["admin_pages_missing"]))
    if r.get("admin_errors"):
        print(f"admin errors: {r['admin_errors'][:10]}")
    if r.get("profile"):
        print(f"profile (py-spy raw): {r['profile']}")
    summary = r.get("profile_summary")
    if summary:
        for kind in ("self", "inclusive"):
            print(f"\nhot spots, {kind} time (% of {summary['samples']} samples):")
            for name, pct in summary[kind]:
                print(f"  {pct:5.1f}%  {name}")


def arguments() -> argparse.ArgumentParser:
    """The options, also those of benchmarks built on this one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=4, help="dramatiq worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker process")
    parser.add_argument(
        "--nice", type=int, default=10, help="the workers' nice level (the Procfile's is 10)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--via",
        choices=("auto", "scheduler"),
        default="auto",
        help="auto: the API's send route if it exists, else the scheduler",
    )
    parser.add_argument("--redis", help="broker URL (default: the first empty db on :6379)")
    parser.add_argument(
        "--sessions", type=int, help="SMTP sessions for the ceiling (default P x T)"
    )
    parser.add_argument("--ceiling-count", type=int, default=20_000)
    parser.add_argument("--ceiling-tool", type=Path, default=CEILING, help="smtp-ceiling script")
    parser.add_argument("--dkim", action="store_true", help="sign with a fresh 2048-bit key")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="SECONDS",
        help="py-spy the first worker process for SECONDS (raw output kept)",
    )
    parser.add_argument(
        "--profile-gil",
        action="store_true",
        help="sample only the thread holding the GIL (CPU hot spots, not waiting)",
    )
    parser.add_argument(
        "--profile-web",
        action="store_true",
        help="py-spy a gunicorn worker (the admin pages) instead of a dramatiq worker",
    )
    parser.add_argument("--log-level", default="INFO", help="KKP_LOG_LEVEL of the services")
    parser.add_argument(
        "--baseline", type=float, default=5.0, help="seconds of admin pages before the send"
    )
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument(
        "--stall",
        type=float,
        default=60.0,
        help="give up when smtp-sink receives nothing for this many seconds",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the instance folder, its logs and the PostgreSQL database",
    )
    return parser


def main() -> None:
    args = arguments().parse_args()
    if args.profile:
        args.keep = True

    bench = Bench(args)
    try:
        result = bench.run()
    finally:
        bench.cleanup()
    print_table(result)
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
