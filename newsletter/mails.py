"""The newsletter's transactional mails; each registers its message builder."""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app

from kkp.extensions import db
from kkp.mail.message import mailbox
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder
from kkp.mail.render import render_mail
from kkp.tokens import TokenPurpose, make_token
from newsletter.links import PREFERENCES_LINK_KIND
from newsletter.models import MailingList, Subscriber
from newsletter.operations import CONFIRMATION_KIND, token_payload


@message_builder(CONFIRMATION_KIND, interactive=True)
def confirmation_mail(delivery: Delivery) -> EmailMessage:
    """The double opt-in mail: the lists asked for and the confirm link, no advertising."""
    subscriber = db.session.get(Subscriber, delivery.subscriber_id or 0)
    if subscriber is None:
        raise NotDeliverable("the sign-up was deleted")
    list_ids = delivery.params.get("list_ids", [])
    lists = db.session.query(MailingList).filter(MailingList.id.in_(list_ids)).all()
    token = make_token(TokenPurpose.CONFIRM, token_payload(subscriber, l=list_ids))
    base = current_app.config["KKP_BASE_URL"]
    return render_mail(
        CONFIRMATION_KIND,
        {
            "subscriber": subscriber,
            "lists": lists,
            "confirm_url": f"{base}/subscribe/confirm/{token}",
            "retention_days": current_app.config["KKP_UNCONFIRMED_RETENTION_DAYS"],
        },
        to=mailbox(subscriber.name, subscriber.email),
        locale=subscriber.locale,
    )


@message_builder(PREFERENCES_LINK_KIND, interactive=True)
def preferences_link_mail(delivery: Delivery) -> EmailMessage:
    """A fresh link to the preference centre, asked for on the site."""
    subscriber = db.session.get(Subscriber, delivery.subscriber_id or 0)
    if subscriber is None:
        raise NotDeliverable("the subscriber was deleted")
    base = current_app.config["KKP_BASE_URL"]
    return render_mail(
        PREFERENCES_LINK_KIND,
        {
            "subscriber": subscriber,
            "preferences_url": f"{base}/preferences/"
            + make_token(TokenPurpose.PREFERENCES, token_payload(subscriber)),
            "days": current_app.config["KKP_PREFERENCES_LINK_DAYS"],
        },
        to=mailbox(subscriber.name, subscriber.email),
        locale=subscriber.locale,
    )
