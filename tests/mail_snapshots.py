"""Snapshots of rendered mail, as readable text files in tests/kkp/mail_snapshots/.

A snapshot holds the subject, the calendar part (if any), the text part as sent, and
the HTML part as text (its words and links in reading order, not MJML's markup), with
the signed tokens in links replaced by ``<token>``. Run the tests with
``KKP_UPDATE_SNAPSHOTS=1`` to write the files anew after a wanted change; otherwise
any difference fails.
"""

from __future__ import annotations

import os
import re
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

SNAPSHOTS = Path(__file__).parent / "kkp" / "mail_snapshots"

#: the signed part of links in mail: it changes with the time it was made
_TOKEN = re.compile(
    r"(/registrations/(?:confirm/)?|/events/booking/(?:confirm/)?|/subscribe/confirm/|"
    r"/preferences/|/unsubscribe/)"
    r"[A-Za-z0-9_\-.]{16,}"
)

#: elements after which a reader sees a new line
_BLOCKS = {"p", "div", "table", "tr", "li", "ul", "ol", "br", "h1", "h2", "h3", "title"}


class _HtmlText(HTMLParser):
    """The words of an HTML mail in reading order, one block a line; a link's address
    follows its words in angle brackets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._skip = 0
        self._links: list[str | None] = []
        self.lang = ""

    def _break(self) -> None:
        line = re.sub(r"\s+", " ", "".join(self._line)).strip()
        if line:
            self.lines.append(line)
        self._line = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("style", "script"):
            self._skip += 1
        elif tag == "html":
            self.lang = attrs.get("lang") or ""
        elif tag == "a":
            self._links.append(attrs.get("href"))
            self._line.append(" ")
        elif tag in ("th", "td"):
            self._line.append(" ")
        if tag in _BLOCKS:
            self._break()

    def handle_endtag(self, tag):
        if tag in ("style", "script"):
            self._skip -= 1
        elif tag == "a" and self._links:
            href = self._links.pop()
            if href:
                self._line.append(f" <{href}> ")
        elif tag in ("th", "td"):
            self._line.append(" ")
        if tag in _BLOCKS:
            self._break()

    def handle_data(self, data):
        if not self._skip:
            self._line.append(data)

    def close(self):
        super().close()
        self._break()


def html_as_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return f"[lang={parser.lang}]\n" + "\n".join(parser.lines) + "\n"


def _calendar(msg: EmailMessage) -> str:
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    files = [p.get_filename() for p in msg.walk() if p.get_content_type() == "application/ics"]
    if not parts:
        return "none"
    return f"{parts[0].get_param('method')}, attached as {', '.join(files) or 'nothing'}"


def mail_snapshot(msg: EmailMessage) -> str:
    """The mail as a reviewer reads it; the same for the same mail at any time."""
    text = msg.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    if not text.endswith("\n"):
        text += "\n[no line break at the end]\n"
    html = msg.get_body(preferencelist=("html",)).get_content()
    snapshot = (
        f"Subject: {msg['Subject']}\n"
        f"To: {msg['To']}\n"
        f"Calendar: {_calendar(msg)}\n"
        "\n"
        "======== text/plain ========\n"
        f"{text}"
        "======== text/html, as text ========\n"
        f"{html_as_text(html)}"
    )
    return _TOKEN.sub(r"\1<token>", snapshot)


def assert_snapshot(name: str, msg: EmailMessage) -> None:
    """Compare `msg` with the snapshot `name`; with KKP_UPDATE_SNAPSHOTS=1, write it."""
    path = SNAPSHOTS / f"{name}.txt"
    found = mail_snapshot(msg)
    if os.environ.get("KKP_UPDATE_SNAPSHOTS") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(found, encoding="utf-8")
        return
    assert path.exists(), f"no snapshot {path}; write it with KKP_UPDATE_SNAPSHOTS=1"
    assert found == path.read_text(encoding="utf-8"), f"mail differs from {path}"
