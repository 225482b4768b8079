"""The floors of docs/architecture.md hold: the foundation imports no domain, the
domains import nothing of the top floor, and between the domains one direction only
(the contracts are [tool.importlinter] in pyproject.toml)."""

import logging
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_imports_only_go_down(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    ours = logging.getLogger("events.registrations")
    # import-linter sets up logging with dictConfig, which disables every logger that
    # exists by then: the app's, for the tests that run after this one in its process
    enabled = [
        logger
        for logger in logging.root.manager.loggerDict.values()
        if isinstance(logger, logging.Logger) and not logger.disabled
    ]
    try:
        code = lint_imports(no_cache=True)
    finally:
        for logger in enabled:
            logger.disabled = False
    report = capsys.readouterr().out
    assert code == 0, report
    assert not ours.disabled  # the app's log lines still go out
