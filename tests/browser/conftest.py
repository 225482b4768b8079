"""Headless Chromium (Debian's package) driven by Playwright against a live server."""

from __future__ import annotations

import functools
import json
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests import services

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    binary = services.chromium_binary()
    if binary is None:
        services.require("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=binary, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def _server(app):
    port = services.free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


@pytest.fixture
def live_server(app, _server):
    """The app served over HTTP; links in mail point to it for the test's duration only."""
    previous = app.config["KKP_BASE_URL"]
    app.config["KKP_BASE_URL"] = _server
    yield _server
    app.config["KKP_BASE_URL"] = previous


@pytest.fixture
def page(chromium, live_server):
    """A page whose test fails if the Content-Security-Policy blocked anything."""
    context = chromium.new_context(locale="de-DE", base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    blocked: list[str] = []
    page.on(
        "console",
        lambda msg: blocked.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()
    assert not blocked, "blocked by the Content-Security-Policy:\n" + "\n".join(blocked)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text()


def assert_accessible(page) -> None:
    """No WCAG 2.1 A or AA violations according to axe-core, run in the page."""
    if not AXE.exists():
        services.require("axe-core is not installed (npm ci --prefix tests/browser)")
    # Evaluated by the browser's debugging protocol: a <script> tag added to the page
    # would be (rightly) blocked by its Content-Security-Policy. Once per document.
    if page.evaluate("typeof axe") == "undefined":
        page.evaluate(_axe_source() + "\n;undefined")
    # resultTypes: only the violations are collected in full (half the time); passes
    # and the like, which nothing here reads, are cut to one node per rule
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']},
            resultTypes: ['violations']})"""
    )
    violations = [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]
    if os.environ.get("KKP_AXE_REPORT"):
        _record(page, result, violations)
    assert not violations, f"{page.url}: " + json.dumps(violations, indent=1, ensure_ascii=False)


def _record(page, result: dict, violations: list) -> None:
    """One line per check for `make accessibility-report` (docs/accessibility_report.py):
    the page, the window's width, the rules checked and passed, the violations."""
    line = {
        "url": page.url.split("/", 3)[-1],
        "width": page.viewport_size["width"],
        "title": page.title(),
        "passed": len(result["passes"]),
        "not_applicable": len(result["inapplicable"]),
        "to_review": len(result["incomplete"]),
        "violations": [v["id"] for v in violations],
    }
    folder = Path(os.environ["KKP_AXE_REPORT"])
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"axe-{os.getpid()}.jsonl", "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
