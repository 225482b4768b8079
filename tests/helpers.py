"""Helpers for tests: forms with their CSRF token, mail parsing, links in mail."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def post_form(client, url: str, data: dict, *, page: str | None = None, **kwargs):
    """GET the page (or `page`), take its CSRF token, POST `data` to `url`."""
    html = client.get(page or url).get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(html)}, **kwargs)


def parse_mail(raw: bytes) -> EmailMessage:
    return message_from_bytes(raw, policy=policy.default)


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def html_of(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("html",)).get_content()


def links(text: str, path: str) -> list[str]:
    """Absolute links in `text` whose path starts with `path`, made relative."""
    found = re.findall(r"https?://[^\s\"<>]+", text)
    return [
        re.sub(r"^https?://[^/]+", "", u)
        for u in found
        if re.sub(r"^https?://[^/]+", "", u).startswith(path)
    ]


def row_count(model, *where) -> int:
    """Rows of `model` as committed (the session's own changes rolled back first)."""
    import sqlalchemy as sa

    from kkp.extensions import db

    db.session.rollback()
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def elements(html: str, tag: str) -> list[tuple[dict[str, str | None], str]]:
    """Every `tag` element in `html`: its attributes and its text (nested tags' too)."""
    from html.parser import HTMLParser

    found: list[tuple[dict, list[str]]] = []
    open_: list[list[str]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, name, attrs):
            if name == tag:
                text: list[str] = []
                found.append((dict(attrs), text))
                open_.append(text)

        def handle_endtag(self, name):
            if name == tag and open_:
                open_.pop()

        def handle_data(self, data):
            for text in open_:
                text.append(data)

    Collector().feed(html)
    return [(attrs, "".join(text).strip()) for attrs, text in found]


def style_of(attrs: dict[str, str | None]) -> dict[str, str]:
    """An element's inline style as {property: value}, lower-case, without spaces."""
    declarations = (attrs.get("style") or "").replace(" ", "").lower().split(";")
    return dict(d.split(":", 1) for d in declarations if ":" in d)


#: an A4 page in PDF points (1/72 inch): 210 x 297 mm
A4_POINTS = (595.28, 841.89)


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Width and height of each page of a PDF, in points, as a reader sees them."""
    import io

    from pypdf import PdfReader

    return [
        (float(page.mediabox.width), float(page.mediabox.height))
        for page in PdfReader(io.BytesIO(data)).pages
    ]


def is_a4(data: bytes, *, landscape: bool = False) -> bool:
    """Every page of the PDF is A4 (within a point), upright or `landscape`."""
    width, height = A4_POINTS[::-1] if landscape else A4_POINTS
    sizes = page_sizes(data)
    return bool(sizes) and all(abs(w - width) < 1 and abs(h - height) < 1 for w, h in sizes)
