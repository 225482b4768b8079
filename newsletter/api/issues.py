"""JSON API for issues and their articles: composing. Thin routes over
:mod:`newsletter.issues`, the operations the editors' pages use.

An :class:`~newsletter.issues.IssueError` is a 422 naming the field; an action the
issue's status forbids is a 409, checked before the operation runs (the operations check
the same again).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from kkp.api import ApiBlueprint, ApiError, get_or_404, invalid, keyset_page
from kkp.api_docs import id_parameter, links_to
from kkp.api_fields import PAGE_SIZE
from kkp.extensions import db
from newsletter import issues
from newsletter.api.errors import handle_errors
from newsletter.api.issue_answers import (
    ArticleSchema,
    IssueDetailSchema,
    IssuePageSchema,
    article_json,
    issue_json,
)
from newsletter.api.issue_input import (
    ArticleCreateSchema,
    ArticleMoveSchema,
    ArticleUpdateSchema,
    IssueCreateSchema,
    IssueQuerySchema,
    IssueUpdateSchema,
)
from newsletter.models import Article, Issue

bp = ApiBlueprint("issues", __name__)
handle_errors(bp)

ISSUE_ID = id_parameter("issue_id", "The issue's id.")
_ARTICLE_ID = id_parameter("article_id", "The article's id (of this issue).")
_ISSUE = "/issues/<int:issue_id>"
_ARTICLE = _ISSUE + "/articles/<int:article_id>"
LOCATION = {"Location": {"description": "The issue's URL.", "schema": {"type": "string"}}}
_EDITABLE = " Only while the issue is a draft or scheduled; otherwise 409."


def issue_response(issue: Issue, status: int = 200):
    response = jsonify(issue_json(issue, detail=True))
    response.status_code = status
    response.headers["Location"] = url_for("api.issues.issue", issue_id=issue.id)
    return response


# -- lookups and the status rules ----------------------------------------------------------


def find_issue(issue_id: int) -> Issue:
    return get_or_404(Issue, issue_id, _("There is no such issue."))


def _article(issue: Issue, article_id: int) -> Article:
    article = get_or_404(Article, article_id, _("This issue has no such article."))
    if article.issue_id != issue.id:
        raise ApiError(404, _("This issue has no such article."))
    return article


def require(allowed: bool, message: str) -> None:
    """409 before the body is used: the issue's status does not allow this change.
    (The operations refuse it too, with IssueStateError; this answers it first.)"""
    if not allowed:
        raise ApiError(409, message)


def _require_editable(issue: Issue) -> None:
    require(
        issue.is_editable,
        _("This issue is being sent or was sent; it can no longer be changed."),
    )


# -- issues --------------------------------------------------------------------------------


@bp.route("/issues", endpoint="issues", methods=["GET"])
@bp.doc(
    operationId="listIssues",
    summary="Issues by id, a page at a time (keyset paging), without articles.",
)
@bp.query(IssueQuerySchema)
@bp.response(200, IssuePageSchema, description="One page.")
@bp.errors(422)
def get_issues(read_query):
    args = read_query()
    limit = args.get("limit", PAGE_SIZE)
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


@bp.route("/issues", endpoint="create_issue", methods=["POST"])
@bp.doc(operationId="createIssue", summary="Start a new issue (a draft).")
@bp.body(IssueCreateSchema)
@bp.response(201, IssueDetailSchema, description="The new draft.", headers=LOCATION)
@bp.doc(
    responses={
        201: {
            "links": links_to(
                "issue_id",
                ("getIssue", "updateIssue", "addArticle", "testSendIssue", "sendIssue"),
            )
        }
    }
)
@bp.errors(400, 422)
def post_issue(read_body):
    values = read_body()
    issue = issues.create_issue(
        number=values["number"],
        title=values["title"],
        intro=values.get("intro", ""),
        list_ids=values.get("list_ids", []),
    )
    db.session.commit()
    return issue_response(issue, 201)


@bp.route(_ISSUE, endpoint="issue", methods=["GET"], parameters=[ISSUE_ID])
@bp.doc(operationId="getIssue", summary="One issue with its articles.")
@bp.response(200, IssueDetailSchema, description="The issue.")
@bp.errors(404)
def get_issue(issue_id: int):
    return jsonify(issue_json(find_issue(issue_id), detail=True))


@bp.route(_ISSUE, endpoint="update_issue", methods=["PATCH"], parameters=[ISSUE_ID])
@bp.doc(
    operationId="updateIssue",
    summary="Change number, title, intro or lists.",
    description="The fields sent replace the stored ones." + _EDITABLE,
)
@bp.body(IssueUpdateSchema)
@bp.response(200, IssueDetailSchema, description="The issue afterwards.", headers=LOCATION)
@bp.errors(400, 404, 409, 422)
def patch_issue(read_body, issue_id: int):
    issue = find_issue(issue_id)
    _require_editable(issue)
    values = read_body()
    issues.update_issue(
        issue,
        number=values.get("number", issue.number),
        title=values.get("title", issue.title),
        intro=values.get("intro", issue.intro),
        list_ids=values.get("list_ids", [m.id for m in issue.lists]),
    )
    db.session.commit()
    return issue_response(issue)


@bp.route(_ISSUE, endpoint="delete_issue", methods=["DELETE"], parameters=[ISSUE_ID])
@bp.doc(
    operationId="deleteIssue",
    summary="Delete a draft (or a cancelled issue that never started).",
    responses={"204": {"description": "Deleted."}},
)
@bp.errors(404, 409)
def delete_issue(issue_id: int):
    issues.delete_issue(find_issue(issue_id))
    db.session.commit()
    return "", 204


# -- articles ------------------------------------------------------------------------------


def _stored_image(image: dict | None):
    return issues.store_image(image["data"]) if image and image["data"] is not None else None


@bp.route(_ISSUE + "/articles", endpoint="create_article", methods=["POST"], parameters=[ISSUE_ID])
@bp.doc(
    operationId="addArticle",
    summary="Add an article at the end.",
    description="A picture comes Base64-encoded, with its alternative text." + _EDITABLE,
)
@bp.body(ArticleCreateSchema)
@bp.response(201, ArticleSchema, description="The new article.")
@bp.errors(400, 404, 409, 422)
def post_article(read_body, issue_id: int):
    issue = find_issue(issue_id)
    _require_editable(issue)
    values = read_body()
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


_BOTH_IDS = [ISSUE_ID, _ARTICLE_ID]


@bp.route(_ARTICLE, endpoint="update_article", methods=["PATCH"], parameters=_BOTH_IDS)
@bp.doc(
    operationId="updateArticle",
    summary="Change an article's title, text, links or picture.",
    description="The fields sent replace the stored ones." + _EDITABLE,
)
@bp.body(ArticleUpdateSchema)
@bp.response(200, ArticleSchema, description="The article afterwards.")
@bp.errors(400, 404, 409, 422)
def patch_article(read_body, issue_id: int, article_id: int):
    issue = find_issue(issue_id)
    article = _article(issue, article_id)
    _require_editable(issue)
    values = read_body()
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


@bp.route(_ARTICLE, endpoint="delete_article", methods=["DELETE"], parameters=_BOTH_IDS)
@bp.doc(
    operationId="deleteArticle",
    summary="Remove an article; the ones after it move up.",
    description=_EDITABLE.strip(),
    responses={"204": {"description": "Removed."}},
)
@bp.errors(404, 409)
def delete_article(issue_id: int, article_id: int):
    issue = find_issue(issue_id)
    article = _article(issue, article_id)
    _require_editable(issue)
    issues.remove_article(article)
    db.session.commit()
    return "", 204


@bp.route(_ARTICLE + "/move", endpoint="move_article", methods=["POST"], parameters=_BOTH_IDS)
@bp.doc(
    operationId="moveArticle",
    summary="Move an article one place (`delta`) or to a place (`position`).",
    description="Give exactly one of the two." + _EDITABLE,
)
@bp.body(ArticleMoveSchema)
@bp.response(200, IssueDetailSchema, description="The issue in its new order.")
@bp.errors(400, 404, 409, 422)
def post_move_article(read_body, issue_id: int, article_id: int):
    issue = find_issue(issue_id)
    article = _article(issue, article_id)
    _require_editable(issue)
    values = read_body()
    if len(values) != 1:
        message = _("Give either delta or position.")
        raise ApiError(
            422,
            _("Please check the fields named."),
            dict.fromkeys(("delta", "position"), message),
        )
    delta = values.get("delta")
    if delta is None:
        delta = values["position"] - issue.articles.index(article)
    issues.move_article(article, delta)
    db.session.commit()
    return issue_response(issue)
