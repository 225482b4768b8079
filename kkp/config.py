"""Configuration from environment variables, with the embedded defaults of DESIGN.md."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def instance_path() -> Path:
    """The instance folder: SQLite file, embedded Redis socket and data, secret key."""
    return Path(os.environ.get("KKP_INSTANCE_PATH", "instance")).resolve()


def embedded_broker_url(instance: Path) -> str:
    """The unix socket of the private Redis that `make run` starts."""
    return f"unix://{instance / 'redis' / 'redis.sock'}"


def load_secret_key(instance: Path) -> str:
    """Read the secret key from the instance folder, generating it once.

    The file is created exclusively so that processes starting at the same moment
    agree on one key.
    """
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    for _ in range(50):
        key = path.read_text().strip()
        if key:
            return key
        import time

        time.sleep(0.02)
    raise RuntimeError(f"secret key file {path} is empty; delete it and start again")


def _positive(env, name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        raise ValueError(f"{name} must be a positive whole number, not {raw!r}")
    return value


def from_environment() -> dict:
    """Build the Flask config mapping from `KKP_*` variables."""
    env = os.environ
    instance = instance_path()
    port = env.get("PORT", "5000")
    config = {
        "KKP_INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": env.get("KKP_DATABASE_URL")
        or f"sqlite:///{instance / 'kkp.db'}",
        "KKP_BROKER_URL": env.get("KKP_BROKER_URL") or embedded_broker_url(instance),
        #: the prefix of the broker's keys, so that several instances can share one Redis
        "KKP_BROKER_NAMESPACE": env.get("KKP_BROKER_NAMESPACE") or "kkp",
        "KKP_SMTP_URL": env.get("KKP_SMTP_URL") or None,
        "KKP_BASE_URL": (env.get("KKP_BASE_URL") or f"http://127.0.0.1:{port}").rstrip("/"),
        "SECRET_KEY": env.get("KKP_SECRET_KEY") or load_secret_key(instance),
        "KKP_MAIL_FROM": env.get("KKP_MAIL_FROM", "KKP Kompakt <newsletter@localhost>"),
        "KKP_DKIM_SELECTOR": env.get("KKP_DKIM_SELECTOR"),
        "KKP_DKIM_DOMAIN": env.get("KKP_DKIM_DOMAIN"),
        "KKP_DKIM_KEY_FILE": env.get("KKP_DKIM_KEY_FILE"),
        #: the envelope sender per recipient (VERP), `{token}` standing for the delivery,
        #: e.g. `bounces+{token}@kkp.example.org`; unset: the address of KKP_MAIL_FROM
        "KKP_RETURN_PATH": env.get("KKP_RETURN_PATH") or None,
        #: at most N messages per window for relays with quotas, e.g. `500/3600`
        #: (messages/seconds); shared by all workers; unset: as fast as possible
        "KKP_SEND_RATE": env.get("KKP_SEND_RATE") or None,
        #: subscribers per batch of delivery rows, and deliveries per chunk that one
        #: worker thread sends over one SMTP connection
        "KKP_ISSUE_BATCH_SIZE": _positive(env, "KKP_ISSUE_BATCH_SIZE", 1000),
        "KKP_ISSUE_CHUNK_SIZE": _positive(env, "KKP_ISSUE_CHUNK_SIZE", 250),
        "KKP_RATELIMIT_STORAGE_URL": env.get("KKP_RATELIMIT_STORAGE_URL"),
        "KKP_UNCONFIRMED_RETENTION_DAYS": int(env.get("KKP_UNCONFIRMED_RETENTION_DAYS", "7")),
        "KKP_RECORD_IP": env.get("KKP_RECORD_IP", "0") == "1",
        "KKP_OFFICE_NAME": env.get("KKP_OFFICE_NAME", "Geschäftsstelle KKP"),
        "KKP_IMPRESSUM_URL": env.get("KKP_IMPRESSUM_URL", ""),
        "KKP_PRIVACY_URL": env.get("KKP_PRIVACY_URL", ""),
        "KKP_LOG_LEVEL": env.get("KKP_LOG_LEVEL", "INFO"),
    }
    return config


class Defaults:
    """Settings that are not read from the environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    MAX_CONTENT_LENGTH = 20 * 1024 * 1024  # bytes; CSV imports are the largest uploads
    #: rate limits, in the notation of Flask-Limiter
    KKP_LOGIN_LIMIT = "10 per minute;50 per hour"
    KKP_PUBLIC_FORM_LIMIT = "20 per minute;200 per hour"
    KKP_API_LIMIT = "600 per minute"
    #: at most this many confirmation mails per address within 24 hours
    KKP_CONFIRMATION_MAILS_PER_DAY = 3
    #: no new confirmation mail for the same lists within this many minutes
    KKP_CONFIRMATION_RESEND_MINUTES = 10
    #: a delivery left in "sending" this long is handed out again by the sweeper (minutes)
    KKP_DELIVERY_STALE_MINUTES = 10
    #: an issue pauses itself after this many failed deliveries in a row
    KKP_ISSUE_PAUSE_AFTER_FAILURES = 20
    #: images in articles (bytes)
    KKP_IMAGE_MAX_BYTES = 2 * 1024 * 1024
    KKP_PRIVACY_TEXT_VERSION = None
