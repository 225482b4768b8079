"""Where log lines go and how they look: plain text by default, one JSON object per line
with `KKP_LOG_FORMAT=json` (python-json-logger), in the web, the worker and the clock.

A JSON line holds time (UTC, ISO 8601), level, logger, message and request_id, and in an
actor also actor and message_id (:mod:`kkp.request_id`). Every record is redacted when
it is made (:mod:`kkp.redaction`); extra fields of a record are redacted here too.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

from kkp.redaction import install_log_redaction, redact
from kkp.request_id import current_message, request_id

TEXT_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"
FORMATS = ("text", "json")


class JsonLines(JsonFormatter):
    """A log record as one JSON object: time, level, logger, message, request_id, and
    actor and message_id in an actor."""

    def __init__(self) -> None:
        super().__init__(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
        )

    def add_fields(self, log_data, record, message_dict) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"
        )
        super().add_fields(log_data, record, message_dict)
        for key, value in log_data.items():
            if isinstance(value, str) and key not in ("time", "level", "logger"):
                log_data[key] = redact(value)
        log_data.setdefault("request_id", request_id.get())
        running = current_message.get()
        if running is not None:
            log_data.setdefault("actor", running[0])
            log_data.setdefault("message_id", running[1])


def formatter(log_format: str) -> logging.Formatter:
    return JsonLines() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def configure(level_name: str, log_format: str) -> None:
    """The process's logging: redaction, the level of our loggers, and the format of the
    root logger's lines (a handler of its own when nobody set one up, else the handlers
    that the Dramatiq CLI or a test set up, in JSON when asked)."""
    if log_format not in FORMATS:
        raise ValueError(f"KKP_LOG_FORMAT must be one of {', '.join(FORMATS)}, not {log_format!r}")
    install_log_redaction()  # no tokens and addresses in any log line
    level = getattr(logging, str(level_name).upper(), logging.INFO)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(formatter(log_format))
        root.addHandler(handler)
        root.setLevel(level)
    elif log_format == "json":
        for handler in root.handlers:
            if not isinstance(handler.formatter, JsonLines):
                handler.setFormatter(JsonLines())
    for name in ("kkp", "newsletter", "events", "people", "service", "workers"):
        logging.getLogger(name).setLevel(level)
    for noisy in ("alembic.runtime.plugins",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
