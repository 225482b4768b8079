"""Every setting can be set from the environment, and the README names each one."""

from __future__ import annotations

import pytest

from kkp.config import from_environment, settings
from service.app import ROOT


def _sample(default):
    if isinstance(default, bool):
        return "1" if not default else "0", (not default)
    if isinstance(default, int):
        return str(default + 7), default + 7
    if isinstance(default, float):
        return str(default + 2.5), default + 2.5
    return "probe-value", "probe-value"


@pytest.mark.parametrize("name", sorted(settings()))
def test_every_setting_is_read_from_the_environment(name, tmp_path, monkeypatch):
    monkeypatch.setenv("KKP_INSTANCE_PATH", str(tmp_path))
    raw, expected = _sample(settings()[name])
    config = from_environment({name: raw, "KKP_SECRET_KEY": "x"})
    assert config[name] == expected


def test_the_readme_names_every_setting():
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in settings() if f"`{name}`" not in readme]
    assert not missing, f"README.md does not describe {missing}"


@pytest.mark.parametrize(
    "env, message",
    [
        ({"KKP_DELIVERY_STALE_MINUTES": "zehn"}, "KKP_DELIVERY_STALE_MINUTES must be a number"),
        ({"KKP_RECORD_IP": "vielleicht"}, "KKP_RECORD_IP must be 1 or 0"),
        ({"KKP_ISSUE_CHUNK_SIZE": "0"}, "KKP_ISSUE_CHUNK_SIZE must be a positive"),
        ({"KKP_DELIVERY_STALE_MINUTES": "0"}, "KKP_DELIVERY_STALE_MINUTES must be a positive"),
        ({"KKP_REGISTRATION_MAILS_PER_HOUR": "0"}, "KKP_REGISTRATION_MAILS_PER_HOUR must be"),
        ({"KKP_CALENDAR_RECHECK_SECONDS": "-1"}, "KKP_CALENDAR_RECHECK_SECONDS must be a number"),
        ({"KKP_PASSWORD_HASH_MEMORY_KIB": "16"}, "KKP_PASSWORD_HASH_MEMORY_KIB must be at least"),
        ({"KKP_PASSWORD_HASH_TIME_COST": "0"}, "KKP_PASSWORD_HASH_TIME_COST must be a positive"),
    ],
)
def test_a_value_that_cannot_be_read_names_the_variable(env, message, tmp_path, monkeypatch):
    monkeypatch.setenv("KKP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ValueError, match=message):
        from_environment({**env, "KKP_SECRET_KEY": "x"})
