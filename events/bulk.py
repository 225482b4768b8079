"""What an editor does at once to the participants she selected on an event's page:
confirm those awaiting confirmation, move people up from the waiting list, write them
a message, export them.

Each operation takes the event's registrations by id (ids of other events are
ignored), changes what it may, counts the rest, writes one audit entry and flushes;
the view commits once, so either all of it is stored or nothing. Each can run twice
without doing anything twice: a status that changed is counted as unchanged, and a
message carries a key that no recipient gets twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from events.errors import EventError, EventStateError
from events.models import (
    MESSAGED,
    UNCONFIRMED,
    Event,
    EventMailKind,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from events.moving import registered_elsewhere
from events.registrations import confirm, lock_event, queue_mail
from events.seats import pool, pools, seats_left
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery
from kkp.mail.operations import bulk_lane
from kkp.text import text_problem

log = logging.getLogger(__name__)

#: longest subject of a message, in characters
MAX_SUBJECT = 200
#: longest text of a message, in characters
MAX_TEXT = 20_000


def selected(event_id: int, ids: list[int]) -> list[Registration]:
    """The event's registrations among `ids`, in the order of the waiting list (the
    order they came in, for the others), read afresh: what their owners did meanwhile
    (a cancellation) counts, not what this session saw before the event's lock."""
    if not ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Registration)
            .where(Registration.event_id == event_id, Registration.id.in_(ids))
            .order_by(Registration.waiting_since, Registration.created_at, Registration.id)
            .execution_options(populate_existing=True)
        )
    )


@dataclass
class Outcome:
    """What a bulk action did: people changed, and those left as they were, by reason."""

    done: int = 0
    #: confirmed people who had asked while the event was full: the waiting list now
    waiting: int = 0
    #: moved up only if there had been a seat
    full: int = 0
    #: not in a status the action applies to (or changed already)
    unchanged: int = 0
    #: the registrations changed or mailed
    touched: list[Registration] = field(default_factory=list)


def _open(event: Event) -> None:
    if event.status != EventStatus.PUBLISHED:
        raise EventStateError(_("Only a published event's participants can be changed."))
    if event.starts_at <= utcnow():
        raise EventStateError(_("This event has started or already taken place."))


def confirm_selected(event_id: int, ids: list[int]) -> Outcome:
    """The editor vouches for the addresses of the selected registrations that await
    confirmation: a held seat becomes theirs; who asked while the event was full takes
    a free seat or joins the waiting list. Each is told by mail (see
    :func:`events.registrations.confirm`)."""
    event = lock_event(event_id)
    _open(event)
    outcome = Outcome()
    with bulk_lane():  # many at once: not on the lane of those who wait right now
        for registration in selected(event.id, ids):
            if registration.status not in UNCONFIRMED or registered_elsewhere(
                event, registration.email
            ):  # one of several dates: registered for another date already
                outcome.unchanged += 1
                continue
            status = confirm(registration)
            if status == RegistrationStatus.WAITING:
                outcome.waiting += 1
            else:
                outcome.done += 1
            outcome.touched.append(registration)
    audit(
        "registration.bulk_confirm",
        event,
        count=outcome.done,
        waiting=outcome.waiting,
        unchanged=outcome.unchanged,
    )
    return outcome


def with_a_seat(event: Event, waiting: list[Registration]) -> list[Registration]:
    """Those of `waiting` (in order) that a free seat awaits; a hybrid event's on-site
    and online seats counted apart."""
    free = {kind: seats_left(event, kind) for kind in pools(event)}  # None: no limit
    seated = []
    for registration in waiting:
        kind = pool(event, registration.participation)
        if free[kind] is None or free[kind] > 0:
            seated.append(registration)
            if free[kind] is not None:
                free[kind] -= 1
    return seated


def move_up_selected(event_id: int, ids: list[int]) -> Outcome:
    """Free seats go to the selected people on the waiting list, in the list's order;
    each promoted person is told by mail. Who finds no seat keeps her place (`full`)."""
    event = lock_event(event_id)
    _open(event)
    chosen = selected(event.id, ids)
    waiting = [r for r in chosen if r.status == RegistrationStatus.WAITING]
    seated = with_a_seat(event, waiting)
    now = utcnow()
    outcome = Outcome(unchanged=len(chosen) - len(waiting), full=len(waiting) - len(seated))
    for registration in seated:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.waiting_since = None
        db.session.flush()
        queue_mail(EventMailKind.PROMOTED, registration, sequence=event.sequence)
        outcome.done += 1
        outcome.touched.append(registration)
    audit(
        "registration.bulk_move_up",
        event,
        count=outcome.done,
        full=outcome.full,
        unchanged=outcome.unchanged,
    )
    return outcome


def message_problems(subject: str, text: str) -> dict[str, str]:
    """Every mistake of a message at its field ("subject", "text"); empty if none."""
    errors: dict[str, str] = {}
    if not subject.strip():
        errors["subject"] = _("Please enter a subject.")
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = _("At most %(n)d characters, please.", n=MAX_SUBJECT)
    elif problem := text_problem(subject):
        errors["subject"] = problem
    if not text.strip():
        errors["text"] = _("Please write the message.")
    elif len(text) > MAX_TEXT:
        errors["text"] = _("At most %(n)d characters, please.", n=MAX_TEXT)
    elif problem := text_problem(text, multi_line=True):
        errors["text"] = problem
    return errors


def recipients(registrations: list[Registration]) -> list[Registration]:
    """Those of the selection a message reaches (:data:`events.models.MESSAGED`)."""
    return [r for r in registrations if r.status in MESSAGED]


def mailed_with(key: str, emails: list[str]) -> set[str]:
    """Addresses that have the message with `key` already."""
    if not emails:
        return set()
    rows = db.session.execute(
        sa.select(Delivery.recipient, Delivery.params).where(
            Delivery.kind == EventMailKind.MESSAGE, Delivery.recipient.in_(emails)
        )
    ).all()
    return {recipient for recipient, params in rows if (params or {}).get("key") == key}


def message_selected(
    event_id: int, ids: list[int], *, subject: str, text: str, key: str
) -> Outcome:
    """A message with the editor's subject and Markdown text to each selected person
    who takes part or was invited (one delivery each, sent after the commit). `key`
    names this message: whoever has it already is not mailed again."""
    # a browser sends a textarea's lines with CRLF: the mail's text has one kind
    subject, text = subject.strip(), text.replace("\r\n", "\n").strip()
    errors = message_problems(subject, text)
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    event = db.session.get(Event, event_id)
    if event is None:
        raise EventError(_("This event does not exist."))
    chosen = selected(event.id, ids)
    reached = recipients(chosen)
    already = mailed_with(key, [r.email for r in reached])
    outcome = Outcome(unchanged=len(chosen) - len(reached))
    for registration in reached:
        if registration.email in already:
            outcome.unchanged += 1
            continue
        queue_mail(EventMailKind.MESSAGE, registration, subject=subject, text=text, key=key)
        outcome.done += 1
        outcome.touched.append(registration)
    if outcome.done:
        audit("registration.message", event, recipients=outcome.done, unchanged=outcome.unchanged)
    log.info("event %s: a message to %d participants", event.id, outcome.done)
    return outcome


def exported(event: Event, registrations: list[Registration]) -> None:
    """Record that the editor took the selected people's data away as a file."""
    audit("registration.export", event, selected=len(registrations))
