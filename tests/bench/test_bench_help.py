"""Every benchmark starts on a fresh checkout: its `--help` runs as a script.

(A benchmark named like a module of the standard library once shadowed it, and
another benchmark beside it could not even start.)
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from service.app import ROOT

BENCHMARKS = sorted(p.name for p in (ROOT / "bench").glob("*.py"))


def test_no_benchmark_shadows_the_standard_library():
    shadowing = [name for name in BENCHMARKS if name[:-3] in sys.stdlib_module_names]
    assert not shadowing


@pytest.mark.parametrize("name", BENCHMARKS)
def test_benchmark_help_runs(name):
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / name), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT / "bench",
    )
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout
