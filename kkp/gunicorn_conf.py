"""gunicorn settings shared by the Procfile and `make run` (`-c python:kkp.gunicorn_conf`).

The access log names the path with the token of a token URL and any query string
redacted (`GET /unsubscribe/[redacted]?[redacted]`), and leaves out the referer: links
carry tokens, and an editor's search (`/admin/subscribers?q=…`) would otherwise put
addresses in the log. gunicorn's own error lines (which name the URL of a request that
failed) are redacted the same way. With `KKP_LOG_FORMAT=json` gunicorn's lines are
JSON lines too, the access log's with the request's id.

The web processes count their requests in prometheus-client's multiprocess mode
(service.metrics): its files in `instance/metrics`, emptied when gunicorn starts, a
dead process's live figures dropped; with `KKP_METRICS_BIND` one process serves them
there (the first to take the port; when it ends, the one that replaces it).
"""

import os
from pathlib import Path

from gunicorn.glogging import Logger

from kkp.config import instance_path, private_folder
from kkp.logs import JsonLines
from kkp.redaction import REDACTED, install_log_redaction, redact, redact_path
from kkp.request_id import request_id

#: client, time, request line (redacted), status, bytes, seconds
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(L)ss'


class RedactingLogger(Logger):
    """gunicorn's logger, with nothing secret in the atoms of the access log."""

    def setup(self, cfg) -> None:
        install_log_redaction()
        super().setup(cfg)
        if os.environ.get("KKP_LOG_FORMAT", "").strip() == "json":
            for handler in self.error_log.handlers + self.access_log.handlers:
                handler.setFormatter(JsonLines())

    def access(self, resp, req, environ, request_time) -> None:
        """The access line with the request's id (for JSON lines): the app has forgotten
        it by now, its answer still names it."""
        rid = next((v for k, v in resp.headers if k.lower() == "x-request-id"), None)
        token = request_id.set(rid)
        try:
            super().access(resp, req, environ, request_time)
        finally:
            request_id.reset(token)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = redact_path(environ.get("PATH_INFO") or "")
        query = environ.get("QUERY_STRING")
        atoms["U"] = path
        atoms["q"] = REDACTED if query else ""
        shown = f"{path}?{REDACTED}" if query else path
        atoms["r"] = f"{environ.get('REQUEST_METHOD')} {shown} {environ.get('SERVER_PROTOCOL')}"
        atoms["f"] = "-"
        for key, value in atoms.items():
            if key.endswith(("}i", "}e", "}o")):
                name = key[1:-2]
                secret = name in ("authorization", "cookie", "set-cookie", "http_authorization")
                atoms[key] = REDACTED if secret else redact(str(value))
        return atoms


logger_class = RedactingLogger


def on_starting(server) -> None:
    """Before the web processes start: prometheus-client's multiprocess mode for them,
    its files in the instance folder (or PROMETHEUS_MULTIPROC_DIR), emptied."""
    path = Path(
        os.environ.get("PROMETHEUS_MULTIPROC_DIR") or private_folder(instance_path() / "metrics")
    )
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
    for stale in path.glob("*.db"):
        stale.unlink()


def post_worker_init(worker) -> None:
    """One web process serves the metrics on KKP_METRICS_BIND (the first to take it)."""
    serve = getattr(worker.wsgi, "extensions", {}).get("kkp_metrics")
    if serve is not None:
        serve(worker.wsgi)


def child_exit(server, worker) -> None:
    """A web process ended: its live gauges go (its counts stay in the sums)."""
    # imported here, not at the top: prometheus-client picks its multiprocess mode when
    # first imported, which must be after on_starting set the folder (the web processes
    # are forked from this one)
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
