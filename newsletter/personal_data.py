"""What a subscriber may take with them: everything stored about them (GDPR Art. 15, 20)."""

from __future__ import annotations

from newsletter.models import Subscriber


def export_data(subscriber: Subscriber) -> dict:
    """Everything stored about one subscriber (GDPR Art. 15/20)."""

    def iso(value):
        return value.isoformat() if value else None

    return {
        "email": subscriber.email,
        "name": subscriber.name,
        "organisation": subscriber.organisation,
        "status": subscriber.status,
        "source": subscriber.source,
        "language": subscriber.locale,
        "created_at": iso(subscriber.created_at),
        "confirmed_at": iso(subscriber.confirmed_at),
        "lists": [
            {
                "name": s.mailing_list.name,
                "status": s.status,
                "requested_at": iso(s.requested_at),
                "confirmed_at": iso(s.confirmed_at),
            }
            for s in subscriber.subscriptions
        ],
        "consent_history": [
            {
                "at": iso(e.at),
                "action": e.action,
                "lists": e.lists,
                "source": e.source,
                "consent_text_version": e.consent_version,
                "consent_text": e.consent_text.text if e.consent_text else None,
                "ip": e.ip,
            }
            for e in subscriber.consent_events
        ],
    }
