"""JSON API for subscribers: thin routes over :mod:`newsletter.operations`, with their
input and output declared as schemas."""

from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from kkp.api import ApiBlueprint, ApiError, get_or_404, invalid, keyset_page
from kkp.api_docs import id_parameter, links_to
from kkp.api_fields import (
    PAGE_SIZE,
    ApiSchema,
    Ids,
    Number,
    QueryNumber,
    Text,
    paging,
)
from kkp.auth.operations import audit
from kkp.extensions import db
from newsletter import operations as ops
from newsletter import search
from newsletter.api.errors import handle_errors
from newsletter.api.subscriber_answers import (
    SubscriberDetailSchema,
    SubscriberPageSchema,
    UnsubscribeResultSchema,
    subscriber_json,
)
from newsletter.models import (
    SUBSCRIBER_STATUSES,
    ConsentSource,
    MailingList,
    Subscriber,
    SubscriberSource,
    Subscription,
    SuppressionReason,
)

bp = ApiBlueprint("subscribers", __name__)
handle_errors(bp)

#: languages a subscriber's mail can be in
LANGUAGES = ("de", "en")

# -- input ---------------------------------------------------------------------------------


class SubscriberCreateSchema(ApiSchema):
    EXAMPLES = [
        {
            "email": "anna.beispiel@example.org",
            "name": "Anna Beispiel",
            "organisation": "Stadt Musterstadt",
            "lists": [1],
        },
        {
            "email": "bernd@example.org",
            "lists": [1, 2],
            "consent_evidence": "Teilnehmerliste Netzwerktreffen 12.03.2026",
        },
    ]

    email = Text(254, required=True, metadata={"format": "email"})
    name = Text(ops.MAX_NAME)
    organisation = Text(ops.MAX_NAME)
    lists = Ids(required=True, metadata={"minItems": 1, "description": "Ids of the lists to join."})
    consent_evidence = Text(
        1000,
        nullable=True,
        metadata={
            "description": (
                "Where and when the person consented. With it the lists are confirmed at "
                "once; without it the person gets the confirmation mail (double opt-in)."
            )
        },
    )
    language = Text(
        2,
        choices=LANGUAGES,
        metadata={"default": "de", "description": "Language of the mail the person gets."},
    )


class SubscriberUpdateSchema(ApiSchema):
    EXAMPLES = [{"organisation": "Landkreis Musterkreis", "lists": [1, 3]}]

    name = Text(ops.MAX_NAME)
    organisation = Text(ops.MAX_NAME)
    lists = Ids(
        metadata={
            "minItems": 1,
            "description": (
                "The lists afterwards. Lists left are removed; new ones stay pending and "
                "the person gets a confirmation mail."
            ),
        }
    )


class SubscriberQuerySchema(ApiSchema):
    status = Text(
        20,
        choices=SUBSCRIBER_STATUSES,
        metadata={
            "description": "Only subscribers with this status; with `list`, the status on "
            "that list."
        },
    )
    list = QueryNumber(
        metadata={
            "description": "Only subscribers on this list (pending or confirmed, unless `status`)."
        }
    )
    q = Text(200, metadata={"description": "Part of the address, name or organisation."})
    after, limit = paging("Subscribers")


class UnsubscribeSchema(ApiSchema):
    list = Number(metadata={"description": "Leave only this list. Without it: all."})


def _subscriber_response(subscriber: Subscriber, status: int = 200):
    response = jsonify(subscriber_json(subscriber, detail=True))
    response.status_code = status
    response.headers["Location"] = url_for(
        "api.subscribers.subscriber", subscriber_id=subscriber.id
    )
    return response


# -- routes --------------------------------------------------------------------------------


def _subscriber(subscriber_id: int) -> Subscriber:
    return get_or_404(Subscriber, subscriber_id, _("There is no such subscriber."))


def _require_lists(list_ids: list[int]) -> None:
    if not list_ids:
        raise invalid("lists", _("Please choose at least one list."))


_ID = [id_parameter("subscriber_id", "The subscriber's id.")]
_ONE = "/subscribers/<int:subscriber_id>"
_LOCATION = {"Location": {"description": "The subscriber's URL.", "schema": {"type": "string"}}}
_LINKS = links_to(
    "subscriber_id", ("getSubscriber", "updateSubscriber", "unsubscribe", "deleteSubscriber")
)


@bp.route("/subscribers", endpoint="subscribers", methods=["GET"])
@bp.doc(
    operationId="listSubscribers",
    summary="Subscribers by id, a page at a time (keyset paging).",
)
@bp.query(SubscriberQuerySchema)
@bp.response(200, SubscriberPageSchema, description="One page.")
@bp.errors(422)
def get_subscribers(read_query):
    args = read_query()
    limit = args.get("limit", PAGE_SIZE)
    # The same filter as the editors' list and the CSV export; pages go oldest first.
    flt = search.SubscriberFilter(
        q=args.get("q", "").strip(), list_id=args.get("list"), status=args.get("status")
    )
    query = (
        flt.apply(sa.select(Subscriber))
        .options(selectinload(Subscriber.subscriptions).selectinload(Subscription.mailing_list))
        .where(flt.key > args.get("after", 0))
        .order_by(flt.key)
        .limit(limit + 1)
    )
    return keyset_page(query, limit, subscriber_json)


@bp.route("/subscribers", endpoint="create_subscriber", methods=["POST"])
@bp.doc(
    operationId="createSubscriber",
    summary="Add a subscriber, or add lists to an existing one.",
    description=(
        "Without `consent_evidence` the lists stay pending and the person gets the "
        "confirmation mail. An address that unsubscribed or was deleted is refused "
        "(409): only the person can sign up again, through the form."
    ),
)
@bp.body(SubscriberCreateSchema)
@bp.response(201, SubscriberDetailSchema, description="Created.", headers=_LOCATION)
@bp.alt_response(
    200,
    schema=SubscriberDetailSchema,
    description="The address existed; the subscriber afterwards.",
    headers=_LOCATION,
    success=True,
)
@bp.doc(responses={201: {"links": _LINKS}, 200: {"links": _LINKS}})
@bp.errors(400, 409, 422)
def post_subscriber(read_body):
    values = read_body()
    email = ops.normalise_email(values["email"])
    if ops.is_suppressed(email):
        raise ApiError(
            409,
            _(
                "This address has unsubscribed or was deleted. Only the person can sign up "
                "again, through the sign-up form."
            ),
            {"email": _("This address is suppressed.")},
        )
    _require_lists(values["lists"])
    subscriber, created = ops.add_subscriber(
        email=email,
        name=values.get("name", ""),
        organisation=values.get("organisation", ""),
        list_ids=values["lists"],
        consent_evidence=values.get("consent_evidence"),
        source=SubscriberSource.API,
        locale=values.get("language", "de"),
    )
    db.session.commit()
    return _subscriber_response(subscriber, 201 if created else 200)


@bp.route(_ONE, endpoint="subscriber", methods=["GET"], parameters=_ID)
@bp.doc(
    operationId="getSubscriber",
    summary="One subscriber with subscriptions and consent history.",
)
@bp.response(200, SubscriberDetailSchema, description="The subscriber.")
@bp.errors(404)
def get_subscriber(subscriber_id: int):
    return jsonify(subscriber_json(_subscriber(subscriber_id), detail=True))


@bp.route(_ONE, endpoint="update_subscriber", methods=["PATCH"], parameters=_ID)
@bp.doc(operationId="updateSubscriber", summary="Change name, organisation or lists.")
@bp.body(SubscriberUpdateSchema)
@bp.response(
    200, SubscriberDetailSchema, description="The subscriber afterwards.", headers=_LOCATION
)
@bp.errors(400, 404, 422)
def patch_subscriber(read_body, subscriber_id: int):
    subscriber = _subscriber(subscriber_id)
    values = read_body()
    list_ids = values.get("lists", [s.list_id for s in subscriber.subscriptions])
    _require_lists(list_ids)
    ops.edit_subscriber(
        subscriber,
        name=values.get("name", subscriber.name),
        organisation=values.get("organisation", subscriber.organisation),
        list_ids=list_ids,
        source=SubscriberSource.API,
    )
    db.session.commit()
    return _subscriber_response(subscriber)


@bp.route(_ONE, endpoint="delete_subscriber", methods=["DELETE"], parameters=_ID)
@bp.doc(
    operationId="deleteSubscriber",
    summary="Delete every personal detail; the address is suppressed.",
    responses={"204": {"description": "Deleted."}},
)
@bp.errors(404)
def delete_subscriber(subscriber_id: int):
    ops.delete_subscriber(_subscriber(subscriber_id), reason=SuppressionReason.DELETED)
    db.session.commit()
    return "", 204


@bp.route(_ONE + "/unsubscribe", endpoint="unsubscribe", methods=["POST"], parameters=_ID)
@bp.doc(
    operationId="unsubscribe",
    summary="Leave one list, or all. Leaving the last list deletes the subscriber.",
)
@bp.body(UnsubscribeSchema, optional=True)
@bp.response(200, UnsubscribeResultSchema, description="What happened.")
@bp.errors(400, 404, 422)
def post_unsubscribe(read_body, subscriber_id: int):
    subscriber = _subscriber(subscriber_id)
    list_id = read_body().get("list")
    if list_id is not None and db.session.get(MailingList, list_id) is None:
        raise invalid("list", _("There is no such list."))
    was_on_list = any(s.list_id == list_id for s in subscriber.subscriptions)
    deleted = ops.unsubscribe(subscriber, list_id=list_id, source=ConsentSource.API)
    if not deleted and was_on_list:  # leaving everything is audited as the deletion
        audit("subscriber.unsubscribe", subscriber, list_id=list_id)
    db.session.commit()
    if deleted:
        return jsonify(deleted=True, subscriber=None)
    return jsonify(deleted=False, subscriber=subscriber_json(subscriber, detail=True))
