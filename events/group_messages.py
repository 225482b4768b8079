"""A message an editor writes to a group of a date's or a course's participants (all,
confirmed, waiting, attended, absent; see :mod:`events.participant_groups`), sent
through the outbox as an `event_message` like a message to ticked participants
(:mod:`events.bulk`): the same checks, the same key against a second send.

A course's participant gets one mail per booking, not one per date: it goes out under
the registration of the booking's next date (the last date once all are over), so its
links lead to the booking's dates.
"""

from __future__ import annotations

import logging

from flask_babel import gettext as _

from events.bulk import Outcome, mailed_with, message_problems
from events.errors import EventError
from events.models import MESSAGED, Event, EventMailKind, EventSeries, Registration
from events.notices import queue_mail
from events.participant_groups import (
    Participant,
    course_dates,
    course_participants,
    event_participants,
)
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db

log = logging.getLogger(__name__)


def _mailed_under(participant: Participant, ends: list) -> Registration | None:
    """The registration a participant's message goes out under."""
    if participant.booking is None:
        return participant.registration
    now = utcnow()
    dates = [(end, r) for end, r in zip(ends, participant.dates, strict=False) if r is not None]
    upcoming = [r for end, r in dates if end > now]
    if upcoming:
        return upcoming[0]
    return dates[-1][1] if dates else None


def group_recipients(
    *, event_id: int | None = None, series_id: int | None = None, group: str
) -> tuple[list[Participant], list[Registration]]:
    """The group, and the registrations its message goes out under: one per person
    who takes part, waits or was invited (:data:`events.models.MESSAGED`)."""
    if series_id is not None:
        people = course_participants(series_id, group)
        ends = [e.ends_at for e in course_dates(series_id)]
    else:
        people = event_participants(event_id, group)
        ends = []
    reached = []
    for participant in people:
        if participant.status not in MESSAGED:
            continue
        registration = _mailed_under(participant, ends)
        if registration is not None and registration.status in MESSAGED:
            reached.append(registration)
    return people, reached


def message_check(
    *,
    event_id: int | None = None,
    series_id: int | None = None,
    group: str,
    subject: str,
    text: str,
) -> tuple[dict[str, str], list[Registration]]:
    """What the editor learns before a message to `group` goes: its mistakes by field
    ("subject", "text", "group": nobody in it can be written to; empty if none), and
    the registrations it reaches."""
    errors = message_problems(subject, text)
    _people, reached = group_recipients(event_id=event_id, series_id=series_id, group=group)
    if not reached and not errors:
        errors["group"] = _("Nobody in this group can be written to.")
    return errors, reached


def message_group(
    *,
    event_id: int | None = None,
    series_id: int | None = None,
    group: str,
    subject: str,
    text: str,
    key: str,
) -> Outcome:
    """The message to everyone of `group` it may reach, one delivery each, sent after
    the commit; `key` names this message: whoever has it already is not mailed again.
    One audit entry on the event or the series."""
    subject, text = subject.strip(), text.replace("\r\n", "\n").strip()
    errors = message_problems(subject, text)
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    owner = (
        db.session.get(EventSeries, series_id)
        if series_id is not None
        else db.session.get(Event, event_id)
    )
    if owner is None:
        raise EventError(_("This event does not exist."))
    people, reached = group_recipients(event_id=event_id, series_id=series_id, group=group)
    already = mailed_with(key, [r.email for r in reached])
    outcome = Outcome(unchanged=len(people) - len(reached))
    for registration in reached:
        if registration.email in already:
            outcome.unchanged += 1
            continue
        queue_mail(EventMailKind.MESSAGE, registration, subject=subject, text=text, key=key)
        outcome.done += 1
        outcome.touched.append(registration)
    if outcome.done:
        audit(
            "registration.message",
            owner,
            group=group,
            recipients=outcome.done,
            unchanged=outcome.unchanged,
        )
    log.info("%s %s: a message to %d participants", type(owner).__name__, owner.id, outcome.done)
    return outcome
