"""The floors of docs/architecture.md hold: the foundation imports no domain, the
domains import nothing of the top floor, and between the domains one direction only
(the contracts are [tool.importlinter] in pyproject.toml)."""

from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_imports_only_go_down(monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    code = lint_imports(no_cache=True)
    report = capsys.readouterr().out
    assert code == 0, report
