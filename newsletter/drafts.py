"""New drafts: the number the next issue is likely to get, a copy of an issue to start
from, and the office's template, the issue every new one may start from. All go
through the composing operations (:mod:`newsletter.issues`), so a copy is checked like
any issue an editor types.

The template is an ordinary issue that an office setting names (`template_issue_id`),
not a kind of issue: it needs no column, and every list that shows issues (archive,
feeds, sending, the start page) treats it as what it is. A draft kept as the template
is never sent, so its number does not count for the next one."""

from __future__ import annotations

import re
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from events.models import EventStatus
from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.i18n import BERLIN
from newsletter import issues
from newsletter.models import Issue, IssueStatus, OfficeSetting

#: the office setting that names the template issue (its id); not one of the settings
#: the settings page edits (newsletter.settings.SETTINGS)
TEMPLATE_KEY = "template_issue_id"

#: "3/2026", "12 / 2026": the numbering offices use
_NUMBER = re.compile(r"^\s*(\d{1,4})\s*/\s*(\d{4})\s*$")


def next_number(today: date | None = None) -> str:
    """The number after the highest "n/year" so far: "4/2026" after "3/2026"; in a
    year with no issue yet, "1/<this year>"."""
    today = today or datetime.now(BERLIN).date()
    numbered = []
    query = sa.select(Issue.number)
    template = template_issue()
    if template is not None and template.status == IssueStatus.DRAFT:
        query = query.where(Issue.id != template.id)
    for number in db.session.scalars(query):
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


# -- the template ------------------------------------------------------------------------


def template_issue() -> Issue | None:
    """The issue the office starts new ones from, if it chose one (and it still exists)."""
    row = db.session.get(OfficeSetting, TEMPLATE_KEY)
    if row is None or not row.value.isdigit():
        return None
    return db.session.get(Issue, int(row.value))


def set_template(issue: Issue | None) -> None:
    """Make `issue` the office's template (None: no template any more)."""
    before = template_issue()
    row = db.session.get(OfficeSetting, TEMPLATE_KEY)
    if row is None:
        row = OfficeSetting(key=TEMPLATE_KEY, value="")
        db.session.add(row)
    row.value = str(issue.id) if issue is not None else ""
    if before is not None and before is not issue:
        audit("issue.template_clear", before, number=before.number)
    if issue is not None and before is not issue:
        audit("issue.template_set", issue, number=issue.number)
    db.session.flush()


def draft_from_template() -> Issue:
    """A new draft from the template: its title, intro, lists and articles (texts,
    links, images, events still published), numbered :func:`next_number`."""
    template = template_issue()
    if template is None:
        raise issues.IssueError(_("There is no template; mark an issue as the template first."))
    return duplicate_issue(template)
