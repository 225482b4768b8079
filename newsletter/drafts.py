"""New drafts: the number the next issue is likely to get, and a copy of an issue to
start from. Both go through the composing operations (:mod:`newsletter.issues`), so a
copy is checked like any issue an editor types."""

from __future__ import annotations

import re
from datetime import date, datetime

import sqlalchemy as sa

from events.models import EventStatus
from kkp.extensions import db
from kkp.i18n import BERLIN
from newsletter import issues
from newsletter.models import Issue

#: "3/2026", "12 / 2026": the numbering offices use
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{4})\s*$")


def next_number(today: date | None = None) -> str:
    """The number after the highest "n/year" so far: "4/2026" after "3/2026"; in a
    year with no issue yet, "1/<this year>"."""
    today = today or datetime.now(BERLIN).date()
    numbered = []
    for number in db.session.scalars(sa.select(Issue.number)):
        match = _NUMBER.match(number or "")
        if match:
            numbered.append((int(match[2]), int(match[1])))
    year, n = max(numbered, default=(today.year, 0))
    if year < today.year:
        year, n = today.year, 0
    return f"{n + 1}/{year}"


def duplicate_issue(issue: Issue) -> Issue:
    """A new draft with the issue's title, intro, lists and articles (their images are
    shared, not copied), numbered :func:`next_number`. Events are linked again only
    while they are published."""
    copy = issues.create_issue(
        number=next_number(),
        title=issue.title,
        intro=issue.intro,
        list_ids=[m.id for m in issue.lists],
    )
    for article in issue.articles:
        event = article.event
        issues.add_article(
            copy,
            title=article.title,
            body=article.body,
            links=list(article.links or []),
            image=article.image,
            image_alt=article.image_alt,
            event_id=event.id
            if event is not None and event.status == EventStatus.PUBLISHED
            else None,
        )
    return copy
