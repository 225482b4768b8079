"""The local outbox as editors read it: a page of messages, newest first, filtered by
the kind of mail and by recipient.

A message's kind is its delivery's (`Delivery.kind`, matched by Message-ID); the outbox
exists only without SMTP, on small installations, so the match needs no index of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from kkp.db import contains_pattern, numbered_page
from kkp.extensions import db
from kkp.mail.models import Delivery, OutboxMessage
from kkp.params import query_number

#: messages on one page
PAGE = 50

#: the kinds of mail in words (the domains' builders: `kkp.mail.operations.message_builder`);
#: a kind missing here is shown as it is
KIND_WORDS = {
    "issue": _l("Newsletter issue"),
    "issue_test": _l("Test mail of an issue"),
    "subscription_confirmation": _l("Confirmation of a sign-up"),
    "preferences_link": _l("Link to the preferences"),
    "event_confirmation": _l("Registration confirmed"),
    "event_promoted": _l("Moved up from the waiting list"),
    "event_update": _l("Event changed"),
    "event_invitation": _l("Invitation to an event"),
    "event_waiting": _l("On the waiting list"),
    "event_reminder": _l("Reminder of an event"),
    "registration_link": _l("Link to a registration"),
    "registration_request": _l("Confirmation of a registration"),
    "event_cancelled": _l("Event called off"),
    "registration_cancelled": _l("Registration cancelled"),
    "event_message": _l("Message to participants"),
    "event_moved": _l("Moved to another date"),
    "event_moved_away": _l("Calendar entry of the date left"),
}


@dataclass
class OutboxFilter:
    kind: str = ""
    #: part of a recipient's address
    q: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def as_args(self) -> dict[str, str]:
        return {k: v for k, v in {"kind": self.kind, "q": self.q}.items() if v}


@dataclass(frozen=True)
class OutboxLine:
    message: OutboxMessage
    kind: str | None


@dataclass
class OutboxPage:
    lines: list[OutboxLine]
    total: int
    number: int
    pages: int


def kind_words(kind: str | None) -> str:
    if not kind:
        return _("Other mail")
    return str(KIND_WORDS.get(kind, kind))


def read_filter() -> OutboxFilter:
    flt = OutboxFilter(
        kind=request.args.get("kind", "").strip()[:50],
        q=request.args.get("q", "").strip()[:254],
    )
    if flt.kind and flt.kind not in KIND_WORDS:
        flt.errors["kind"] = _("Choose a kind of mail from the list.")
    if "\x00" in flt.q:
        flt.errors["q"] = _("The search contains characters that no address has.")
    return flt


def _where(flt: OutboxFilter) -> list:
    conditions = []
    if flt.kind and "kind" not in flt.errors:
        conditions.append(
            OutboxMessage.message_id.in_(
                sa.select(Delivery.message_id).where(
                    Delivery.kind == flt.kind, Delivery.message_id.is_not(None)
                )
            )
        )
    if flt.q and "q" not in flt.errors:
        pattern = contains_pattern(flt.q.lower())
        conditions.append(sa.func.lower(OutboxMessage.recipients).like(pattern, escape="\\"))
    return conditions


def outbox_page(flt: OutboxFilter) -> OutboxPage:
    """The messages that match, newest first, on the page the query string asks for."""
    page = numbered_page(OutboxMessage, _where(flt), size=PAGE, asked=query_number("page"))
    messages = page.rows
    kinds = kinds_of([m.message_id for m in messages if m.message_id])
    return OutboxPage(
        lines=[OutboxLine(m, kinds.get(m.message_id)) for m in messages],
        total=page.total,
        number=page.number,
        pages=page.pages,
    )


def kinds_of(message_ids: list[str]) -> dict[str, str]:
    """Message-ID -> the kind of its delivery."""
    if not message_ids:
        return {}
    return dict(
        db.session.execute(
            sa.select(Delivery.message_id, Delivery.kind).where(
                Delivery.message_id.in_(message_ids)
            )
        ).all()
    )
