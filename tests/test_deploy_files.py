"""The deployment guide's files (docs/deploy.md, ops/): the systemd units pass
`systemd-analyze verify` and keep their hardening, nginx takes `kkp.conf`, every setting
and every `kkp` command they name exists, and the units run what the Procfile runs."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from kkp import config
from tests.services import require

ROOT = Path(__file__).resolve().parent.parent
SYSTEMD = ROOT / "ops" / "systemd"
NGINX = ROOT / "ops" / "nginx"
GUIDE = ROOT / "docs" / "deploy.md"
VENV_BIN = "/opt/kkp/current/venv/bin/"
UNITS = sorted(p.name for p in SYSTEMD.iterdir())
SERVICES = ("kkp-web.service", "kkp-worker.service", "kkp-mailer.service", "kkp-clock.service")


#: every long-running unit's hardening, as systemd reads it
HARDENING = {
    "User": "kkp",
    "Group": "kkp",
    "EnvironmentFile": "/etc/kkp/kkp.env",
    "WorkingDirectory": "/var/lib/kkp",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "StateDirectory": "kkp",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "MemoryDenyWriteExecute": "yes",
    "SystemCallFilter": "@system-service",
    "CapabilityBoundingSet": "",
    "UMask": "0027",
    "KillSignal": "SIGTERM",
}


def directives(path: Path) -> dict[str, list[str]]:
    """Each key of a unit file with its values, in order (sections merged)."""
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def seconds(value: str) -> float:
    """A systemd time span such as `11min`, `45` or `3min`."""
    units = {"": 1, "s": 1, "sec": 1, "min": 60, "h": 3600}
    number, unit = re.fullmatch(r"(\d+)\s*([a-z]*)", value).groups()
    return int(number) * units[unit]


def procfile() -> dict[str, list[str]]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return {name: shlex.split(command) for name, _, command in (x.partition(": ") for x in lines)}


# -- systemd ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def verified_copies(tmp_path_factory) -> Path:
    """The units as shipped, but for the venv's programs: `systemd-analyze verify`
    refuses a unit whose program is missing, so they are stand-ins (/bin/true) here."""
    folder = tmp_path_factory.mktemp("units")
    bin_dir = folder / "bin"
    bin_dir.mkdir()
    for program in ("gunicorn", "dramatiq", "kkp"):
        (bin_dir / program).symlink_to("/bin/true")
    for name in UNITS:
        text = (SYSTEMD / name).read_text().replace(VENV_BIN, f"{bin_dir}/")
        (folder / name).write_text(text)
    return folder


@pytest.mark.parametrize("unit", UNITS)
def test_systemd_analyze_verifies_the_unit(verified_copies, unit):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        require("systemd-analyze is not installed (Debian: systemd)")
    result = subprocess.run(
        [analyze, "verify", str(verified_copies / unit)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=verified_copies,
    )
    # verify names every unknown key and every value it cannot parse, and goes on
    assert result.returncode == 0 and not (result.stdout + result.stderr).strip(), (
        result.stdout + result.stderr
    )


@pytest.mark.parametrize("unit", [*SERVICES, "kkp-backup.service"])
def test_the_units_are_hardened(unit):
    found = directives(SYSTEMD / unit)
    for key, value in HARDENING.items():
        if unit == "kkp-backup.service" and key in ("KillSignal", "UMask", "WorkingDirectory"):
            continue
        assert found.get(key) == [value], f"{unit}: {key}={found.get(key)}, not {value}"
    if unit == "kkp-backup.service":
        assert found["UMask"] == ["0077"] and found["WorkingDirectory"] == ["/var/backups/kkp"]
    else:
        assert found["Restart"] == ["on-failure"]
        assert found["WantedBy"] == ["kkp.target"] and found["PartOf"] == ["kkp.target"]


@pytest.mark.parametrize("name", ["worker", "mailer"])
def test_a_worker_may_finish_its_messages_before_systemd_kills_it(name):
    found = directives(SYSTEMD / f"kkp-{name}.service")
    command = found["ExecStart"][0].split()
    shutdown_ms = int(command[command.index("--worker-shutdown-timeout") + 1])
    assert seconds(found["TimeoutStopSec"][0]) > shutdown_ms / 1000


def test_the_units_run_what_the_procfile_runs():
    """The same programs, options and queues; the process counts from variables with
    the Procfile's defaults (systemd has no ${X:-default}: Environment= holds them)."""
    processes = procfile()
    for name in ("web", "worker", "mailer", "clock"):
        found = directives(SYSTEMD / f"kkp-{name}.service")
        defaults = dict(
            item.split("=", 1) for line in found.get("Environment", []) for item in line.split()
        )
        unit_command = [
            re.sub(r"\$\{(\w+)\}", lambda m, d=defaults: d[m[1]], a)
            for a in shlex.split(found["ExecStart"][0])
        ]
        expected = [re.sub(r"\$\{(\w+):-([^}]*)\}", lambda m: m[2], a) for a in processes[name]]
        if expected[:3] == ["nice", "-n", "10"]:
            expected = expected[3:]
            assert found["Nice"] == ["10"]
        assert unit_command[0] == VENV_BIN + expected[0]
        unit_args = unit_command[1:]
        if "--worker-shutdown-timeout" in unit_args:  # ours: how long a stop may wait
            at = unit_args.index("--worker-shutdown-timeout")
            del unit_args[at : at + 2]
        if name == "web":  # ours: 127.0.0.1, not the platform's 0.0.0.0:$PORT
            assert unit_args[:2] == ["--bind", "127.0.0.1:8000"]
            unit_args, expected = unit_args[2:], expected[3:]
        else:
            expected = expected[1:]
        assert unit_args == expected, name


# -- nginx -----------------------------------------------------------------------------------


def test_nginx_takes_the_site(tmp_path):
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if Path(p).exists()), None
    )
    if nginx is None:
        require("nginx is not installed (Debian: nginx-light)")
    trustme = pytest.importorskip("trustme")
    cert = trustme.CA().issue_cert("newsletter.example.org")
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "cert.pem"))
    live = "/etc/letsencrypt/live/newsletter.example.org/"
    site = (
        (NGINX / "kkp.conf")
        .read_text()
        .replace(live + "fullchain.pem", str(tmp_path / "cert.pem"))
        .replace(live + "privkey.pem", str(tmp_path / "key.pem"))
        .replace("/etc/nginx/kkp_proxy_params", str(NGINX / "kkp_proxy_params"))
        .replace("/var/log/nginx/", f"{tmp_path}/")
    )
    assert site != (NGINX / "kkp.conf").read_text()
    (tmp_path / "kkp.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log off;\n    include {tmp_path}/kkp.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-q", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_nginx_never_passes_metrics_on():
    site = (NGINX / "kkp.conf").read_text()
    assert re.search(r"location = /metrics \{\s*return 404;", site)
    params = (NGINX / "kkp_proxy_params").read_text()
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID", "Host"):
        assert f"proxy_set_header {header} " in params


# -- settings and commands -------------------------------------------------------------------


def known_settings() -> set[str]:
    return set(config.settings()) | set(config._DERIVED)


@pytest.mark.parametrize(
    "path", [ROOT / "ops" / "kkp.env.example", GUIDE], ids=["kkp.env.example", "deploy.md"]
)
def test_every_setting_named_exists(path):
    named = set(re.findall(r"\bKKP_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    unknown = named - known_settings()
    assert not unknown, f"{path.name} names settings kkp/config.py does not have: {unknown}"


def test_the_environment_file_sets_what_production_needs():
    lines = (ROOT / "ops" / "kkp.env.example").read_text().splitlines()
    set_here = {line.split("=", 1)[0] for line in lines if re.match(r"KKP_\w+=", line)}
    assert {"KKP_DATABASE_URL", "KKP_BROKER_URL", "KKP_BASE_URL", "KKP_SMTP_URL",
            "KKP_MAIL_FROM", "KKP_INSTANCE_PATH", "KKP_TRUSTED_PROXIES"} <= set_here  # fmt: skip


def kkp_commands() -> tuple[set[str], dict[str, set[str]]]:
    """The `kkp` command's subcommands, and the subcommands of its groups (`db`)."""
    from flask import Flask
    from flask_migrate.cli import db as db_group

    from service.commands import register_commands

    app = Flask("commands")
    register_commands(app)
    groups = {"db": set(db_group.commands)}
    return set(app.cli.commands) | {"run", "shell", "routes"} | set(groups), groups


#: `kkp-run <command>`, `…/bin/kkp <command>`, or `kkp <command>` opening a line
CALL = re.compile(r"(?:kkp-run|/bin/kkp|^kkp)[ \t]+([a-z][a-z-]*)(?:[ \t]+([a-z][a-z-]*))?", re.M)


def called_commands() -> list[tuple[str, str, str | None]]:
    """(file, command, its first word) of every `kkp` call in the guide's code blocks,
    the units and kkp-run's comments."""
    guide = "\n".join(re.findall(r"^ *```[a-z]*\n(.*?)^ *```", GUIDE.read_text(), re.M | re.S))
    texts = {"deploy.md": "\n".join(line.strip() for line in guide.splitlines())}
    for unit in UNITS:
        texts[unit] = "\n".join(directives(SYSTEMD / unit).get("ExecStart", []))
    texts["kkp-run"] = "\n".join(
        line.lstrip("# ") for line in (ROOT / "ops" / "kkp-run").read_text().splitlines()
    )
    return [(name, *m.groups()) for name, text in texts.items() for m in CALL.finditer(text)]


def test_every_kkp_command_named_exists():
    calls = called_commands()
    names = {command for _file, command, _sub in calls}
    assert {"db", "create-editor", "bounce", "clock", "backup", "restore"} <= names
    commands, groups = kkp_commands()
    for file, command, sub in calls:
        assert command in commands, f"{file}: kkp {command} is no command"
        if command in groups:
            assert sub in groups[command], f"{file}: kkp {command} {sub} is no command"
