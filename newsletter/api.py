"""JSON API for lists and subscribers: thin routes over :mod:`newsletter.operations`."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from kkp.api import (
    ApiError,
    Field,
    add_routes,
    api_error_response,
    get_or_404,
    invalid,
    keyset_page,
    nest,
    read_body,
    read_query,
)
from kkp.auth.operations import audit
from kkp.extensions import db
from newsletter import api_lists, openapi, search
from newsletter import operations as ops
from newsletter.models import (
    SUBSCRIBER_STATUSES,
    MailingList,
    Subscriber,
    Subscription,
)

SUBSCRIBER_FIELDS = {
    "email": Field("string", required=True, max_length=254),
    "name": Field("string", max_length=ops.MAX_NAME),
    "organisation": Field("string", max_length=ops.MAX_NAME),
    "lists": Field("ids", required=True),
    "consent_evidence": Field("string", max_length=1000, nullable=True),
    "language": Field("string", max_length=2, choices=openapi.LANGUAGES),
}
SUBSCRIBER_CHANGES = {
    "name": Field("string", max_length=ops.MAX_NAME),
    "organisation": Field("string", max_length=ops.MAX_NAME),
    "lists": Field("ids"),
}
SUBSCRIBER_QUERY = {
    "status": Field("string", max_length=20, choices=SUBSCRIBER_STATUSES),
    "list": Field("integer"),
    "q": Field("string", max_length=200),
    "after": Field("integer", minimum=0),
    "limit": Field("integer", maximum=openapi.MAX_PAGE_SIZE),
}
UNSUBSCRIBE_FIELDS = {"list": Field("integer")}


# -- representations -----------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value else None


def subscriber_json(subscriber: Subscriber, *, detail: bool = False) -> dict:
    data = {
        "id": subscriber.id,
        "email": subscriber.email,
        "name": subscriber.name,
        "organisation": subscriber.organisation,
        "status": subscriber.status,
        "source": subscriber.source,
        "language": subscriber.locale,
        "created_at": _iso(subscriber.created_at),
        "updated_at": _iso(subscriber.updated_at),
        "confirmed_at": _iso(subscriber.confirmed_at),
        "subscriptions": [
            {
                "list_id": s.list_id,
                "list_slug": s.mailing_list.slug,
                "list_name": s.mailing_list.name,
                "status": s.status,
                "requested_at": _iso(s.requested_at),
                "confirmed_at": _iso(s.confirmed_at),
            }
            for s in sorted(subscriber.subscriptions, key=lambda s: s.list_id)
        ],
    }
    if detail:
        data["consent_history"] = [
            {
                "at": _iso(e.at),
                "action": e.action,
                "lists": e.lists,
                "source": e.source,
                "consent_text_version": e.consent_version,
                "ip": e.ip,
                "details": e.details,
            }
            for e in subscriber.consent_events
        ]
    return data


def _subscriber_response(subscriber: Subscriber, status: int = 200):
    response = jsonify(subscriber_json(subscriber, detail=True))
    response.status_code = status
    response.headers["Location"] = url_for("api.subscriber", subscriber_id=subscriber.id)
    return response


# -- subscribers ---------------------------------------------------------------------------


def _subscriber(subscriber_id: int) -> Subscriber:
    return get_or_404(Subscriber, subscriber_id, _("There is no such subscriber."))


def _require_lists(list_ids: list[int]) -> None:
    if not list_ids:
        raise invalid("lists", _("Please choose at least one list."))


def get_subscribers():
    args = read_query(SUBSCRIBER_QUERY)
    limit = args.get("limit", openapi.PAGE_SIZE)
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


def post_subscriber():
    values = read_body(SUBSCRIBER_FIELDS)
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
        source="api",
        locale=values.get("language", "de"),
    )
    db.session.commit()
    return _subscriber_response(subscriber, 201 if created else 200)


def get_subscriber(subscriber_id: int):
    return jsonify(subscriber_json(_subscriber(subscriber_id), detail=True))


def patch_subscriber(subscriber_id: int):
    subscriber = _subscriber(subscriber_id)
    values = read_body(SUBSCRIBER_CHANGES)
    list_ids = values.get("lists", [s.list_id for s in subscriber.subscriptions])
    _require_lists(list_ids)
    ops.edit_subscriber(
        subscriber,
        name=values.get("name", subscriber.name),
        organisation=values.get("organisation", subscriber.organisation),
        list_ids=list_ids,
        source="api",
    )
    db.session.commit()
    return _subscriber_response(subscriber)


def post_unsubscribe(subscriber_id: int):
    subscriber = _subscriber(subscriber_id)
    values = read_body(UNSUBSCRIBE_FIELDS, optional=True)
    list_id = values.get("list")
    if list_id is not None and db.session.get(MailingList, list_id) is None:
        raise invalid("list", _("There is no such list."))
    was_on_list = any(s.list_id == list_id for s in subscriber.subscriptions)
    deleted = ops.unsubscribe(subscriber, list_id=list_id, source="api")
    if not deleted and was_on_list:  # leaving everything is audited as the deletion
        audit("subscriber.unsubscribe", subscriber, list_id=list_id)
    db.session.commit()
    if deleted:
        return jsonify(deleted=True, subscriber=None)
    return jsonify(deleted=False, subscriber=subscriber_json(subscriber, detail=True))


def delete_subscriber(subscriber_id: int):
    ops.delete_subscriber(_subscriber(subscriber_id), reason="deleted")
    db.session.commit()
    return "", 204


def _subscription_error(exc: ops.SubscriptionError):
    status = 409 if isinstance(exc, ops.ConflictError) else 422
    return api_error_response(
        ApiError(status, str(exc), {exc.field: str(exc)} if exc.field else None)
    )


# -- registration --------------------------------------------------------------------------

_ROUTES = (
    ("/subscribers", "subscribers", get_subscribers, "GET"),
    ("/subscribers", "create_subscriber", post_subscriber, "POST"),
    ("/subscribers/<int:subscriber_id>", "subscriber", get_subscriber, "GET"),
    ("/subscribers/<int:subscriber_id>", "update_subscriber", patch_subscriber, "PATCH"),
    ("/subscribers/<int:subscriber_id>", "delete_subscriber", delete_subscriber, "DELETE"),
    ("/subscribers/<int:subscriber_id>/unsubscribe", "unsubscribe", post_unsubscribe, "POST"),
)


def register_api(bp: Blueprint) -> None:
    """Add the newsletter's routes to the API blueprint."""
    nest(api_lists.bp)
    add_routes(
        bp,
        _ROUTES,
        error=ops.SubscriptionError,
        handler=_subscription_error,
        schemas=openapi.SCHEMAS,
        paths=openapi.PATHS,
    )
