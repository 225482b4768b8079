"""Hostile or broken input for an issue: what reaches subscribers is neutralised, what
cannot go out is refused with a message an editor understands, and nothing is stored
on the way."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa

from tests.helpers import html_of, text_of
from tests.newsletter.conftest import add_confirmed, fresh_issue, send_now
from tests.newsletter.test_sending_faults import _wait_sent

HOSTILE = """\
Vorweg <script>alert('body')</script> und <img src="x" onerror="alert(1)">.

<iframe src="https://evil.example/frame"></iframe>
<style>body { display: none }</style>
<div style="background:url(javascript:alert(2))" onmouseover="alert(3)">gestylt</div>
<svg onload="alert(4)"><circle r="1"/></svg>
<form action="https://evil.example/phish"><input name="pin"></form>
<object data="https://evil.example/x.swf"></object><embed src="x.swf">
<meta http-equiv="refresh" content="0;url=https://evil.example/">
<base href="https://evil.example/">

[Markdown-Link](javascript:alert(5)) und [Daten](data:text/html;base64,PHNjcmlwdD4=)
<a href="JaVaScRiPt:alert(6)" onclick="alert(7)">Großbuchstaben</a>
<a href="&#106;avascript:alert(8)">Entität</a>
<a href="vbscript:msgbox(9)">VBScript</a>
<scr<script>ipt>alert(10)</script>
`<script>alert(11)</script>` als Code
&lt;/mj-text&gt;&lt;mj-raw&gt;&lt;script&gt;alert(12)&lt;/script&gt;&lt;/mj-raw&gt;
</mj-text><mj-raw><script>alert(13)</script></mj-raw><mj-text>

Ein [guter Link](https://example.org/gut) bleibt.
"""

HOSTILE_INTRO = """\
Hallo <b onmouseover="alert('intro')">zusammen</b>! <script>alert('intro')</script>
<a href="javascript:alert('intro')">Einleitung</a> <iframe srcdoc="<script>alert(1)</script>">
"""

#: elements that must not reach a subscriber's mail client from an article
FORBIDDEN_TAGS = {
    "script",
    "iframe",
    "frame",
    "object",
    "embed",
    "form",
    "input",
    "button",
    "svg",
    "math",
    "base",
    "link",
    "video",
    "audio",
    "applet",
}
DANGEROUS_URL = re.compile(r"^\s*(javascript|vbscript|data|file):", re.I)


class Elements(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))

    handle_startendtag = handle_starttag


def _elements(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser.found


def _received(mail):
    return BytesParser(policy=policy.default).parsebytes(mail.wait_for(1)[0]["data"])


def test_hostile_article_and_intro_are_neutralised_in_both_parts(app, ctx, lists, mail, worker):
    from kkp.extensions import db
    from newsletter import issues

    add_confirmed([lists["kkp-kompakt"]], 1)
    issue = issues.create_issue(
        number="4/2026",
        title="<b onmouseover=alert(1)>Titel</b> & <script>alert(2)</script>",
        intro=HOSTILE_INTRO,
        list_ids=[lists["kkp-kompakt"]],
    )
    issues.add_article(
        issue,
        title='<img src=x onerror="alert(14)">Artikel',
        body=HOSTILE,
        links="Gut | https://example.org/mehr",
    )
    db.session.commit()
    send_now(issue.id)
    msg = _received(mail)
    html, text = html_of(msg), text_of(msg)

    # the HTML part, read by a parser other than the one that wrote it: nothing that
    # could run, load, submit or hide anything; the only style is the template's own
    assert "body { display: none }" not in html
    body = html.split("<body", 1)[1]
    for tag, attrs in _elements("<body" + body):
        assert tag not in FORBIDDEN_TAGS, (tag, attrs)
        if tag == "img":  # only the office's own pictures load
            assert attrs.get("src", "").startswith("http://kkp.test/"), attrs
        assert not tag.startswith("mj-"), tag
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert not DANGEROUS_URL.match(value), (tag, name, value)
            assert "evil.example" not in value, (tag, name, value)
            if name == "style":
                assert "javascript" not in value.lower() and "url(" not in value, value
        if tag == "meta":
            assert attrs.get("http-equiv", "").lower() != "refresh", attrs
    assert not re.search(r"<\s*/?\s*(script|iframe|mj-raw)", body, re.I)
    # ... while the editor's text and the good links are still there
    assert "Markdown-Link" in html and "Großbuchstaben" in html and "gestylt" in html
    assert 'href="https://example.org/gut"' in html
    assert 'href="https://example.org/mehr"' in html
    # titles are text, shown as the editor typed them
    assert "&lt;b onmouseover=alert(1)&gt;Titel&lt;/b&gt; &amp; &lt;script&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(14)&#34;&gt;Artikel" in html or (
        "&lt;img src=x onerror=&quot;alert(14)&quot;&gt;Artikel" in html
    )
    # code is shown as code, not run
    assert "&lt;script&gt;alert(11)&lt;/script&gt;" in html

    # the text part is plain text (nothing in it runs); the markup of intro and article
    # is taken out, and nothing points at the hostile hosts; titles read as typed
    assert msg.get_body(preferencelist=("plain",)).get_content_type() == "text/plain"
    for fragment in (
        "<script>alert('body')",
        "<script>alert('intro')",
        'onerror="alert(1)"',
        'onclick="alert(7)"',
        "onmouseover=\"alert('intro')\"",
        "<iframe",
        "<style",
        "<svg",
        "<form",
        "<meta",
        "<base",
        "<object",
        "alert(13)",  # raw MJML tags in the body are dropped with what they held
        "evil.example",
    ):
        assert fragment not in text, f"{fragment!r} in the text part"
    # what the editor wrote as visible text (entities, code) reads as typed
    assert "<script>alert(11)</script>" in text
    assert "</mj-text><mj-raw><script>alert(12)" in text
    assert "guter Link" in text and "Großbuchstaben" in text
    assert "https://example.org/gut" in text and "https://example.org/mehr" in text
    assert "Hallo" in text and "zusammen" in text


def test_line_breaks_in_titles_and_names_never_make_a_header(app, ctx, lists, mail, worker):
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.models import Issue, Subscriber

    (person,) = add_confirmed([lists["kkp-kompakt"]], 1)
    # a name as an import or an old database might hold it, bypassing the forms' checks
    db.session.execute(
        sa.update(Subscriber)
        .where(Subscriber.id == person)
        .values(
            name='Eve\r\nBcc: victim@example.net\r\nX-Injected: yes\r\n\r\n<b>body</b>, "x" <a@b.c>'
        )
    )
    issue = issues.create_issue(
        number="5/2026\r\nBcc: number@example.net",
        title="Titel\r\nX-Injected: title\nBcc: title@example.net\r\n\r\nKörper",
        intro="Hallo",
        list_ids=[lists["kkp-kompakt"]],
    )
    issues.add_article(issue, title="Artikel\r\nX-Injected: article", body="Text")
    db.session.commit()
    assert "\n" not in issue.title and "\r" not in issue.number
    # and even if a title got into the database with a line break, it stays one line
    db.session.execute(
        sa.update(Issue)
        .where(Issue.id == issue.id)
        .values(title="Titel\r\nX-Injected: direct\r\nBcc: direct@example.net")
    )
    db.session.commit()
    send_now(issue.id)
    received = mail.wait_for(1)
    assert received[0]["to"] == ["person0@example.org"]
    raw = received[0]["data"]
    msg = BytesParser(policy=policy.default).parsebytes(raw)

    names = [name.lower() for name in msg.keys()]
    assert "bcc" not in names and "x-injected" not in names and "cc" not in names
    assert len(names) == len(set(names)), f"a header twice: {names}"
    assert names.count("to") == 1 and names.count("subject") == 1
    assert msg.defects == [] and all(not h.defects for h in msg.values() if hasattr(h, "defects"))
    to = msg["To"].addresses
    assert len(to) == 1 and to[0].addr_spec == "person0@example.org"
    assert "Eve" in to[0].display_name
    subject = str(msg["Subject"])
    assert "\n" not in subject and "X-Injected: direct" in subject  # shown, not obeyed
    # the head is the headers only: the first blank line ends it
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    for line in head.split("\r\n"):
        assert re.match(r"^[A-Za-z-]+: |^[ \t]", line), f"a header line nobody wrote: {line!r}"
    assert msg.get_content_type() == "multipart/alternative"
    assert "<b>body</b>" not in html_of(msg)


# -- what cannot go out is refused ----------------------------------------------------------


def _refused_start(issue_id: int, broker) -> str:
    """start_sending must refuse; nothing stored, nothing enqueued. Returns the message."""
    from kkp.extensions import db
    from kkp.mail.models import Delivery
    from newsletter import sending
    from newsletter.issues import IssueError

    issue = fresh_issue(issue_id)
    before = issue.status
    with pytest.raises(IssueError) as refused:
        sending.start_sending(issue)
    db.session.rollback()
    issue = fresh_issue(issue_id)
    assert issue.status == before
    assert issue.rendered is None and issue.started_at is None and issue.to_send == 0
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0
    assert broker.client.llen(f"{broker.namespace}:bulk") == 0
    message = str(refused.value)
    assert len(message) > 20, message
    return message


def test_an_issue_that_cannot_go_out_is_refused_and_nothing_is_stored(
    app, ctx, lists, compose, broker
):
    from kkp.extensions import db
    from newsletter import issues

    # no articles
    no_articles = compose(articles=0)
    add_confirmed([lists["kkp-kompakt"]], 2)
    message = _refused_start(no_articles, broker)
    assert "Beiträge" in message

    # no lists
    no_lists = compose(number="6/2026")
    issue = fresh_issue(no_lists)
    issues.update_issue(issue, number=issue.number, title=issue.title, list_ids=[])
    db.session.commit()
    message = _refused_start(no_lists, broker)
    assert "Liste" in message or "list" in message

    # lists, but nobody confirmed on them
    add_confirmed([lists["netzwerktreffen"]], 2, start=50, status="pending")
    nobody = compose(list_slugs=("netzwerktreffen",), number="7/2026")
    message = _refused_start(nobody, broker)
    assert "bestätigt" in message or "confirmed" in message


def test_scheduling_in_the_past_is_refused(app, ctx, lists, compose):
    from kkp.db import utcnow
    from kkp.extensions import db
    from newsletter import sending
    from newsletter.issues import IssueError

    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    for when in (utcnow() - timedelta(minutes=5), utcnow()):
        with pytest.raises(IssueError) as refused:
            sending.schedule(fresh_issue(issue_id), when)
        assert refused.value.field == "scheduled_at"
        assert str(refused.value)
        db.session.rollback()
        issue = fresh_issue(issue_id)
        assert issue.status == "draft" and issue.scheduled_at is None


# -- images -----------------------------------------------------------------------------


def _png(width=40, height=30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">
<script>alert(2)</script><rect width="10" height="10"/></svg>"""


@pytest.mark.parametrize(
    "case",
    ["too large", "text named .png", "truncated PNG", "SVG", "empty", "HTML"],
)
def test_an_unusable_image_is_refused_and_not_stored(app, ctx, case):
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.issues import IssueError
    from newsletter.models import Image

    data = {
        "too large": _png(400, 400) + b"\0" * 5000,
        "text named .png": b"Das ist kein Bild, nur Text in einer Datei namens bild.png\n" * 3,
        "truncated PNG": _png(300, 200)[:200],
        "SVG": SVG,
        "empty": b"",
        "HTML": b"<html><body><script>alert(1)</script></body></html>",
    }[case]
    saved = app.config["KKP_IMAGE_MAX_BYTES"]
    app.config["KKP_IMAGE_MAX_BYTES"] = 4000
    try:
        with pytest.raises(IssueError) as refused:
            issues.store_image(data)
    finally:
        app.config["KKP_IMAGE_MAX_BYTES"] = saved
    db.session.rollback()
    assert refused.value.field == "image"
    message = str(refused.value)
    assert len(message) > 15, message
    if case == "too large":
        # the limit is said as it is: not "at most 0 MB"
        assert re.search(r"\b0 MB", message) is None, message
        assert re.search(r"0[.,]004 ?MB|4 ?KB|4[.,]0 ?KB|3[.,]9 ?KB", message), message
    else:
        assert "PNG" in message or "leer" in message or "empty" in message, message
    assert db.session.scalar(sa.select(sa.func.count(Image.id))) == 0


def test_a_good_image_is_kept(app, ctx):
    from newsletter import issues

    image = issues.store_image(_png())
    assert (image.mime, image.width, image.height) == ("image/png", 40, 30)


# -- links ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "links",
    [
        "javascript:alert(1)",
        "Klick | javascript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD4=",
        "ftp://example.org/datei",
        "mailto:info@example.org",
        "//evil.example/ohne-schema",
        "www.example.org",
        "https://",
        'https://example.org/"><script>alert(1)</script>',
        "https://example.org/a b",
        "Gut | https://example.org/\nBöse | vbscript:msgbox(1)",
    ],
)
def test_links_that_are_not_web_addresses_are_refused(app, ctx, lists, compose, links):
    from kkp.extensions import db
    from newsletter import issues
    from newsletter.issues import IssueError
    from newsletter.models import Article

    issue_id = compose(articles=1)
    issue = fresh_issue(issue_id)
    with pytest.raises(IssueError) as refused:
        issues.add_article(issue, title="Mit Link", body="Text", links=links)
    assert refused.value.field == "links"
    assert "http" in str(refused.value)
    db.session.rollback()
    article = fresh_issue(issue_id).articles[0]
    with pytest.raises(IssueError):
        issues.update_article(article, title="Geändert", body="Neu", links=links)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Article.id))) == 1
    assert fresh_issue(issue_id).articles[0].title == "Artikel 1"


def test_a_sent_issue_cannot_be_changed(app, ctx, lists, compose, mail, worker):
    from newsletter import issues
    from newsletter.issues import IssueError

    add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    send_now(issue_id)
    _wait_sent(issue_id, 30)
    issue = fresh_issue(issue_id)
    with pytest.raises(IssueError):
        issues.add_article(issue, title="Nachtrag", body="zu spät")
    with pytest.raises(IssueError):
        issues.update_issue(issue, number="x", title="y")
    from newsletter import sending

    with pytest.raises(IssueError):
        sending.start_sending(issue)
