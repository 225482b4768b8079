"""The supervisor's output: lines prefixed with a child's name, coloured on a terminal;
and Fatal, the error whose message tells the user what to do."""

from __future__ import annotations

import os
import sys
import threading

COLORS = {
    "web": "36",
    "worker": "33",
    "mailer": "32",
    "clock": "35",
    "redis": "31",
    "setup": "34",
    "kkp": "1;32",
}


class Fatal(Exception):
    """A problem the user has to solve; the message says how."""


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
