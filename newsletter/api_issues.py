"""JSON API for issues: composing, test sends, scheduling, sending and its progress.

Thin routes over :mod:`newsletter.issues` and :mod:`newsletter.sending`, the operations
the editors' pages use. An :class:`~newsletter.issues.IssueError` is a 422 naming the
field; an action the issue's status forbids is a 409, checked before the operation runs
(the operations check the same again).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from kkp.api import (
    ApiError,
    add_routes,
    api_error_response,
    get_or_404,
    invalid,
    keyset_page,
    read_body,
    read_query,
)
from kkp.extensions import db
from newsletter import issues, openapi, openapi_issues, sending
from newsletter.addresses import SubscriptionError
from newsletter.api_issues_input import (  # noqa: I001
    ARTICLE_CHANGES,
    ARTICLE_FIELDS,
    FIELD_NAMES,
    ISSUE_CHANGES,
    ISSUE_FIELDS,
    ISSUE_QUERY,
    MOVE_FIELDS,
    PAUSE_FIELDS,
    SCHEDULE_FIELDS,
    TEST_SEND_FIELDS,
    read_json,
)
from newsletter.archive import PUBLISHED
from newsletter.models import Article, Issue
from newsletter.render import image_url, web_url

# -- representations -----------------------------------------------------------------------


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


def _issue_response(issue: Issue, status: int = 200):
    response = jsonify(issue_json(issue, detail=True))
    response.status_code = status
    response.headers["Location"] = url_for("api.issue", issue_id=issue.id)
    return response


def _sending_response(issue: Issue, recipients: int, status: int):
    response = jsonify(recipients=recipients, issue=issue_json(issue, detail=True))
    response.status_code = status
    return response


# -- lookups and the status rules ----------------------------------------------------------


def _issue(issue_id: int) -> Issue:
    return get_or_404(Issue, issue_id, _("There is no such issue."))


def _article(issue: Issue, article_id: int) -> Article:
    article = get_or_404(Article, article_id, _("This issue has no such article."))
    if article.issue_id != issue.id:
        raise ApiError(404, _("This issue has no such article."))
    return article


def _require(allowed: bool, message: str) -> None:
    """409 before the body is read: the issue's status does not allow this change.
    (The operations refuse it too, with IssueStateError; this answers it first.)"""
    if not allowed:
        raise ApiError(409, message)


def _require_editable(issue: Issue) -> None:
    _require(
        issue.is_editable,
        _("This issue is being sent or was sent; it can no longer be changed."),
    )


def _require_unsent(issue: Issue) -> None:
    _require(issue.is_editable, _("This issue is being sent or was sent already."))


# -- issues --------------------------------------------------------------------------------


def get_issues():
    args = read_query(ISSUE_QUERY)
    limit = args.get("limit", openapi.PAGE_SIZE)
    query = (
        sa.select(Issue)
        .options(selectinload(Issue.lists))
        .where(Issue.id > args.get("after", 0))
        .order_by(Issue.id)
        .limit(limit + 1)
    )
    if "status" in args:
        query = query.where(Issue.status == args["status"])
    return keyset_page(query, limit, issue_json)


def post_issue():
    values = read_json(ISSUE_FIELDS)
    issue = issues.create_issue(
        number=values["number"],
        title=values["title"],
        intro=values.get("intro", ""),
        list_ids=values.get("list_ids", []),
    )
    db.session.commit()
    return _issue_response(issue, 201)


def get_issue(issue_id: int):
    return jsonify(issue_json(_issue(issue_id), detail=True))


def patch_issue(issue_id: int):
    issue = _issue(issue_id)
    _require_editable(issue)
    values = read_json(ISSUE_CHANGES)
    issues.update_issue(
        issue,
        number=values.get("number", issue.number),
        title=values.get("title", issue.title),
        intro=values.get("intro", issue.intro),
        list_ids=values.get("list_ids", [m.id for m in issue.lists]),
    )
    db.session.commit()
    return _issue_response(issue)


def delete_issue(issue_id: int):
    issue = _issue(issue_id)
    issues.delete_issue(issue)
    db.session.commit()
    return "", 204


# -- articles ------------------------------------------------------------------------------


def _stored_image(image: dict | None):
    return issues.store_image(image["data"]) if image and image["data"] is not None else None


def post_article(issue_id: int):
    issue = _issue(issue_id)
    _require_editable(issue)
    values = read_json(ARTICLE_FIELDS)
    image = values.get("image")
    if image is not None and image["data"] is None:
        raise invalid("image", _("Please send the picture as content_base64."))
    article = issues.add_article(
        issue,
        title=values["title"],
        body=values.get("body", ""),
        links=values.get("links", []),
        image=_stored_image(image),
        image_alt=image["alt"] if image else "",
        event_id=values.get("event_id"),
    )
    db.session.commit()
    response = jsonify(article_json(article))
    response.status_code = 201
    return response


def patch_article(issue_id: int, article_id: int):
    issue = _issue(issue_id)
    article = _article(issue, article_id)
    _require_editable(issue)
    values = read_json(ARTICLE_CHANGES)
    image_alt, remove_image = article.image_alt, False
    if "image" in values:
        image = values["image"]
        if image is None:
            image_alt, remove_image = "", True
        elif image["data"] is None and article.image is None:
            raise invalid("image", _("Please send the picture as content_base64."))
        else:
            image_alt = image["alt"]
    issues.update_article(
        article,
        title=values.get("title", article.title),
        body=values.get("body", article.body),
        links=values.get("links", article.links),
        image=_stored_image(values.get("image")),
        image_alt=image_alt,
        remove_image=remove_image,
        event_id=values.get("event_id", article.event_id),
    )
    db.session.commit()
    return jsonify(article_json(article))


def delete_article(issue_id: int, article_id: int):
    issue = _issue(issue_id)
    article = _article(issue, article_id)
    _require_editable(issue)
    issues.remove_article(article)
    db.session.commit()
    return "", 204


def post_move_article(issue_id: int, article_id: int):
    issue = _issue(issue_id)
    article = _article(issue, article_id)
    _require_editable(issue)
    values = read_json(MOVE_FIELDS)
    if len(values) != 1:
        message = _("Give either delta or position.")
        raise ApiError(
            422, _("Please check the fields named."), dict.fromkeys(MOVE_FIELDS, message)
        )
    delta = values.get("delta")
    if delta is None:
        delta = values["position"] - issue.articles.index(article)
    issues.move_article(article, delta)
    db.session.commit()
    return _issue_response(issue)


# -- test sends, scheduling, sending -------------------------------------------------------


def post_test_send(issue_id: int):
    issue = _issue(issue_id)
    values = read_json(TEST_SEND_FIELDS)
    try:
        queued = sending.test_send(issue, values["addresses"])
    except issues.IssueError:
        raise
    except SubscriptionError as exc:  # an address that is not one
        raise invalid("addresses", str(exc)) from exc
    db.session.commit()
    response = jsonify(queued=len(queued))
    response.status_code = 202
    return response


def post_schedule(issue_id: int):
    issue = _issue(issue_id)
    _require_unsent(issue)
    values = read_json(SCHEDULE_FIELDS)
    recipients = sending.schedule(issue, values["at"])
    db.session.commit()
    return _sending_response(issue, recipients, 200)


def post_unschedule(issue_id: int):
    issue = _issue(issue_id)
    read_body({}, optional=True)
    sending.unschedule(issue)
    db.session.commit()
    return _issue_response(issue)


def post_send(issue_id: int):
    issue = _issue(issue_id)
    read_body({}, optional=True)
    recipients = sending.start_sending(issue)
    db.session.commit()
    return _sending_response(issue, recipients, 202)


def post_pause(issue_id: int):
    issue = _issue(issue_id)
    values = read_body(PAUSE_FIELDS, optional=True)
    sending.pause(issue, values.get("reason") or None)
    db.session.commit()
    return _issue_response(issue)


def post_resume(issue_id: int):
    issue = _issue(issue_id)
    read_body({}, optional=True)
    sending.resume(issue)
    db.session.commit()
    return _issue_response(issue)


def post_cancel(issue_id: int):
    issue = _issue(issue_id)
    read_body({}, optional=True)
    sending.cancel(issue)
    db.session.commit()
    return _issue_response(issue)


def get_progress(issue_id: int):
    return jsonify(sending.progress(_issue(issue_id)))


def _issue_error(exc: issues.IssueError):
    """422 for bad input; 409 when the issue's status forbids the action."""
    status = 409 if isinstance(exc, issues.IssueStateError) else 422
    field = FIELD_NAMES.get(exc.field or "", exc.field)
    return api_error_response(ApiError(status, str(exc), {field: str(exc)} if field else None))


# -- registration --------------------------------------------------------------------------

_ISSUE = "/issues/<int:issue_id>"
_ARTICLE = _ISSUE + "/articles/<int:article_id>"
_ROUTES = (
    ("/issues", "issues", get_issues, "GET"),
    ("/issues", "create_issue", post_issue, "POST"),
    (_ISSUE, "issue", get_issue, "GET"),
    (_ISSUE, "update_issue", patch_issue, "PATCH"),
    (_ISSUE, "delete_issue", delete_issue, "DELETE"),
    (_ISSUE + "/articles", "create_article", post_article, "POST"),
    (_ARTICLE, "update_article", patch_article, "PATCH"),
    (_ARTICLE, "delete_article", delete_article, "DELETE"),
    (_ARTICLE + "/move", "move_article", post_move_article, "POST"),
    (_ISSUE + "/test-send", "test_send_issue", post_test_send, "POST"),
    (_ISSUE + "/schedule", "schedule_issue", post_schedule, "POST"),
    (_ISSUE + "/unschedule", "unschedule_issue", post_unschedule, "POST"),
    (_ISSUE + "/send", "send_issue", post_send, "POST"),
    (_ISSUE + "/pause", "pause_issue", post_pause, "POST"),
    (_ISSUE + "/resume", "resume_issue", post_resume, "POST"),
    (_ISSUE + "/cancel", "cancel_issue", post_cancel, "POST"),
    (_ISSUE + "/progress", "issue_progress", get_progress, "GET"),
)


def register_api(bp: Blueprint) -> None:
    """Add the issue routes to the API blueprint."""
    add_routes(
        bp,
        _ROUTES,
        error=issues.IssueError,
        handler=_issue_error,
        schemas=openapi_issues.SCHEMAS,
        paths=openapi_issues.PATHS,
    )
