"""What the subscriber API answers: subscribers with their subscriptions and consent
history, as JSON and as the schemas that describe it."""

from __future__ import annotations

import marshmallow as ma

from kkp.api_fields import AnswerSchema, answer, page_of
from newsletter.models import SOURCES, SUBSCRIBER_STATUSES, SUBSCRIPTION_STATUSES, Subscriber


class SubscriptionSchema(AnswerSchema):
    list_id = answer(ma.fields.Integer)
    list_slug = answer()
    list_name = answer()
    status = answer(
        enum=list(SUBSCRIPTION_STATUSES), description="pending until the person confirmed this list"
    )
    requested_at = answer(ma.fields.DateTime)
    confirmed_at = answer(ma.fields.DateTime, nullable=True)


class SubscriberSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    email = answer(description="Normalised, lower-case.")
    name = answer()
    organisation = answer()
    status = answer(
        enum=list(SUBSCRIBER_STATUSES), description="confirmed once any list was confirmed"
    )
    source = answer(enum=list(SOURCES))
    language = answer(description="Language of the mail.")
    created_at = answer(ma.fields.DateTime)
    updated_at = answer(ma.fields.DateTime)
    confirmed_at = answer(ma.fields.DateTime, nullable=True)
    subscriptions = answer(ma.fields.List, ma.fields.Nested(SubscriptionSchema))


class ConsentEventSchema(AnswerSchema):
    at = answer(ma.fields.DateTime)
    action = answer(
        description=(
            "requested, confirmation_sent, confirmed, added, imported, list_removed, "
            "details_changed, import_skipped (an import did not add the person again "
            "to lists they left themselves)"
        )
    )
    lists = answer(
        ma.fields.List,
        ma.fields.String(),
        description="Names of the lists concerned, at the time.",
    )
    source = answer()
    consent_text_version = answer(ma.fields.Integer, nullable=True)
    ip = answer(nullable=True)
    details = answer(
        ma.fields.Dict,
        description=(
            "e.g. `evidence`, the confirmation mail's `delivery_id`, the `list_ids` "
            "of list_removed, the `import_job` of import_skipped"
        ),
    )


class SubscriberDetailSchema(SubscriberSchema):
    consent_history = answer(ma.fields.List, ma.fields.Nested(ConsentEventSchema))


SubscriberPageSchema = page_of(SubscriberSchema, "SubscriberPageSchema")


class UnsubscribeResultSchema(AnswerSchema):
    deleted = answer(
        ma.fields.Boolean,
        description=(
            "true when the person left their last list: the data is deleted and the "
            "address suppressed"
        ),
    )
    subscriber = answer(ma.fields.Nested, SubscriberDetailSchema, nullable=True)


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
