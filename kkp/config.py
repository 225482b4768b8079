"""Configuration from environment variables, with the embedded defaults of DESIGN.md.

Every setting named `KKP_…` in :class:`Defaults` can be set from the environment
variable of the same name; the default's type says how the value is read (a whole
number, a number, yes/no, text). A value that cannot be read stops the start with a
message naming the variable.
"""

from __future__ import annotations

import os
import secrets
import stat
import time
from pathlib import Path


def instance_path() -> Path:
    """The instance folder: SQLite file, embedded Redis socket and data, secret key."""
    return Path(os.environ.get("KKP_INSTANCE_PATH", "instance")).resolve()


def embedded_broker_url(instance: Path) -> str:
    """The unix socket of the private Redis that `make run` starts."""
    return f"unix://{instance / 'redis' / 'redis.sock'}"


def private_folder(path: Path) -> Path:
    """`path` as a folder only its owner may enter (0700), created if need be.

    An existing folder is tightened when it is ours and not a shared one such as /tmp
    (sticky bit).
    """
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    status = path.stat()
    if (
        status.st_uid == os.geteuid()
        and status.st_mode & 0o077
        and not status.st_mode & stat.S_ISVTX
    ):
        path.chmod(0o700)
    return path


def private_file(path: Path | str) -> None:
    """Tighten an existing file of ours to its owner only (0600); a missing one is left."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        return
    if status.st_uid == os.geteuid() and status.st_mode & 0o077:
        os.chmod(path, status.st_mode & 0o700)


def load_secret_key(instance: Path) -> str:
    """Read the secret key from the instance folder, generating it once.

    The file is created exclusively so that processes starting at the same moment
    agree on one key.
    """
    path = instance / "secret_key"
    if not path.exists():
        private_folder(instance)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    private_file(path)  # one made by an older version may be readable by others
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"secret key file {path} is empty; delete it and start again")


class Defaults:
    """Every setting with its default. The `KKP_…` ones are read from the environment
    by :func:`from_environment`; the others are Flask's and its extensions'."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # bytes; CSV imports are the largest uploads

    #: the prefix of the broker's keys, so that several instances can share one Redis
    KKP_BROKER_NAMESPACE = "kkp"
    #: unset: mail goes to the local outbox
    KKP_SMTP_URL: str | None = None
    KKP_MAIL_FROM = "KKP Kompakt <newsletter@localhost>"
    KKP_DKIM_SELECTOR: str | None = None
    KKP_DKIM_DOMAIN: str | None = None
    KKP_DKIM_KEY_FILE: str | None = None
    #: a second signature, ed25519-sha256 (RFC 8463), beside the RSA one: its own selector
    KKP_DKIM_ED25519_SELECTOR: str | None = None
    KKP_DKIM_ED25519_KEY_FILE: str | None = None
    #: the envelope sender per recipient (VERP), `{token}` standing for the delivery,
    #: e.g. `bounces+{token}@kkp.example.org`; unset: the address of KKP_MAIL_FROM
    KKP_RETURN_PATH: str | None = None
    #: the public IP addresses mail leaves from (comma-separated), for the sender domain
    #: check's SPF test; unset: the public addresses of the host in KKP_SMTP_URL
    KKP_SENDING_IPS: str | None = None
    #: soft bounces (a full mailbox, a server down) of one address within
    #: KKP_SOFT_BOUNCE_DAYS days that put it on the suppression list; a hard bounce does at once
    KKP_SOFT_BOUNCE_LIMIT = 3
    KKP_SOFT_BOUNCE_DAYS = 30
    #: the mailbox returned mails arrive in, read over IMAP (see kkp.mail.imap), e.g.
    #: `imaps://user:pass@host/INBOX?processed=Processed`; unset: not read
    KKP_BOUNCE_IMAP_URL: str | None = None
    #: how often the scheduler reads that mailbox (seconds)
    KKP_BOUNCE_POLL_SECONDS = 300
    #: at most N messages per window for relays with quotas, e.g. `500/3600`
    #: (messages/seconds); shared by all workers; unset: as fast as possible
    KKP_SEND_RATE: str | None = None
    #: subscribers per batch of delivery rows, and deliveries per chunk that one
    #: worker thread sends over one SMTP connection
    KKP_ISSUE_BATCH_SIZE = 1000
    #: rows of a CSV import stored per transaction
    KKP_IMPORT_BATCH_SIZE = 500
    KKP_ISSUE_CHUNK_SIZE = 250
    #: where rate-limit counters are kept; unset: the broker's Redis (else in memory)
    KKP_RATELIMIT_STORAGE_URL: str | None = None
    #: confirmation links expire, and unconfirmed sign-ups are deleted, after this many days
    KKP_UNCONFIRMED_RETENTION_DAYS = 7
    #: months after an event's last date (a series': its last date) until the nightly
    #: job anonymises its registrations; an event or series may set its own
    KKP_RETENTION_MONTHS = 12
    #: days after an event's (a course's last date's) end its feedback form stays open
    KKP_FEEDBACK_DAYS = 30
    #: store the IP address with consent records
    KKP_RECORD_IP = False
    KKP_OFFICE_NAME = "Geschäftsstelle KKP"
    KKP_IMPRESSUM_URL = ""
    KKP_PRIVACY_URL = ""
    KKP_LOG_LEVEL = "INFO"
    #: `text` (plain lines) or `json` (one JSON object per line, with the request id)
    KKP_LOG_FORMAT = "text"
    #: /metrics answers only with `Authorization: Bearer <this>`; unset: only on
    #: KKP_METRICS_BIND, if that is set
    KKP_METRICS_TOKEN: str | None = None
    #: an address of its own for the web's metrics, without a token, e.g. `127.0.0.1:9100`
    KKP_METRICS_BIND: str | None = None
    #: where the workers' Dramatiq metrics are served, e.g. `127.0.0.1:9191`; unset: none
    KKP_WORKER_METRICS_BIND: str | None = None
    #: rate limits, in the notation of Flask-Limiter; the login's counts failed attempts,
    #: per account and per client address
    KKP_LOGIN_LIMIT = "10 per minute;50 per hour"
    KKP_PUBLIC_FORM_LIMIT = "20 per minute;200 per hour"
    KKP_API_LIMIT = "600 per minute"
    #: reverse proxies in front of the web processes whose X-Forwarded-For and
    #: X-Forwarded-Proto are believed (0: none, the headers are ignored)
    KKP_TRUSTED_PROXIES = 0
    #: an editor's session ends after this many minutes without a request (0: never)
    KKP_EDITOR_IDLE_MINUTES = 60
    #: at most this many confirmation mails per address within 24 hours (and as many
    #: mails with a fresh link to the preference centre)
    KKP_CONFIRMATION_MAILS_PER_DAY = 3
    #: links to the preference centre and to the data export work this many days
    #: (unsubscribe links work for ever)
    KKP_PREFERENCES_LINK_DAYS = 30
    #: no new confirmation mail for the same lists within this many minutes
    KKP_CONFIRMATION_RESEND_MINUTES = 10
    #: a registration through the public form holds its seat this many minutes until
    #: its owner clicks the link in the mail; then the seat goes to the waiting list
    KKP_REGISTRATION_HOLD_MINUTES = 60
    #: at most this many mails per address and hour from the public event forms
    KKP_REGISTRATION_MAILS_PER_HOUR = 3
    #: a delivery left in "sending" this long is handed out again by the sweeper (minutes)
    KKP_DELIVERY_STALE_MINUTES = 10.0
    #: an issue pauses itself after this many failed deliveries in a row
    KKP_ISSUE_PAUSE_AFTER_FAILURES = 20
    #: images in articles (bytes)
    KKP_IMAGE_MAX_BYTES = 2 * 1024 * 1024
    #: the longest article text, and intro, of an issue (characters): about eight
    #: printed pages, far more than a newsletter article needs, and a bound on what
    #: rendering its Markdown may cost
    KKP_ARTICLE_MAX_LENGTH = 20_000
    #: how long a subscribed calendar is served from a process's cache before it asks
    #: the database whether it changed (seconds)
    KKP_CALENDAR_RECHECK_SECONDS = 1.0
    #: the cost of an editor's password hash (argon2id): passes over memory, and memory
    #: (KiB, at least 32); a stored hash of another cost is made again at the next login
    KKP_PASSWORD_HASH_TIME_COST = 3
    KKP_PASSWORD_HASH_MEMORY_KIB = 64 * 1024


def bind_address(name: str, value: str) -> tuple[str, int]:
    """A setting such as `127.0.0.1:9100` read as (host, port); `[::1]:9100` for IPv6."""
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{name} must look like 127.0.0.1:9100, not {value!r}")
    return host.strip("[]"), int(port)


#: read from the environment, but computed from other values when unset
_DERIVED = ("KKP_INSTANCE_PATH", "KKP_DATABASE_URL", "KKP_BROKER_URL", "KKP_BASE_URL",
            "KKP_SECRET_KEY")  # fmt: skip


#: settings where 0 would stop the service or undo a safeguard (a stale time of 0
#: would let two workers take the same mail; no mail an hour, no registration at all)
AT_LEAST_ONE = (
    "KKP_ISSUE_BATCH_SIZE",
    "KKP_IMPORT_BATCH_SIZE",
    "KKP_ISSUE_CHUNK_SIZE",
    "KKP_UNCONFIRMED_RETENTION_DAYS",
    "KKP_CONFIRMATION_MAILS_PER_DAY",
    "KKP_PREFERENCES_LINK_DAYS",
    "KKP_REGISTRATION_HOLD_MINUTES",
    "KKP_REGISTRATION_MAILS_PER_HOUR",
    "KKP_DELIVERY_STALE_MINUTES",
    "KKP_ISSUE_PAUSE_AFTER_FAILURES",
    "KKP_IMAGE_MAX_BYTES",
    "KKP_ARTICLE_MAX_LENGTH",
    "KKP_PASSWORD_HASH_TIME_COST",
)


#: argon2 needs 8 KiB per lane, and the hash uses four lanes
MIN_HASH_MEMORY_KIB = 32


def settings() -> dict[str, object]:
    """The `KKP_…` settings of :class:`Defaults` and their defaults."""
    return {
        name: getattr(Defaults, name)
        for name in dir(Defaults)
        if name.startswith("KKP_") and not callable(getattr(Defaults, name))
    }


def _read(name: str, raw: str, default: object) -> object:
    """`raw` read as the type of `default`; :class:`ValueError` naming the variable."""
    raw = raw.strip()
    if isinstance(default, bool):
        lowered = raw.lower()
        if lowered in ("1", "true", "yes", "on", "ja"):
            return True
        if lowered in ("0", "false", "no", "off", "nein", ""):
            return False
        raise ValueError(f"{name} must be 1 or 0 (yes or no), not {raw!r}")
    if isinstance(default, int):
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < 0:
            raise ValueError(f"{name} must be a whole number of 0 or more, not {raw!r}")
        return value
    if isinstance(default, float):
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not value >= 0:
            raise ValueError(f"{name} must be a number of 0 or more, not {raw!r}")
        return value
    return raw or default


def from_environment(env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from `KKP_*` variables."""
    env = os.environ if env is None else env
    instance = instance_path()
    port = env.get("PORT", "5000")
    config: dict[str, object] = {}
    for name, default in settings().items():
        if env.get(name) is not None:
            config[name] = _read(name, env[name], default)
    for name in AT_LEAST_ONE:
        if config.get(name) == 0:
            raise ValueError(f"{name} must be a positive whole number, not 0")
    if config.get("KKP_PASSWORD_HASH_MEMORY_KIB", MIN_HASH_MEMORY_KIB) < MIN_HASH_MEMORY_KIB:
        raise ValueError(
            f"KKP_PASSWORD_HASH_MEMORY_KIB must be at least {MIN_HASH_MEMORY_KIB}, "
            f"not {config['KKP_PASSWORD_HASH_MEMORY_KIB']}"
        )
    config.update(
        {
            "KKP_INSTANCE_PATH": str(instance),
            "SQLALCHEMY_DATABASE_URI": env.get("KKP_DATABASE_URL")
            or f"sqlite:///{instance / 'kkp.db'}",
            "KKP_BROKER_URL": env.get("KKP_BROKER_URL") or embedded_broker_url(instance),
            "KKP_BASE_URL": (env.get("KKP_BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
            "SECRET_KEY": env.get("KKP_SECRET_KEY") or load_secret_key(instance),
        }
    )
    return config
