"""A sent issue with all a report shows, for the report's tests (client and browser)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail import reasons
from kkp.mail.models import Delivery, DeliveryStatus
from newsletter import issues, operations
from newsletter.models import Issue, IssueStatus, Subscriber
from people.addresses import email_hash, suppress
from people.models import Suppression, SuppressionReason
from tests.newsletter.conftest import add_confirmed

#: a mail server's answer as long as they come
LONG_ANSWER = (
    "550 5.1.1 <person0@example.org>: Recipient address rejected: User unknown in virtual "
    "mailbox table; see https://support.example.org/kb/delivery-errors/5.1.1-unbekannt"
)


def make_sent_issue(lists: dict[str, int], *, answer: str = "550 5.1.1 Unbekannter Empfänger"):
    """An issue sent an hour ago to 1,203 people: 1,200 delivered, one refused by the
    server (`answer`), two given up; since then one of the delivered bounced, one left
    a list and one left the newsletter through their links. Returns its id."""
    kompakt, fortbildungen = lists["kkp-kompakt"], lists["fortbildungen"]
    ids = add_confirmed([kompakt, fortbildungen], 1203)
    issue = issues.create_issue(
        number="3/2026", title="Prävention vor Ort", intro="Hallo", list_ids=[kompakt]
    )
    db.session.flush()
    issue = db.session.get(Issue, issue.id)
    now = utcnow()
    started = now - timedelta(hours=1)
    issue.status, issue.started_at, issue.finished_at = IssueStatus.SENT, started, now
    issue.to_send = len(ids)
    failed = {
        ids[0]: answer,
        ids[1]: reasons.reason(reasons.GAVE_UP),
        ids[2]: reasons.reason(reasons.GAVE_UP, "421 try later"),
    }
    rows = []
    for n, subscriber_id in enumerate(ids):
        error = failed.get(subscriber_id)
        rows.append(
            {
                "kind": "issue",
                "recipient": f"person{n}@example.org",
                "subscriber_id": subscriber_id,
                "issue_id": issue.id,
                "params": {},
                "status": DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
                "attempts": 5 if error else 1,
                "last_error": error,
                "created_at": started,
                "updated_at": started,
                "sent_at": None if error else started,
            }
        )
    db.session.execute(sa.insert(Delivery), rows)
    db.session.commit()
    # after the send: a bounce, a list left, the newsletter left
    suppress("person10@example.org", SuppressionReason.BOUNCED)
    operations.unsubscribe(db.session.get(Subscriber, ids[11]), list_id=fortbildungen)
    operations.unsubscribe(db.session.get(Subscriber, ids[12]))
    # a bounce from before the send does not count
    db.session.add(
        Suppression(
            email_hash=email_hash("person20@example.org"),
            reason=SuppressionReason.BOUNCED,
            created_at=started - timedelta(days=1),
        )
    )
    db.session.commit()
    return issue.id
