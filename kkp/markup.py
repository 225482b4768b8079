"""Article Markdown to safe HTML: the same sanitised HTML goes into mail, preview,
archive and feeds, so a hostile article is neutralised everywhere at once."""

from __future__ import annotations

import re
from html.parser import HTMLParser
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


def with_link_colour(html: str, colour: str) -> str:
    """Sanitised HTML (from :func:`to_html`) with every link in `colour`, inline: mail
    programs (Outlook, Gmail) read no style sheet. The sanitiser writes the style, so
    it is the only one on the link."""
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        set_tag_attribute_values={"a": {"style": f"color:{colour}"}},
    )


_BLANKS = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t]+")


class _TextWriter(HTMLParser):
    """Sanitised article HTML as plain text: paragraphs, "- " list items, and links
    as "label <url>" so that they stay visible and clickable in the text part."""

    BLOCKS = {"p", "h2", "h3", "h4", "blockquote", "pre", "table", "ul", "ol", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.href: str | None = None
        self.link_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag == "br":
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" | ")
        elif tag == "tr":
            self.out.append("\n")
        elif tag == "a":
            self.href = dict(attrs).get("href")
            self.link_text = []

    def handle_endtag(self, tag):
        if tag in self.BLOCKS:
            self.out.append("\n\n")
        elif tag == "a":
            label = "".join(self.link_text).strip()
            if self.href and self.href not in label:
                self.out.append(f" <{self.href}>" if label else self.href)
            self.href = None

    def handle_data(self, data):
        if not data.strip():
            data = " "  # the line breaks between tags are not the text's
        else:
            data = data.replace("\n", " ")
        if self.href is not None:
            self.link_text.append(data)
        self.out.append(data)

    def text(self) -> str:
        lines = [_SPACES.sub(" ", line).strip() for line in "".join(self.out).split("\n")]
        return _BLANKS.sub("\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()


def to_text(markdown: str) -> str:
    """The plain-text rendering for the text/plain part: the same sanitised content as
    the HTML (nothing a script or style held), links written out."""
    return html_to_text(to_html(markdown))


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
