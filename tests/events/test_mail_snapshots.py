"""Every mail to participants, in German and English, against its snapshot in
tests/kkp/mail_snapshots/ (see tests/mail_snapshots.py; KKP_UPDATE_SNAPSHOTS=1 rewrites
them). Fixed event, people and clock: the same mail every time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from events.models import Event, Registration
from kkp.extensions import db
from kkp.mail.operations import deliver, queue_delivery
from tests.helpers import parse_mail
from tests.mail_snapshots import assert_snapshot

#: the clock the mails see: a Tuesday afternoon, three weeks before the event
NOW = datetime(2031, 2, 18, 15, 0, tzinfo=UTC)
#: 10:00–12:00 in Berlin (CET)
STARTS = datetime(2031, 3, 14, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Case:
    kind: str
    #: the registration's status when the mail is built
    status: str
    #: the status before a cancellation (the delivery's "had")
    had: str | None = None
    #: what sets this case apart from the kind's first one (part of the file name)
    variant: str = ""
    #: an online event with no join link yet, no place, cost or contact; nameless
    bare: bool = False

    @property
    def name(self) -> str:
        return ".".join(p for p in (self.kind, self.variant) if p)


CASES = [
    Case("event_confirmation", "confirmed"),
    Case("event_confirmation", "confirmed", variant="bare", bare=True),
    Case("event_promoted", "confirmed"),
    Case("event_update", "confirmed"),
    Case("event_invitation", "invited"),
    Case("event_invitation", "invited", variant="bare", bare=True),
    Case("event_waiting", "waiting"),
    Case("event_reminder", "confirmed"),
    Case("registration_link", "confirmed"),
    Case("registration_request", "pending"),
    Case("registration_request", "pending_waiting", variant="waiting"),
    Case("event_cancelled", "confirmed", had="confirmed"),
    Case("event_cancelled", "waiting", had="waiting", variant="waiting"),
    Case("registration_cancelled", "cancelled", had="confirmed"),
    Case("registration_cancelled", "cancelled", had="waiting", variant="waiting"),
    Case("event_message", "confirmed"),
    Case("event_update", "confirmed", variant="changed"),
    Case("event_moved", "confirmed"),
    Case("event_moved_away", "confirmed", had="confirmed"),
    Case("registration_link", "confirmed", variant="other_date"),
]

#: what the editor changed before an update (events.changes): the old time and place
BEFORE = {
    "starts_at": (STARTS - timedelta(days=1)).isoformat(),
    "ends_at": (STARTS - timedelta(days=1) + timedelta(hours=2)).isoformat(),
    "venue": "Bürgerhaus",
}

#: the editor's message (events.bulk): Markdown with a link and a list, and a script
#: that the mail must not carry
MESSAGE = {
    "subject": "Neuer Raum für das Treffen",
    "text": "Wir treffen uns in **Raum 2** ([Lageplan](https://example.org/plan)).\n\n"
    "- Bitte pünktlich\n- Parkplätze im Hof\n\n<script>alert(1)</script>",
    "key": "snapshot",
}


def _event(kinds, case: Case) -> Event:
    event = Event(
        slug="fortbildung-gespraechsfuehrung",
        uid="event-snapshot@kkp.test",
        kind_id=kinds["fortbildung"],
        title="Fortbildung: Gesprächsführung",
        summary="Sicher sprechen in schwierigen Lagen",
        format="online" if case.bare else "hybrid",
        venue="" if case.bare else "Rathaus, Sitzungssaal",
        address="" if case.bare else "Markt 1, 01067 Dresden",
        join_url="" if case.bare else "https://meet.example.org/r/42",
        starts_at=STARTS,
        ends_at=STARTS + timedelta(hours=2),
        organizer_name="" if case.bare else "Koordinierungsstelle",
        organizer_email="" if case.bare else "kkp@example.org",
        cost_note="" if case.bare else "kostenfrei",
        capacity=12,
        status="cancelled" if case.kind == "event_cancelled" else "published",
        changed_at=NOW,
        published_at=NOW,
    )
    db.session.add(event)
    db.session.flush()
    return event


def _registration(event: Event, case: Case, locale: str) -> Registration:
    waiting = case.status == "waiting"
    if waiting:  # two before her: she is third in line
        for n in (1, 2):
            db.session.add(
                Registration(
                    event_id=event.id,
                    email=f"vorher{n}@example.org",
                    status="waiting",
                    waiting_since=NOW - timedelta(days=3 - n),
                    key=f"{n}" * 32,
                )
            )
    registration = Registration(
        event_id=event.id,
        email="anna@example.org",
        name="" if case.bare else "Anna Berger",
        status=case.status,
        waiting_since=NOW if waiting else None,
        hold_until=NOW + timedelta(minutes=29, seconds=30)
        if case.status.startswith("pending")
        else None,
        key="k" * 32,
        locale=locale,
    )
    db.session.add(registration)
    db.session.flush()
    return registration


@pytest.mark.parametrize("locale", ["de", "en"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_participant_mail_matches_its_snapshot(case, locale, kinds, mail, monkeypatch):
    monkeypatch.setattr("events.mails.utcnow", lambda: NOW)
    registration = _registration(_event(kinds, case), case, locale)
    params = {"had": case.had} if case.had else {}
    if case.kind == "event_message":
        params.update(MESSAGE)
    if case.variant == "changed":
        params["before"] = BEFORE
    if case.kind.startswith("event_moved") or case.variant == "other_date":
        other = Event(  # another date of the same event, a week earlier
            slug="fortbildung-frueher",
            uid="event-snapshot-earlier@kkp.test",
            kind_id=kinds["fortbildung"],
            title="Fortbildung: Gesprächsführung",
            format="in_person",
            venue="Rathaus, Sitzungssaal",
            starts_at=STARTS - timedelta(days=7),
            ends_at=STARTS - timedelta(days=7) + timedelta(hours=2),
            status="published",
            changed_at=NOW,
            sequence=1,
        )
        db.session.add(other)
        db.session.flush()
        params["asked_event_id" if case.variant == "other_date" else "from_event_id"] = other.id
    delivery = queue_delivery(
        case.kind, registration.email, params={"registration_id": registration.id, **params}
    )
    db.session.commit()
    assert deliver(delivery.id) == "sent"
    (sent,) = mail.wait_for(1)
    assert_snapshot(f"{case.name}.{locale}", parse_mail(sent["data"]))
