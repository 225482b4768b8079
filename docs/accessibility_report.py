"""axe-core's results for every page, for docs/accessibility.md.

    make accessibility-report   (or: .venv/bin/python docs/accessibility_report.py)

Runs the browser test that visits every editor page and every public page at 375 and
1280 px (tests/browser/test_layout.py, on a temporary SQLite database with the demo
content) with ``KKP_AXE_REPORT`` set, so that each axe check also writes a line, and
turns the lines into a table: per page and width, the WCAG 2.1 A/AA rules that passed,
those to review by hand (axe cannot decide them, e.g. contrast over a picture), and the
violations (the test fails on any).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "accessibility.md"
AXE_PACKAGE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "package.json"


def run_checks(folder: Path) -> int:
    env = dict(os.environ, KKP_AXE_REPORT=str(folder), KKP_TEST_DB="sqlite")
    command = [
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "3",
        "tests/browser/test_layout.py", "-k", "every_page",
    ]  # fmt: skip
    return subprocess.call(command, cwd=ROOT, env=env)


def read_lines(folder: Path) -> list[dict]:
    lines = []
    for part in sorted(folder.glob("axe-*.jsonl")):
        lines += [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines()]
    return lines


def table(lines: list[dict]) -> str:
    by_page: dict[str, dict[int, dict]] = defaultdict(dict)
    titles = {}
    for line in lines:
        by_page[line["url"]][line["width"]] = line
        titles[line["url"]] = line["title"]
    widths = sorted({line["width"] for line in lines})
    head = "| Page | Title | " + " | ".join(f"{w} px" for w in widths) + " |"
    rows = [head, "|" + " --- |" * (2 + len(widths))]
    for url in sorted(by_page):
        cells = []
        for width in widths:
            line = by_page[url].get(width)
            if line is None:
                cells.append("–")
                continue
            found = ", ".join(line["violations"]) or "0"
            passed, review = line["passed"], line["to_review"]
            cells.append(f"{passed} passed, {review} to review, {found} violations")
        title = titles[url].replace("|", "\\|")
        rows.append(f"| `/{url}` | {title} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def write(lines: list[dict], out: Path) -> None:
    version = json.loads(AXE_PACKAGE.read_text())["version"]
    violations = sum(len(line["violations"]) for line in lines)
    pages = len({line["url"] for line in lines})
    out.write_text(
        "# Accessibility: axe-core on every page\n\n"
        f"Made by `make accessibility-report` on {date.today():%Y-%m-%d} with axe-core "
        f"{version}, rules tagged WCAG 2.0/2.1 A and AA, in headless Chromium: {pages} "
        f"pages (every editor page and every public page, on the demo content) at "
        f"375 and 1280 px, {len(lines)} checks, {violations} violations. "
        "`make test` runs the same checks (tests/browser/test_layout.py) and fails on "
        'any violation; "to review" are the rules axe cannot decide by itself.\n\n'
        + table(lines)
        + "\n",
        encoding="utf-8",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help="the Markdown file to write")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        status = run_checks(Path(folder))
        lines = read_lines(Path(folder))
    if not lines:
        print("no axe results: is axe-core installed (make browser-deps) and Chromium there?")
        return 1
    write(lines, args.out)
    print(f"{args.out}: {len(lines)} checks")
    return status


if __name__ == "__main__":
    sys.exit(main())
