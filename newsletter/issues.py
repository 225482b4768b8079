"""Composing issues: the issue, its articles and their images.

Operations change data and flush; the request or the API commits. Messages in
:class:`IssueError` are shown to editors as they are (already translated).
"""

from __future__ import annotations

import hashlib
import io
import math
import warnings
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_decimal, format_number
from flask_babel import gettext as _
from PIL import Image as PILImage
from PIL import UnidentifiedImageError

from events.models import Event, EventStatus
from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.forms import ConflictError, InputError
from kkp.mail.message import header_text
from kkp.markup import is_web_url
from kkp.text import slugify, text_problem
from newsletter.models import Article, Image, Issue, IssueStatus, MailingList

MAX_TITLE = 200
MAX_NUMBER = 40
MAX_LINKS = 10
IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
#: larger pictures are refused: nobody needs them in a newsletter, and they cost memory
MAX_IMAGE_PIXELS = 40_000_000


class IssueError(InputError):
    """Bad input for an issue or article."""


class IssueStateError(IssueError, ConflictError):
    """A change the issue's status forbids (sending a sent issue, editing while sending)."""


# -- issues ------------------------------------------------------------------------------


def _clean_line(value: str | None, field: str, limit: int, *, required: bool) -> str:
    value = header_text(value or "", 10_000)  # no CR/LF: these reach mail headers
    problem = text_problem(value)  # what is left: C1 controls, bidirectional overrides
    if problem:
        raise IssueError(problem, field)
    if required and not value:
        raise IssueError(_("Please fill in this field."), field)
    if len(value) > limit:
        raise IssueError(_("At most %(n)d characters, please.", n=limit), field)
    return value


def _lists(list_ids: Iterable[int]) -> list[MailingList]:
    ids = {int(i) for i in list_ids}
    if not ids:
        return []
    found = db.session.scalars(sa.select(MailingList).where(MailingList.id.in_(ids))).all()
    if len(found) != len(ids):
        raise IssueError(_("Please choose from the lists shown."), "lists")
    return list(found)


def _slugify(text: str) -> str:
    return slugify(text, "ausgabe")


def _unique_slug(issue: Issue) -> str:
    base = _slugify(f"{issue.number} {issue.title}")
    slug, n = base, 1
    while db.session.scalar(
        sa.select(Issue.id).where(Issue.slug == slug, Issue.id != (issue.id or 0))
    ):
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_issue(
    *, number: str, title: str, intro: str = "", list_ids: Iterable[int] = ()
) -> Issue:
    issue = Issue(status=IssueStatus.DRAFT)
    _apply(issue, number=number, title=title, intro=intro, list_ids=list_ids)
    db.session.add(issue)
    db.session.flush()
    audit("issue.create", issue, number=issue.number)
    return issue


def update_issue(
    issue: Issue,
    *,
    number: str,
    title: str,
    intro: str = "",
    list_ids: Iterable[int] = (),
) -> Issue:
    require_editable(issue)
    _apply(issue, number=number, title=title, intro=intro, list_ids=list_ids)
    db.session.flush()
    return issue


def markdown_text(value: str | None, field: str) -> str:
    """An intro or article text, at most `KKP_ARTICLE_MAX_LENGTH` characters."""
    value = (value or "").replace("\r\n", "\n")
    problem = text_problem(value, multi_line=True)
    if problem:
        raise IssueError(problem, field)
    limit = current_app.config["KKP_ARTICLE_MAX_LENGTH"]
    if len(value) > limit:
        raise IssueError(
            _(
                "This text is too long: %(count)s characters, at most %(n)s are possible. "
                "Please shorten it, split it into several articles or link to the full "
                "text.",
                count=format_number(len(value)),
                n=format_number(limit),
            ),
            field,
        )
    return value


def _apply(issue: Issue, *, number, title, intro, list_ids) -> None:
    issue.number = _clean_line(number, "number", MAX_NUMBER, required=True)
    issue.title = _clean_line(title, "title", MAX_TITLE, required=True)
    issue.intro = markdown_text(intro, "intro")
    issue.lists = _lists(list_ids)
    issue.slug = _unique_slug(issue)


def require_editable(issue: Issue) -> None:
    if not issue.is_editable:
        raise IssueStateError(
            _("This issue is being sent or was sent; it can no longer be changed.")
        )


def delete_issue(issue: Issue) -> None:
    if (
        issue.status not in (IssueStatus.DRAFT, IssueStatus.CANCELLED)
        or issue.started_at is not None
    ):
        raise IssueStateError(_("Only drafts can be deleted."))
    audit("issue.delete", issue, number=issue.number)
    db.session.delete(issue)
    db.session.flush()


# -- articles ----------------------------------------------------------------------------


def parse_links(text: str | None) -> list[dict[str, str]]:
    """One link per line, `Label | https://…` or just the URL."""
    links = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        label, sep, url = line.rpartition("|")
        if not sep:
            label, url = "", line
        label, url = header_text(label, 200), url.strip()
        if not is_web_url(url) or len(url) > 2000:
            raise IssueError(
                _("Line %(n)d: links must start with http:// or https://.", n=n), "links"
            )
        links.append({"label": label, "url": url})
    if len(links) > MAX_LINKS:
        raise IssueError(_("At most %(n)d links per article, please.", n=MAX_LINKS), "links")
    return links


def clean_links(links: list[dict[str, str]]) -> list[dict[str, str]]:
    """Links given as data (the API): each an http(s) URL with an optional label."""
    cleaned = []
    for n, link in enumerate(links, start=1):
        url = str(link.get("url") or "").strip() if isinstance(link, dict) else ""
        if not is_web_url(url) or len(url) > 2000:
            raise IssueError(
                _("Link %(n)d: links must start with http:// or https://.", n=n), "links"
            )
        cleaned.append({"label": header_text(str(link.get("label") or ""), 200), "url": url})
    if len(cleaned) > MAX_LINKS:
        raise IssueError(_("At most %(n)d links per article, please.", n=MAX_LINKS), "links")
    return cleaned


def links_text(links: list[dict[str, str]]) -> str:
    """The links as the editor typed them, for the form."""
    return "\n".join(
        f"{link['label']} | {link['url']}" if link.get("label") else link["url"] for link in links
    )


def add_article(issue: Issue, **fields) -> Article:
    require_editable(issue)
    article = Article(issue=issue, position=len(issue.articles))
    _apply_article(article, **fields)
    db.session.add(article)
    db.session.flush()
    return article


def update_article(article: Article, **fields) -> Article:
    require_editable(article.issue)
    _apply_article(article, **fields)
    db.session.flush()
    return article


def linked_event(event_id: int | str | None, *, current_id: int | None = None):
    """The event an article is to announce, or None for none.

    Only a published event can be newly linked; an article keeps the event it links
    already whatever became of it (a cancelled one shows as cancelled).
    """
    if event_id in (None, "", 0):
        return None
    try:
        number = int(event_id)
    except (TypeError, ValueError):
        number = 0
    event = db.session.get(Event, number) if 0 < number < 2**31 else None
    if event is None:
        raise IssueError(_("Please choose from the events shown."), "event_id")
    if event.id != current_id and event.status != EventStatus.PUBLISHED:
        raise IssueError(
            _("Only published events can be linked. Please publish the event first."),
            "event_id",
        )
    return event


def _apply_article(
    article: Article,
    *,
    title: str,
    body: str = "",
    links: list[dict[str, str]] | str | None = None,
    image: Image | None = None,
    image_alt: str | None = None,
    remove_image: bool = False,
    event_id: int | str | None = None,
) -> None:
    article.title = _clean_line(title, "title", MAX_TITLE, required=True)
    article.body = markdown_text(body, "body")
    if isinstance(links, str) or links is None:
        article.links = parse_links(links)
    else:
        article.links = clean_links(links)
    article.event = linked_event(event_id, current_id=article.event_id)
    if remove_image:
        article.image = None
    if image is not None:
        article.image = image
    article.image_alt = header_text(image_alt or "", 300)
    if article.image is not None and not article.image_alt:
        raise IssueError(
            _("Please describe the image for people who cannot see it (alternative text)."),
            "image_alt",
        )


def move_article(article: Article, delta: int) -> None:
    """Move up (-1) or down (+1) among the issue's articles."""
    issue = article.issue
    require_editable(issue)
    articles = list(issue.articles)
    i = articles.index(article)
    j = max(0, min(len(articles) - 1, i + delta))
    articles.insert(j, articles.pop(i))
    for position, a in enumerate(articles):
        a.position = position
    db.session.flush()
    db.session.expire(issue, ["articles"])


def reorder_articles(issue: Issue, article_ids: list[int]) -> None:
    """Put the issue's articles in the order given: every article's id once."""
    require_editable(issue)
    by_id = {a.id: a for a in issue.articles}
    if sorted(article_ids) != sorted(by_id):
        raise IssueError(
            _("The articles have changed in the meantime. Please reload the page."), "articles"
        )
    for position, article_id in enumerate(article_ids):
        by_id[article_id].position = position
    db.session.flush()
    db.session.expire(issue, ["articles"])


def remove_article(article: Article) -> None:
    issue = article.issue
    require_editable(issue)
    issue.articles.remove(article)
    for position, a in enumerate(issue.articles):
        a.position = position
    db.session.flush()


# -- images ------------------------------------------------------------------------------


def _megabytes(size: int, *, up: bool = False) -> str:
    """A size in MB as people read it, in their language: "2", "0,48", "0,004", not "0"
    for a small limit; `up` rounds up, so a file just over the limit never reads as it."""
    mb = size / 1_048_576
    if mb > 0:
        step = 10 ** (math.floor(math.log10(mb)) - 2)  # three significant digits
        mb = (math.ceil(mb / step) if up else round(mb / step)) * step
    return format_decimal(mb, format="#,##0.###")


def store_image(data: bytes) -> Image:
    """Check an upload and keep it; refuses anything but PNG, JPEG, GIF and WebP."""
    limit = current_app.config["KKP_IMAGE_MAX_BYTES"]
    if not data:
        raise IssueError(_("The file is empty."), "image")
    if len(data) > limit:
        raise IssueError(
            _(
                "The image is too large (%(size)s MB); at most %(limit)s MB, please.",
                size=_megabytes(len(data), up=True),
                limit=_megabytes(limit),
            ),
            "image",
        )
    too_many_pixels = IssueError(
        _("The image has too many pixels; please make it smaller."), "image"
    )
    try:
        # Pillow warns about, or refuses, a picture whose declared size could fill the
        # memory when decoded (a decompression bomb): either way it is too large here
        with warnings.catch_warnings():
            warnings.simplefilter("error", PILImage.DecompressionBombWarning)
            with PILImage.open(io.BytesIO(data)) as picture:
                kind = picture.format
                width, height = picture.size
                if kind not in IMAGE_TYPES:
                    raise IssueError(_("Please upload a PNG, JPEG, GIF or WebP image."), "image")
                if width * height > MAX_IMAGE_PIXELS:
                    raise too_many_pixels
                picture.verify()
    except IssueError:
        raise
    except (PILImage.DecompressionBombError, PILImage.DecompressionBombWarning) as exc:
        raise too_many_pixels from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise IssueError(
            _("This file is not an image we can use; please upload a PNG, JPEG, GIF or WebP."),
            "image",
        ) from exc
    image = Image(
        mime=IMAGE_TYPES[kind],
        width=width,
        height=height,
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )
    db.session.add(image)
    db.session.flush()
    return image
