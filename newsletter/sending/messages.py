"""What each recipient receives: the issue's message prepared once per language, and
the parts filled in per recipient (links, greeting, Message-ID)."""

from __future__ import annotations

import functools
import threading
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from kkp.extensions import db
from kkp.mail.message import sender_address
from kkp.tokens import TokenPurpose, make_token
from newsletter.links import token_payload
from newsletter.models import Issue, MailingList, issue_list
from newsletter.render import PreparedIssue, Recipient, greeting

LOCALES = ("de", "en")

_prepared: dict[tuple[int, str], tuple[dict[str, PreparedIssue], list[int]]] = {}
_prepared_lock = threading.Lock()


def mail_domain() -> str:
    return _domain_of(current_app.config["KKP_MAIL_FROM"])


@functools.lru_cache(maxsize=8)
def _domain_of(mail_from: str) -> str:
    return sender_address(mail_from).rpartition("@")[2] or "localhost"


def prepared(issue: Issue) -> dict[str, PreparedIssue]:
    """The issue's prepared messages per language, built once per worker process."""
    return prepared_for(issue.id, issue.started_at)[0]


def prepared_for(issue_id: int, started_at: datetime) -> tuple[dict[str, PreparedIssue], list[int]]:
    """The issue's prepared messages per language and the ids of its lists, read and
    built once per worker process (both are frozen when sending starts): a chunk reads
    neither the rendered mail nor the lists again."""
    key = (issue_id, started_at.isoformat())
    found = _prepared.get(key)
    if found is None:
        rendered = db.session.scalar(sa.select(Issue.rendered).where(Issue.id == issue_id))
        list_ids = list(
            db.session.scalars(
                sa.select(MailingList.id)
                .join(issue_list, issue_list.c.list_id == MailingList.id)
                .where(issue_list.c.issue_id == issue_id)
                .order_by(MailingList.position)
            )
        )
        meta = rendered["_meta"]
        messages = {
            locale: PreparedIssue(rendered[locale], sender=meta["sender"], list_id=meta["list_id"])
            for locale in LOCALES
        }
        found = (messages, list_ids)
        with _prepared_lock:
            if len(_prepared) > 8:
                _prepared.clear()
            _prepared[key] = found
    return found


def message_id_for(delivery_id: int, issue_id: int, started_at: datetime) -> str:
    """The same for every attempt, so a copy sent twice after a crash is one to clients.

    Takes plain values, not the Issue: in a chunk the Issue is expired by every commit,
    and reading an attribute loads its whole row again, the rendered mail included."""
    return f"<{delivery_id}{message_id_suffix(issue_id, started_at)}"


def message_id_suffix(issue_id: int, started_at: datetime) -> str:
    """What follows the delivery id in each of the issue's Message-IDs."""
    return f".{issue_id}.{int(started_at.timestamp())}@{mail_domain()}>"


def recipient_for(subscriber, list_ids: list[int], message_id: str) -> Recipient:
    base = current_app.config["KKP_BASE_URL"]
    payload = token_payload(subscriber)  # hashes the address once for both links
    return Recipient(
        email=subscriber.email,
        name=subscriber.name,
        greeting=greeting(subscriber.name, subscriber.locale),
        unsubscribe_url=f"{base}/unsubscribe/"
        + make_token(TokenPurpose.UNSUBSCRIBE, {**payload, "l": list_ids}),
        preferences_url=f"{base}/preferences/" + make_token(TokenPurpose.PREFERENCES, payload),
        message_id=message_id,
    )
