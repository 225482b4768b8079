"""Article Markdown to safe HTML: the same sanitised HTML goes into mail, preview,
archive and feeds, so a hostile article is neutralised everywhere at once."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

#: what an article may contain; everything else is dropped (with its content for
#: script and style, unwrapped otherwise)
TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "del",
    "a",
    "ul",
    "ol",
    "li",
    "h2",
    "h3",
    "h4",
    "blockquote",
    "code",
    "pre",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "sup",
    "sub",
}
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def to_html(markdown: str) -> str:
    """Markdown (raw HTML allowed in it) to HTML with only harmless tags and links."""
    tokens = _md.parse(markdown or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            # the article's title is the heading; headings inside it sit below it
            token.tag = "h3" if token.tag in ("h1", "h2") else "h4"
    raw = _md.renderer.render(tokens, _md.options, {})
    return nh3.clean(
        raw,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        clean_content_tags={"script", "style"},
    ).strip()


_TAG = re.compile(r"<[^>]+>")
_BLANKS = re.compile(r"\n{3,}")


def to_text(markdown: str) -> str:
    """The plain-text rendering for the text/plain part: the Markdown source, with raw
    HTML tags removed (it reads well as text, and its links stay visible)."""
    text = _TAG.sub("", markdown or "").replace("\r\n", "\n").replace("\r", "\n")
    return _BLANKS.sub("\n\n", text).strip()


def is_web_url(url: str) -> bool:
    """An absolute http(s) URL with a host: what editors may put in an article's links."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.netloc)
        and not any(c in url for c in "\r\n\t <>\"'")
    )
