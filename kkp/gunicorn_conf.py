"""gunicorn settings shared by the Procfile and `make run` (`-c python:kkp.gunicorn_conf`).

The access log names the path with the token of a token URL and any query string
redacted (`GET /unsubscribe/[redacted]?[redacted]`), and leaves out the referer: links
carry tokens, and an editor's search (`/admin/subscribers?q=…`) would otherwise put
addresses in the log. gunicorn's own error lines (which name the URL of a request that
failed) are redacted the same way.
"""

from gunicorn.glogging import Logger

from kkp.redaction import REDACTED, install_log_redaction, redact, redact_path

#: client, time, request line (redacted), status, bytes, seconds
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(B)s %(L)ss'


class RedactingLogger(Logger):
    """gunicorn's logger, with nothing secret in the atoms of the access log."""

    def setup(self, cfg) -> None:
        install_log_redaction()
        super().setup(cfg)

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
