"""Screenshots of the main pages on the demo content, for docs/screenshots/.

    make screenshots        (or: .venv/bin/python docs/screenshots.py [--out DIR])

Makes the app on a temporary SQLite database (no Redis: a stub broker, no SMTP: the
local outbox), seeds the demo content and an admin, serves it on a free port, logs in
with headless Chromium (Playwright; Debian's /usr/bin/chromium) and writes
`<nn>-<page>-<width>.png` at 1280 and 375 px, and the gallery README.md beside them.
Each picture is the whole page, cut at :data:`MAX_HEIGHT` pixels, in 256 colours.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
WIDTHS = (1280, 375)
MAX_HEIGHT = 3000
EMAIL, PASSWORD = "redaktion@example.org", "demo-passwort-123"
CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class Shot:
    """One page: its file name part, its endpoint, and which demo object fills the
    endpoint's one argument (see :func:`_arguments`), if it takes one."""

    name: str
    endpoint: str
    needs: str | None = None
    #: what it shows, for the gallery
    caption: str = ""
    login: bool = True


PAGES: tuple[Shot, ...] = (
    Shot("start", "site.index", caption="The public start page.", login=False),
    Shot("events", "events.index", caption="The public list of events.", login=False),
    Shot(
        "event",
        "events.event_page",
        "event_slug",
        caption="An event's public page with the registration form.",
        login=False,
    ),
    Shot("archive", "newsletter.archive", caption="The newsletter archive.", login=False),
    Shot(
        "archived-issue",
        "newsletter.archive_issue",
        "issue_slug",
        caption="A sent issue in the public archive.",
        login=False,
    ),
    Shot("login", "auth.login", caption="The editors' login.", login=False),
    Shot("dashboard", "auth.dashboard", caption="The editors' start page."),
    Shot("issues", "newsletter_admin.issue_list", caption="The list of issues."),
    Shot(
        "composer",
        "newsletter_admin.issue_edit",
        "draft_id",
        caption="The composer with the demo draft.",
    ),
    Shot(
        "send",
        "newsletter_admin.issue_send",
        "draft_id",
        caption="Sending the draft: now or at a set time.",
    ),
    Shot(
        "report",
        "newsletter_admin.issue_report",
        "sent_id",
        caption="The report of a sent issue (no opens or clicks are tracked).",
    ),
    Shot("subscribers", "newsletter_admin.subscribers", caption="The subscribers and lists."),
    Shot("import", "newsletter_admin.import_form", caption="The first step of the CSV import."),
    Shot(
        "participants",
        "events_admin.participants",
        "event_id",
        caption="An event's participants and waiting list.",
    ),
    Shot(
        "events-admin",
        "events_admin.event_list",
        caption="The editors' events: searched, sorted, in pages.",
    ),
    Shot(
        "branding",
        "newsletter_admin.branding_page",
        caption="The office's name, address, colour and logo for pages and mail.",
    ),
    Shot("audit", "auth.audit_log", caption="The audit log in sentences."),
    Shot("outbox", "mail.outbox", caption="The local outbox (mail kept when there is no SMTP)."),
)


#: the demo object each `Shot.needs` names, and the endpoint argument it fills
NEEDS = {
    "draft_id": "issue_id",
    "sent_id": "issue_id",
    "issue_slug": "slug",
    "event_id": "event_id",
    "event_slug": "slug",
}


def file_name(number: int, shot: Shot, width: int) -> str:
    return f"{number:02d}-{shot.name}-{width}.png"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_app(folder: Path):
    os.environ["KKP_INSTANCE_PATH"] = str(folder)
    sys.path.insert(0, str(ROOT))
    from dramatiq.brokers.stub import StubBroker
    from flask_migrate import upgrade

    from service.app import create_app

    app = create_app(
        {
            "SECRET_KEY": "screenshots-only",
            "KKP_BASE_URL": "http://127.0.0.1",
            "KKP_SMTP_URL": "",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'kkp.sqlite'}",
            "KKP_BROKER_URL": "redis://127.0.0.1:1/0",
            "KKP_RATELIMIT_STORAGE_URL": "memory://",
            "KKP_MAIL_FROM": "KKP Kompakt <newsletter@example.org>",
            "KKP_PASSWORD_HASH_TIME_COST": 1,
            "KKP_PASSWORD_HASH_MEMORY_KIB": 32,
            "KKP_LOG_LEVEL": "WARNING",
        },
        broker=StubBroker(),
    )
    with app.app_context():
        upgrade()
        from kkp.auth.operations import create_editor
        from kkp.extensions import db
        from service.demo import seed

        seed()
        create_editor(EMAIL, role="admin", password=PASSWORD, name="Redaktion")
        db.session.commit()
    return app


def _arguments(app) -> dict[str, dict]:
    """The endpoint arguments each `needs` stands for, from the demo content."""
    import sqlalchemy as sa

    from events.models import Event, Registration
    from kkp.extensions import db
    from newsletter.models import Issue, IssueStatus

    with app.app_context():
        draft = db.session.scalar(sa.select(Issue).where(Issue.status == IssueStatus.DRAFT))
        sent = db.session.scalar(
            sa.select(Issue).where(Issue.status == IssueStatus.SENT).order_by(Issue.id.desc())
        )
        busiest = db.session.execute(
            sa.select(Event.id, Event.slug)
            .outerjoin(Registration, Registration.event_id == Event.id)
            .group_by(Event.id, Event.slug)
            .order_by(sa.func.count(Registration.id).desc(), Event.id)
        ).first()
        found = {
            "draft_id": draft.id,
            "sent_id": sent.id,
            "issue_slug": sent.slug,
            "event_id": busiest.id,
            "event_slug": busiest.slug,
        }
        return {need: {NEEDS[need]: value} for need, value in found.items()}


def gallery() -> str:
    """docs/screenshots/README.md: each page, what it shows, at both widths."""
    lines = [
        "# Screenshots",
        "",
        "The main pages on the demo content (`make run`'s), in German, at 1280 px and at a",
        "phone's 375 px; whole pages, cut at 3000 px. Made by `make screenshots`",
        "([docs/screenshots.py](../screenshots.py)), which also writes this page.",
        "",
    ]
    for number, shot in enumerate(PAGES, start=1):
        wide, narrow = (file_name(number, shot, width) for width in WIDTHS)
        lines += [
            f"## {number}. {shot.name.replace('-', ' ').capitalize()}",
            "",
            shot.caption,
            "",
            f"![{shot.caption.rstrip('.')}, 1280 px wide]({wide})",
            f"![{shot.caption.rstrip('.')}, 375 px wide]({narrow})",
            "",
        ]
    return "\n".join(lines)


def _shrink(path: Path) -> None:
    """The picture in 256 colours, without dithering: a third of the size, text as sharp."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server

    folder = Path(tempfile.mkdtemp(prefix="kkp-screenshots-"))
    server = None
    try:
        app = _make_app(folder)
        values = _arguments(app)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        app.config["KKP_BASE_URL"] = base
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with app.test_request_context(base_url=base):
            from flask import url_for

            urls = [url_for(s.endpoint, **values.get(s.needs, {})) for s in PAGES]
        args.out.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            for width in WIDTHS:
                context = browser.new_context(
                    locale="de-DE", base_url=base, viewport={"width": width, "height": 900}
                )
                page = context.new_page()
                logged_in = False
                for number, (shot, url) in enumerate(zip(PAGES, urls, strict=True), start=1):
                    if shot.login and not logged_in:
                        page.goto("/admin/login")
                        page.fill("input[name=email]", EMAIL)
                        page.fill("input[name=password]", PASSWORD)
                        page.locator("main form button[type=submit]").first.click()
                        page.wait_for_url("**/admin/")
                        logged_in = True
                    page.goto(url)
                    page.wait_for_load_state("networkidle")
                    height = page.evaluate("document.documentElement.scrollHeight")
                    target = args.out / file_name(number, shot, width)
                    page.screenshot(
                        path=str(target),
                        full_page=True,
                        clip={"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)},
                    )
                    _shrink(target)
                    print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
                context.close()
            browser.close()
        (args.out / "README.md").write_text(gallery())
    finally:
        if server is not None:
            server.shutdown()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
