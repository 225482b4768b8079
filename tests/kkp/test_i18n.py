"""The German catalog is complete; English falls back to the msgids."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

# once, in the SQLite pass: the catalogue does not depend on the database
pytestmark = pytest.mark.sqlite_only

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _forms(value) -> tuple[str, ...]:
    """A message's id or text as a tuple: one entry, or one per plural form."""
    return value if isinstance(value, tuple) else (value,)


def test_every_message_has_a_german_translation(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "kkp/babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-o",
            str(pot),
            "--no-location",
            "--ignore-dirs",
            ".* _* node_modules tests bench migrations",
            ".",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as f:
        wanted = {_forms(m.id)[0] for m in read_po(f) if m.id}
    with (ROOT / "kkp/translations/de/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f, locale="de")
    translated = {
        _forms(m.id)[0]: (_forms(m.id), _forms(m.string))
        for m in catalog
        if m.id and all(_forms(m.string)) and not m.fuzzy
    }
    missing = sorted(wanted - translated.keys())
    assert not missing, (
        f"{len(missing)} messages without German text (run `make translations`): {missing[:10]}"
    )
    for key in wanted:
        ids, texts = translated[key]
        expected = set(PLACEHOLDER.findall(" ".join(ids)))
        for text in texts:
            assert set(PLACEHOLDER.findall(text)) == expected, key
