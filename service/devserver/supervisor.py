"""The supervisor: one per instance folder (a lock). Starts Redis, the prepare step,
then web, worker, mailer and clock; starts a child that died again (with a backoff), shows the
banner once web answers, and stops everything on Ctrl-C or SIGTERM."""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from kkp.config import instance_path, load_secret_key, private_folder
from service.devserver.children import Child, _parent_death_signal, commands, describe_status
from service.devserver.output import Fatal, Output
from service.devserver.prepare import ADMIN_EMAIL, PASSWORD_FILE, PASSWORD_VALID_MARK
from service.devserver.redis import start_redis

STOP_TIMEOUT = 10.0
#: a child that stops within this many seconds of its start died "quickly"
QUICK_DEATH_SECONDS = 30.0
#: give up on a child after this many quick deaths in a row
MAX_QUICK_DEATHS = 5
HEALTH_WARNING_AFTER = 60.0


class Supervisor:
    def __init__(self, output: Output):
        self.output = output
        self.signals = 0
        self.preexec = _parent_death_signal()
        self.redis: Child | None = None
        self.children: list[Child] = []
        self.setup: Child | None = None
        self.failure: str | None = None
        self.lock = None
        self.port = 5000

    # signals

    def install_signal_handlers(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum, _frame) -> None:
        self.signals += 1
        if self.signals == 2:
            self.note("second signal: killing everything now")

    @property
    def stopping(self) -> bool:
        return self.signals > 0 or self.failure is not None

    def note(self, text: str) -> None:
        self.output.line("kkp", text)

    # supervising

    def start(self, child: Child) -> None:
        child.start(self.preexec)

    def run_once(self, child: Child) -> int | None:
        """Run a one-shot child to its end; None if interrupted by a stop request."""
        self.setup = child
        self.start(child)
        while child.exited() is None:
            if self.stopping:
                return None
            time.sleep(0.1)
        child.flush_output()
        self.setup = None
        return child.exited()

    def check_children(self) -> None:
        """Restart children that died; give up on one that keeps dying quickly."""
        now = time.monotonic()
        for child in [c for c in (self.redis, *self.children) if c is not None]:
            if child.gave_up:
                continue
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.note(f"starting {child.name} again")
                    self.start(child)
                continue
            code = child.exited()
            if code is None:
                continue
            child.flush_output(0.5)
            if child.group_alive():  # leftovers of a crashed leader
                child.signal_group(signal.SIGKILL)
            ran = now - child.started_at
            child.quick_deaths = child.quick_deaths + 1 if ran < QUICK_DEATH_SECONDS else 1
            if child.quick_deaths >= MAX_QUICK_DEATHS:
                child.gave_up = True
                self.failure = (
                    f"{child.name} stopped {child.quick_deaths} times in a row shortly after "
                    f"starting ({describe_status(code)}); giving up. The lines starting with "
                    f"'{child.name} |' above say why."
                    + (
                        " If the port is taken, start on another one: "
                        f"PORT={next_free_port(self.port)} make run"
                        if child.name == "web"
                        else ""
                    )
                )
                return
            delay = min(2 ** (child.quick_deaths - 1), 16)
            self.note(
                f"{child.name} stopped unexpectedly ({describe_status(code)}); "
                f"starting it again in {delay} s"
            )
            child.restart_at = now + delay

    def stop_all(self) -> None:
        """SIGTERM the children, wait up to STOP_TIMEOUT, SIGKILL leftovers; Redis last."""
        groups = [c for c in (self.setup, *self.children) if c is not None]
        self._stop(groups)
        if self.redis is not None:
            self._stop([self.redis])

    def _stop(self, children: list[Child]) -> None:
        alive = [c for c in children if c.group_alive()]
        if not alive:
            return
        self.note("stopping " + ", ".join(c.name for c in alive))
        # SIGTERM to each child itself: gunicorn's and Dramatiq's main processes pass it
        # on to their workers (a second SIGTERM would make Dramatiq kill its workers
        # instead of letting them finish their messages). Whatever is left of a group
        # after its leader ended gets SIGTERM too; SIGKILL after STOP_TIMEOUT.
        for child in alive:
            child.signal_leader(signal.SIGTERM)
        orphans_told: set[str] = set()
        deadline = time.monotonic() + STOP_TIMEOUT
        while alive and time.monotonic() < deadline and self.signals < 2:
            time.sleep(0.1)
            alive = [c for c in alive if c.group_alive()]
            for child in alive:
                if child.exited() is not None and child.name not in orphans_told:
                    orphans_told.add(child.name)
                    child.signal_group(signal.SIGTERM)
        for child in alive:
            self.note(f"{child.name} did not stop within {STOP_TIMEOUT:.0f} s: killing it")
            child.signal_group(signal.SIGKILL)
        deadline = time.monotonic() + 5
        while alive and time.monotonic() < deadline:
            time.sleep(0.05)
            alive = [c for c in alive if c.group_alive()]
        for child in children:
            child.flush_output(0.5)


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def next_free_port(port: int) -> int:
    for candidate in range(port + 1, min(port + 100, 65536)):
        if port_is_free(candidate):
            return candidate
    return port + 1


def lock_instance(instance: Path):
    """Hold an exclusive lock on the instance folder for as long as we run."""
    handle = open(instance / "devserver.lock", "w")  # noqa: SIM115 - held until exit
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise Fatal(
            f"Another `make run` is using the instance folder {instance}.\n"
            "Stop it first, or start a second one with its own folder and port, e.g.\n"
            "    PORT=5001 KKP_INSTANCE_PATH=/tmp/kkp-b make run"
        ) from None
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def health(port: int) -> tuple[bool, str]:
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - our own URL
            return response.status == 200, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}: {exc.read(300).decode('utf-8', 'replace')}"
    except (OSError, ValueError) as exc:
        return False, str(exc)


def banner(base_url: str, instance: Path, password: str | None) -> str:
    password_file = instance / PASSWORD_FILE
    if password:
        login = [
            f"  Anmeldung / Admin login:   {base_url}/admin/login",
            f"      E-Mail / e-mail:       {ADMIN_EMAIL}",
            f"      Passwort / password:   {password}",
            f"      (gespeichert in / stored in {password_file})",
        ]
    else:
        prefix = (
            "" if instance == Path("instance").resolve() else (f"KKP_INSTANCE_PATH={instance} ")
        )
        login = [
            f"  Anmeldung / Admin login:   {base_url}/admin/login",
            "      mit Ihrem Konto / with your editor account; ein neues / a new one:",
            f"      {prefix}.venv/bin/kkp create-editor EMAIL --role admin",
        ]
    rule = "=" * 78
    lines = [
        "",
        rule,
        "  KKP Kompakt läuft / is running",
        "",
        f"  Adresse / URL:             {base_url}",
        *login,
        f"  Postausgang / outbox:      {base_url}/admin/outbox/",
        "      (E-Mails landen hier, solange KKP_SMTP_URL nicht gesetzt ist /",
        "       mail lands here while KKP_SMTP_URL is not set)",
        "",
        "  Strg+C beendet / Ctrl-C stops",
        rule,
        "",
    ]
    return "\n".join(lines) + "\n"


# -- main -----------------------------------------------------------------------------------


def _port() -> int:
    raw = os.environ.get("PORT", "5000")
    try:
        port = int(raw)
    except ValueError:
        raise Fatal(f"PORT must be a number, not {raw!r}; e.g. PORT=5001 make run") from None
    if not 0 < port < 65536:
        raise Fatal(f"PORT must be between 1 and 65535, not {port}")
    return port


def main() -> int:
    # Everything the instance keeps (database, Redis data, secret key, admin password)
    # and everything the children write is for this user only.
    os.umask(0o077)
    output = Output()
    sup = Supervisor(output)
    sup.install_signal_handlers()
    try:
        code = _run(sup)
    except Fatal as exc:
        output.write("\n")
        for line in str(exc).splitlines():
            sup.note(line)
        output.write("\n")
        code = 1
    except Exception as exc:  # noqa: BLE001 - stop the children whatever happened
        sup.note(f"unexpected error: {type(exc).__name__}: {exc}")
        code = 1
        try:
            sup.stop_all()
        finally:
            raise
    sup.stop_all()
    if sup.failure:
        sup.note(sup.failure)
        code = 1
    sup.note("stopped" if code == 0 else "stopped after an error")
    return code


def _run(sup: Supervisor) -> int:
    instance = private_folder(instance_path())
    sup.lock = lock_instance(instance)  # held until the process ends
    port = sup.port = _port()
    if not port_is_free(port):
        raise Fatal(
            f"Port {port} is in use (another `make run`, or another program).\n"
            f"Start on another port:   PORT={next_free_port(port)} make run\n"
            "(a second instance beside the first also needs its own folder: "
            "KKP_INSTANCE_PATH=/tmp/kkp-b)"
        )
    load_secret_key(instance)

    env = dict(os.environ)
    env["KKP_INSTANCE_PATH"] = str(instance)
    env["PORT"] = str(port)
    env["PYTHONUNBUFFERED"] = "1"
    sup.note(f"instance folder {instance}, port {port}")

    if env.get("KKP_BROKER_URL"):
        sup.note("broker: KKP_BROKER_URL is set, no private Redis")
    else:
        env["KKP_BROKER_URL"] = start_redis(sup, instance, env)
        if sup.stopping:
            return 0

    password_valid = threading.Event()

    def mark(line: str) -> bool:
        if line.strip() == PASSWORD_VALID_MARK:
            password_valid.set()
            return True
        return False

    setup = Child(
        "setup",
        [sys.executable, "-m", "service.devserver", "--prepare"],
        env,
        sup.output,
        on_line=mark,
    )
    code = sup.run_once(setup)
    if code is None:
        return 0
    if code != 0:
        raise Fatal(
            f"Preparing the database failed ({describe_status(code)}); the lines starting "
            "with 'setup |' above say why."
        )

    for name, argv in commands(port, instance).items():
        child = Child(name, argv, env, sup.output)
        sup.children.append(child)
        sup.start(child)

    base_url = (env.get("KKP_BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/")
    web = sup.children[0]
    shown = False
    warned = False
    next_check = time.monotonic() + 0.5
    while not sup.stopping:
        sup.check_children()
        if sup.stopping:
            break
        now = time.monotonic()
        if not shown and now >= next_check and web.exited() is None:
            ok, detail = health(port)
            if ok:
                password = None
                if password_valid.is_set():
                    try:
                        password = (instance / PASSWORD_FILE).read_text().strip() or None
                    except OSError:
                        password = None
                sup.output.write(banner(base_url, instance, password))
                shown = True
            elif not warned and now - web.started_at > HEALTH_WARNING_AFTER:
                sup.note(f"web does not answer {base_url}/healthz yet: {detail}")
                warned = True
            next_check = now + 0.5
        time.sleep(0.2)
    return 0
