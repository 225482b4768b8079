"""Article Markdown to safe HTML: the same sanitised HTML goes into mail, preview,
archive and feeds, so a hostile article is neutralised everywhere at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from html.parser import HTMLParser
from urllib.parse import urlsplit

import nh3
from flask import current_app, has_app_context
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

# -- pictures ------------------------------------------------------------------------
# A picture in a text is kept only if this site serves it (a path a domain registered
# with :func:`own_images`, alone or after KKP_BASE_URL) and it says what it shows (a
# non-empty alt): no tracking pixels or pictures from elsewhere, none without words.

#: the site paths of our own pictures, as registered
_OWN_IMAGES: list[re.Pattern[str]] = []
#: every <img> in the sanitiser's output: its attributes are double-quoted and hold no
#: "<" or ">" (the attribute filter takes them out of alt; a kept src has none)
_IMG = re.compile(r"<img\b([^<>]*)>")
_ATTRIBUTE = re.compile(r'([a-z]+)="([^"]*)"')


def own_images(path_pattern: str) -> None:
    """Let texts show pictures whose site path matches `path_pattern` (a regular
    expression of the whole path, e.g. ``/newsletter/image/\\d+-[0-9a-f]{16}\\.png``)."""
    _OWN_IMAGES.append(re.compile(path_pattern))


def _base_url() -> str:
    return current_app.config["KKP_BASE_URL"] if has_app_context() else ""


def own_image_path(src: str, base_url: str | None = None) -> str | None:
    """The site path of one of our pictures named by `src` (the path alone, or it after
    the base URL), else None."""
    base = _base_url() if base_url is None else base_url
    path = src[len(base) :] if base and src.startswith(base + "/") else src
    return path if any(p.fullmatch(path) for p in _OWN_IMAGES) else None


def _image_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag != "img":
        return value
    if attribute == "src":
        return value if own_image_path(value) is not None else None
    return value.replace("<", "").replace(">", "")  # alt: see _IMG


def _own_pictures(html: str, base_url: str, extra: Callable[[str], str] | None = None) -> str:
    """Every <img> rewritten as ``<img src="<base URL><path>" alt="…">`` (plus what
    `extra` adds for its src), or dropped if it is not ours or has no alt."""

    def rewrite(match: re.Match[str]) -> str:
        attributes = dict(_ATTRIBUTE.findall(match[1]))
        path = own_image_path(attributes.get("src", ""), base_url)
        alt = attributes.get("alt", "")
        if path is None or not alt.strip():
            return ""
        src = base_url + path
        return f'<img src="{src}" alt="{alt}"{extra(src) if extra else ""}>'

    return _IMG.sub(rewrite, html)


def _clean(raw: str, **options) -> str:
    return nh3.clean(
        raw,
        tags=TAGS | {"img"},
        attributes={**ATTRIBUTES, "img": {"src", "alt"}},
        attribute_filter=_image_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="noopener",
        **options,
    )


def to_html(markdown: str) -> str:
    """Markdown (raw HTML allowed in it) to HTML with only harmless tags and links, and
    only our own pictures, each with its words (see :func:`own_images`), their
    addresses absolute."""
    tokens = _md.parse(markdown or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            # the article's title is the heading; headings inside it sit below it
            token.tag = "h3" if token.tag in ("h1", "h2") else "h4"
    raw = _md.renderer.render(tokens, _md.options, {})
    cleaned = _clean(raw, clean_content_tags={"script", "style"})
    return _own_pictures(cleaned, _base_url()).strip()


def with_link_colour(
    html: str, colour: str, image_width: Callable[[str], int | None] | None = None
) -> str:
    """Sanitised HTML (from :func:`to_html`) with every link in `colour`, inline: mail
    programs (Outlook, Gmail) read no style sheet. The sanitiser writes the style, so
    it is the only one on the link. Pictures get ``width`` in pixels from
    `image_width(src)` (Outlook reads only that) and shrink with narrow screens."""

    def sized(src: str) -> str:
        width = image_width(src) if image_width else None
        size = f' width="{width}"' if width else ""
        return f'{size} style="display:block;max-width:100%;height:auto;border:0"'

    cleaned = _clean(html, set_tag_attribute_values={"a": {"style": f"color:{colour}"}})
    return _own_pictures(cleaned, _base_url(), sized)


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
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            self.out.append(f"[{alt}]" if alt.strip() else "")

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
