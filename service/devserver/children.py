"""The supervised processes: what web, worker, mailer and clock run, and a Child for each, in
its own process group, that gets SIGTERM when the supervisor dies."""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from kkp.mail.tasks import INTERACTIVE_QUEUE, WORKER_QUEUES
from service.devserver.output import Fatal, Output


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux: a preexec function so a child gets SIGTERM if the supervisor is killed."""
    if not sys.platform.startswith("linux"):
        return None
    try:
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
            "--config",
            "python:kkp.gunicorn_conf",
            # one control socket per user would be shared by instances side by side
            "--no-control-socket",
            "service.app:create_app()",
        ],
        # the bulk send and the other background work; the interactive lane apart, so
        # that a confirmation never waits behind an issue's chunks (kkp.mail.tasks)
        "worker": _script("dramatiq", ["-m", "dramatiq"])
        + ["--processes", "1", "--threads", "8", "workers.app", "--queues", *WORKER_QUEUES],
        "mailer": _script("dramatiq", ["-m", "dramatiq"])
        + ["--processes", "1", "--threads", "2", "workers.app", "--queues", INTERACTIVE_QUEUE],
        "clock": _script("kkp", ["-c", "from service.cli import main; main()"]) + ["clock"],
    }
