"""What the issue API answers: issues, articles, sending and its progress, as JSON and
as the schemas that describe it."""

from __future__ import annotations

from datetime import datetime

import marshmallow as ma

from kkp.api_fields import AnswerSchema, answer, page_of
from newsletter.models import ISSUE_STATUSES, Article, Issue
from newsletter.pages.archive import PUBLISHED
from newsletter.render import image_url, web_url


class IssueSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    number = answer()
    title = answer()
    slug = answer(
        description="The archive address's last part; follows number and title until the "
        "issue is sent."
    )
    intro = answer(description="Markdown.")
    status = answer(
        enum=list(ISSUE_STATUSES),
        description=(
            "draft → scheduled → sending ⇄ paused → sent; scheduled, sending and paused "
            "issues can be cancelled."
        ),
    )
    list_ids = answer(ma.fields.List, ma.fields.Integer())
    scheduled_at = answer(ma.fields.DateTime, nullable=True, description="UTC.")
    started_at = answer(ma.fields.DateTime, nullable=True, description="UTC.")
    finished_at = answer(ma.fields.DateTime, nullable=True, description="UTC; sent or cancelled.")
    pause_reason = answer(
        nullable=True, description="Why sending paused, e.g. the mail server's last answer."
    )
    archive_url = answer(
        format="uri",
        nullable=True,
        description="The issue in the public archive, once sending started.",
    )
    created_at = answer(ma.fields.DateTime)
    updated_at = answer(ma.fields.DateTime)


class LinkSchema(AnswerSchema):
    label = answer()
    url = answer()


class ImageSchema(AnswerSchema):
    url = answer(format="uri")
    alt = answer()
    width = answer(ma.fields.Integer, description="Pixels.")
    height = answer(ma.fields.Integer, description="Pixels.")


class ArticleSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    position = answer(ma.fields.Integer, description="0 is the first article.")
    title = answer()
    body = answer(description="Markdown.")
    links = answer(ma.fields.List, ma.fields.Nested(LinkSchema))
    image = answer(ma.fields.Nested, ImageSchema, nullable=True)
    event_id = answer(
        ma.fields.Integer,
        nullable=True,
        description="The event the article announces; null for none.",
    )


class IssueDetailSchema(IssueSchema):
    articles = answer(ma.fields.List, ma.fields.Nested(ArticleSchema))


IssuePageSchema = page_of(IssueSchema, "IssuePageSchema")


class IssueSendingSchema(AnswerSchema):
    recipients = answer(
        ma.fields.Integer,
        description="Confirmed subscribers of the issue's lists, counted now.",
    )
    issue = answer(ma.fields.Nested, IssueDetailSchema)


class TestSendResultSchema(AnswerSchema):
    queued = answer(ma.fields.Integer, description="Test mails queued (one per address).")


class DeliveryFailureSchema(AnswerSchema):
    delivery_id = answer(ma.fields.Integer)
    subscriber_id = answer(ma.fields.Integer, nullable=True)
    recipient = answer()
    final = answer(ma.fields.Boolean, description="true: given up; false: will be tried again.")
    at = answer(ma.fields.DateTime)
    # last: the name hides the helper in the rest of the class body
    answer = answer(description="The mail server's answer.")


class IssueProgressSchema(AnswerSchema):
    status = answer(enum=list(ISSUE_STATUSES))
    total = answer(ma.fields.Integer, description="Recipients.")
    sent = answer(ma.fields.Integer)
    failed = answer(ma.fields.Integer, description="Given up after retries.")
    cancelled = answer(
        ma.fields.Integer, description="Not sent: cancelled, or unsubscribed meanwhile."
    )
    pending = answer(ma.fields.Integer, description="Queued or being sent now.")
    left = answer(ma.fields.Integer, description="Not yet sent, failed or cancelled.")
    rate = answer(ma.fields.Float, description="Mails per second, last 30 seconds.")
    seconds_left = answer(
        ma.fields.Integer,
        nullable=True,
        description="Estimate at the current rate; null when not sending.",
    )
    pause_reason = answer(nullable=True)
    started_at = answer(ma.fields.DateTime, nullable=True)
    finished_at = answer(ma.fields.DateTime, nullable=True)
    failures = answer(
        ma.fields.List,
        ma.fields.Nested(DeliveryFailureSchema),
        maxItems=50,
        description="The latest failed or retried deliveries, newest first.",
    )


# -- as JSON -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def article_json(article: Article) -> dict:
    image = article.image
    return {
        "id": article.id,
        "position": article.position,
        "title": article.title,
        "body": article.body,
        "links": [{"label": li.get("label", ""), "url": li["url"]} for li in article.links or []],
        "image": None
        if image is None
        else {
            "url": image_url(image),
            "alt": article.image_alt,
            "width": image.width,
            "height": image.height,
        },
        "event_id": article.event_id,
    }


def issue_json(issue: Issue, *, detail: bool = False) -> dict:
    published = issue.status in PUBLISHED and issue.started_at is not None
    data = {
        "id": issue.id,
        "number": issue.number,
        "title": issue.title,
        "slug": issue.slug,
        "intro": issue.intro,
        "status": issue.status,
        "list_ids": [mailing_list.id for mailing_list in issue.lists],
        "scheduled_at": _iso(issue.scheduled_at),
        "started_at": _iso(issue.started_at),
        "finished_at": _iso(issue.finished_at),
        "pause_reason": issue.pause_reason,
        "archive_url": web_url(issue) if published else None,
        "created_at": _iso(issue.created_at),
        "updated_at": _iso(issue.updated_at),
    }
    if detail:
        data["articles"] = [article_json(a) for a in issue.articles]
    return data
