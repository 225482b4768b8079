"""Files in the instance folder are for their owner only: database (and its WAL and
shared-memory files), secret key, the admin password; folders 0700."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from service.app import ROOT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.sqlite_only
def test_the_prepare_step_leaves_owner_only_files(redis_url, tmp_path):
    instance = tmp_path / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KKP_")}
    env.update(KKP_INSTANCE_PATH=str(instance), KKP_BROKER_URL=redis_url, KKP_DEMO="0")
    # the usual umask, which leaves new files readable by everyone
    result = subprocess.run(
        [sys.executable, "-m", "service.devserver", "--prepare"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    files = {p.name: p for p in instance.iterdir()}
    assert {"kkp.db", "secret_key", "admin-password.txt"} <= set(files)
    assert mode(instance) == 0o700
    for name, path in files.items():
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) == expected, f"{name}: {oct(mode(path))}"


def test_a_secret_key_of_an_older_version_is_tightened(tmp_path):
    from kkp.config import load_secret_key, private_folder

    folder = tmp_path / "old"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    (folder / "secret_key").write_text("x" * 40)
    (folder / "secret_key").chmod(0o644)
    private_folder(folder)
    assert load_secret_key(folder) == "x" * 40
    assert mode(folder) == 0o700 and mode(folder / "secret_key") == 0o600
