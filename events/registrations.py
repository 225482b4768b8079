"""Registrations: sign up, waiting list, promotion, cancellation, invitations.

Everything that hands out a seat first locks the event row (`SELECT … FOR UPDATE`
on PostgreSQL; a write on SQLite, which takes the database's write lock), then
counts: two people can never take the last seat together.

The public form proves nothing about the address typed into it, so a registration
made there is *pending*: it holds a seat for `KKP_REGISTRATION_HOLD_MINUTES` (or,
when the event is full, waits to join the waiting list) until its owner clicks the
link in the mail. Unconfirmed at the end of the hold, it lapses at the scheduler's
tick and a held seat goes to the waiting list. A place on the waiting list counts
from the confirmation: only confirmed addresses queue, so made-up ones cannot push
anyone back. Editors adding someone and people accepting an invitation (a link in
their mail) need no such step. The form answers every address alike; the mail says
whether it was registered before (see :func:`register`).

Seats are counted in :mod:`events.seats`, the mails and links in :mod:`events.notices`;
their public names are re-exported here.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from events.course_seats import refuse_course_date
from events.errors import EventError, EventStateError
from events.models import (
    ACTIVE,
    REGISTRATION_SOURCES,
    UNCONFIRMED,
    Event,
    EventMailKind,
    EventStatus,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from events.moving import ELSEWHERE, registered_elsewhere
from events.notices import (  # noqa: F401  (re-exported)
    confirm_token_for,
    lock_address,
    notify_cancellation,
    notify_update,
    public_mail_allowed,
    queue_for_confirmed,
    queue_mail,
    queue_public,
    registration_for_token,
    token_for,
)
from events.seats import (  # noqa: F401  (re-exported)
    RegistrationClosed,
    capacity_for,
    checked_participation,
    confirmed_count,
    has_free_seat,
    is_open,
    lock_event,
    pool,
    public_seats_by_kind,
    public_seats_left,
    require_open,
    seated_count,
    seats_left,
    waiting_count,
    waiting_place,
)
from events.waiting_list import move_up, promote_waiting  # noqa: F401  (re-exported)
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from people.addresses import clean_text, normalise_email

log = logging.getLogger(__name__)


# -- registering -------------------------------------------------------------------------


def _person(name: str, email: str, organisation: str) -> tuple[str, str, str]:
    errors: dict[str, str] = {}
    try:
        email = normalise_email(email)
    except EventError as exc:
        errors["email"] = str(exc)
    except ValueError as exc:
        errors["email"] = str(exc)
    for field, value in (("name", name), ("organisation", organisation)):
        try:
            cleaned = clean_text(value, field)
        except ValueError as exc:
            errors[field] = str(exc)
            continue
        if field == "name":
            name = cleaned
            if not cleaned:
                errors["name"] = _("Please enter your name.")
        else:
            organisation = cleaned
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    return name, email, organisation


def _seat(event: Event, registration: Registration, now: datetime) -> str:
    """Confirm, or put at the end of the waiting list; queue the matching mail."""
    with db.session.no_autoflush:  # the new row has no status yet
        free = has_free_seat(event, registration.participation)
    if free:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.waiting_since = None
        db.session.flush()
        queue_mail(EventMailKind.CONFIRMATION, registration, sequence=event.sequence)
    else:
        registration.status = RegistrationStatus.WAITING
        registration.waiting_since = now
        db.session.flush()
        queue_mail(EventMailKind.WAITING, registration)
    return registration.status


def _hold(event: Event, registration: Registration, now: datetime) -> str:
    """A registration from the public form: a seat held (or, when full, a place to
    take on the waiting list) until the owner confirms; the mail asks them to."""
    with db.session.no_autoflush:  # the new row has no status yet
        free = has_free_seat(event, registration.participation)
    registration.status = RegistrationStatus.PENDING if free else RegistrationStatus.PENDING_WAITING
    registration.hold_until = now + timedelta(
        minutes=current_app.config["KKP_REGISTRATION_HOLD_MINUTES"]
    )
    registration.confirmed_at = None
    registration.waiting_since = None
    db.session.flush()
    queue_public(EventMailKind.REGISTRATION_REQUEST, registration, now)
    return registration.status


def register(
    event_id: int,
    *,
    name: str,
    email: str,
    organisation: str = "",
    consent: bool = False,
    consent_version: int | None = None,
    participation: str = "",
    locale: str = "de",
    source: str = RegistrationSource.FORM,
    now: datetime | None = None,
) -> tuple[Registration, str]:
    """Register someone through the public form. Returns the registration and what
    happened: "pending" (a seat held until the owner of the address confirms),
    "pending_waiting" (full: the waiting list once confirmed), "already" (known
    before, for this date or, in a series of one of several dates, for another: the
    mail says so, nothing changes) or "limited" (the address had its mails this hour:
    nothing happens, and the registration is None). The caller must answer all
    alike. `participation`: on site or online, for hybrid events (required there)."""
    now = now or utcnow()
    name, email, organisation = _person(name, email, organisation)
    if source == RegistrationSource.FORM and not consent:
        raise EventError(_("Please agree to the processing of your data."), "consent")
    event = lock_event(event_id)
    participation = checked_participation(event, participation)
    require_open(event, now)
    refuse_course_date(event)
    lock_address(email)
    if not public_mail_allowed(email, now):
        # no mail can go out, so nothing may change either: a hold nobody can confirm
        # would block a seat (the answer is the same as always)
        log.info("event %s: mail limit for an address reached, nothing done", event.id)
        return None, "limited"
    registration = db.session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.email == email
        )
    )
    if registration is not None and registration.status in UNCONFIRMED:
        # the same link again; the hold is not extended, and the details stay
        queue_public(EventMailKind.REGISTRATION_REQUEST, registration, now)
        return registration, "already"
    if registration is not None and registration.status in ACTIVE + (RegistrationStatus.INVITED,):
        queue_public(EventMailKind.REGISTRATION_LINK, registration, now)
        return registration, "already"
    other = registered_elsewhere(event, email)
    if other is not None:  # one of several dates: she has one already
        queue_public(EventMailKind.REGISTRATION_LINK, other, now, asked_event_id=event.id)
        return other, "already"
    if registration is None:
        registration = Registration(event_id=event.id, email=email, key=secrets.token_hex(16))
        db.session.add(registration)
    else:  # cancelled, declined or lapsed, taken up again: old links must not confirm it
        registration.key = secrets.token_hex(16)
    registration.participation = participation
    registration.name = name
    registration.organisation = organisation
    registration.locale = locale if locale in ("de", "en") else "de"
    registration.source = source if source in REGISTRATION_SOURCES else RegistrationSource.FORM
    registration.cancelled_at = None
    if consent:
        registration.consent_at = now
        registration.consent_version = consent_version
    outcome = _hold(event, registration, now)
    log.info("registration %s for event %s: %s", registration.id, event.id, outcome)
    return registration, outcome


def confirm(registration: Registration, now: datetime | None = None) -> str:
    """The owner of the address clicked the link in the mail: a held seat becomes
    theirs (and the calendar invitation goes out); someone who asked while the event
    was full takes a free seat if there is one, else joins the waiting list now.
    Idempotent; returns the status afterwards."""
    now = now or utcnow()
    if registration.status not in UNCONFIRMED:
        if registration.status in ACTIVE:
            return registration.status
        raise EventStateError(
            _("This link has expired. If you still want to take part, please register again.")
        )
    event = lock_event(registration.event_id)
    db.session.refresh(registration)
    if registration.status not in UNCONFIRMED:  # confirmed or lapsed meanwhile
        return confirm(registration, now)
    if event.status == EventStatus.CANCELLED:
        raise EventStateError(_("This event has been cancelled."))
    if event.starts_at <= now:
        raise EventStateError(_("This event has started or already taken place."))
    if registered_elsewhere(event, registration.email) is not None:
        raise EventStateError(str(ELSEWHERE))
    held = registration.status == RegistrationStatus.PENDING
    registration.hold_until = None
    capacity = capacity_for(event, registration.participation)
    kind = pool(event, registration.participation)
    if held and capacity is not None and seated_count(event.id, kind) > capacity:
        held = False  # the editor lowered the seats meanwhile: queue like anyone
        registration.status = RegistrationStatus.PENDING_WAITING
        db.session.flush()
    if held:
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        db.session.flush()
        queue_mail(EventMailKind.CONFIRMATION, registration, sequence=event.sequence)
    else:
        _seat(event, registration, now)
    log.info("registration %s confirmed: %s", registration.id, registration.status)
    return registration.status


def expire_holds(now: datetime | None = None) -> int:
    """Unconfirmed registrations past their hold lapse; each seat they held goes to the
    first on the waiting list. For the scheduler's tick: idempotent, commits per event.
    Returns how many lapsed."""
    now = now or utcnow()
    event_ids = db.session.scalars(
        sa.select(Registration.event_id)
        .where(Registration.hold_until <= now, Registration.status.in_(UNCONFIRMED))
        .distinct()
        .limit(1000)
    ).all()
    lapsed = 0
    for event_id in event_ids:
        event = lock_event(event_id)
        due = db.session.scalars(
            sa.select(Registration).where(
                Registration.event_id == event_id,
                Registration.hold_until <= now,
                Registration.status.in_(UNCONFIRMED),
            )
        ).all()
        freed = False
        for registration in due:
            freed = freed or registration.status == RegistrationStatus.PENDING
            registration.status = RegistrationStatus.EXPIRED
            registration.hold_until = None
            log.info("registration %s for event %s lapsed unconfirmed", registration.id, event_id)
        db.session.flush()
        if freed:
            promote_waiting(event, now)
        db.session.commit()
        lapsed += len(due)
    return lapsed


def add_participant(
    event_id: int,
    *,
    name: str,
    email: str,
    organisation: str = "",
    over_capacity: bool = False,
    participation: str = "",
) -> tuple[Registration, str]:
    """An editor adds someone (who agreed elsewhere); with `over_capacity` the person
    gets a seat even when the event (her pool of a hybrid event) is full."""
    now = utcnow()
    name, email, organisation = _person(name, email, organisation)
    event = lock_event(event_id)
    participation = checked_participation(event, participation)
    if event.status == EventStatus.CANCELLED:
        raise EventStateError(_("This event has been cancelled."))
    if event.status != EventStatus.PUBLISHED:
        raise EventStateError(_("Publish the event before adding participants."))
    refuse_course_date(event)
    registration = db.session.scalar(
        sa.select(Registration).where(
            Registration.event_id == event.id, Registration.email == email
        )
    )
    if registration is not None and registration.status in ACTIVE:
        raise EventError(_("This person is registered already."), "email")
    if registration is None:
        registration = Registration(event_id=event.id, email=email, key=secrets.token_hex(16))
        db.session.add(registration)
    registration.name, registration.organisation = name, organisation
    registration.participation = participation
    registration.source = RegistrationSource.EDITOR
    registration.cancelled_at = None
    # the editor vouches for the address: an unconfirmed registration needs no link now
    registration.hold_until = None
    with db.session.no_autoflush:
        full = not has_free_seat(event, participation)
    if registration.status == RegistrationStatus.PENDING or (over_capacity and full):
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = now
        registration.waiting_since = None
        db.session.flush()
        queue_mail(EventMailKind.CONFIRMATION, registration, sequence=event.sequence)
        outcome = RegistrationStatus.CONFIRMED
    else:
        outcome = _seat(event, registration, now)
    audit("registration.add", registration, event_id=event.id, status=outcome)
    return registration, outcome


def cancel(registration: Registration, *, by_editor: bool = False) -> None:
    """The person leaves (or an editor removes them); a freed seat goes to the next
    on the waiting list. Someone who had a seat gets a CANCEL for their calendar; an
    unconfirmed registration an editor removes just ends, without mail."""
    if registration.status in UNCONFIRMED:
        event = lock_event(registration.event_id)
        had = registration.status
        registration.status = RegistrationStatus.CANCELLED
        registration.cancelled_at = utcnow()
        registration.hold_until = None
        db.session.flush()
        if by_editor:
            audit("registration.remove", registration, event_id=event.id)
        if had == RegistrationStatus.PENDING:
            promote_waiting(event)
        return
    if registration.status not in ACTIVE + (RegistrationStatus.INVITED,):
        return
    event = lock_event(registration.event_id)
    had = registration.status
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = utcnow()
    registration.waiting_since = None
    if had in (RegistrationStatus.CONFIRMED, RegistrationStatus.INVITED):
        # a personal CANCEL needs a raised SEQUENCE, or calendars ignore it
        event.sequence += 1
        event.changed_at = utcnow()
    db.session.flush()
    queue_mail(EventMailKind.REGISTRATION_CANCELLED, registration, sequence=event.sequence, had=had)
    if by_editor:
        audit("registration.remove", registration, event_id=event.id)
    if had == RegistrationStatus.CONFIRMED:
        promote_waiting(event)
