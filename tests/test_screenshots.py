"""`make screenshots` names only pages that exist (no browser: the list of pages in
docs/screenshots.py against the app's routes)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "screenshots.py"


def _script():
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["screenshots"] = module  # its dataclass looks itself up there
    spec.loader.exec_module(module)
    return module


def test_the_screenshots_show_routes_that_exist(app):
    script = _script()
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    names = [shot.name for shot in script.PAGES]
    assert len(set(names)) == len(names)
    for shot in script.PAGES:
        rule = rules.get(shot.endpoint)
        assert rule is not None, f"{shot.name}: no route {shot.endpoint}"
        assert "GET" in rule.methods
        wanted = {script.NEEDS[shot.needs]} if shot.needs else set()
        assert rule.arguments == wanted, f"{shot.name}: {rule.rule} takes {rule.arguments}"
        assert shot.caption


def test_the_gallery_shows_every_screenshot():
    script = _script()
    gallery = (SCRIPT.parent / "screenshots" / "README.md").read_text()
    for number, shot in enumerate(script.PAGES, start=1):
        for width in script.WIDTHS:
            assert script.file_name(number, shot, width) in gallery
