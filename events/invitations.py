"""Inviting a list to an event, and the answers: accept takes a seat or a place on
the waiting list, decline frees what the person had. The seat rules are those of
:mod:`events.registrations`."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import get_locale
from flask_babel import gettext as _

from events.course_seats import refuse_course_date
from events.dates import when
from events.errors import EventError, EventStateError
from events.models import (
    ACTIVE,
    UNCONFIRMED,
    Event,
    EventMailKind,
    EventStatus,
    Registration,
    RegistrationMode,
    RegistrationSource,
    RegistrationStatus,
)
from events.moving import RegisteredElsewhere, held_elsewhere, registered_elsewhere
from events.registrations import _seat, cancel, confirm, lock_event, queue_mail, require_open
from events.seats import checked_participation
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from people.addresses import address_hashes
from people.models import MailingList, Subscriber, Subscription, SubscriptionStatus, Suppression


def _require_invitable(event: Event) -> None:
    if event.status != EventStatus.PUBLISHED:
        raise EventStateError(_("Publish the event before inviting people."))
    if event.registration_mode == RegistrationMode.NONE:
        raise EventStateError(_("This event needs no registration, so nobody can be invited."))
    if utcnow() >= event.registration_closes_at():
        raise EventStateError(_("The registration deadline has passed."))


def invitees(event: Event, list_id: int) -> list[sa.Row]:
    """The confirmed members of a list who are not registered or invited yet and may
    be mailed (email, name, organisation, locale), in the order they subscribed; for a
    date of one of several dates, not those who hold another date either (one date per
    person). Refuses what :func:`invite_list` refuses."""
    _require_invitable(event)
    if db.session.get(MailingList, list_id) is None:
        raise EventError(_("Please choose from the lists shown."), "list_id")
    known = set(
        db.session.scalars(sa.select(Registration.email).where(Registration.event_id == event.id))
    ) | held_elsewhere(event)
    members = db.session.execute(
        sa.select(Subscriber.email, Subscriber.name, Subscriber.organisation, Subscriber.locale)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == list_id, Subscription.status == SubscriptionStatus.CONFIRMED)
        .order_by(Subscriber.id)
    ).all()
    hashes = {h: m.email for m in members if m.email not in known for h in address_hashes(m.email)}
    suppressed = {
        hashes[h]
        for h in db.session.scalars(
            sa.select(Suppression.email_hash).where(Suppression.email_hash.in_(list(hashes)))
        )
    }
    return [m for m in members if m.email not in known and m.email not in suppressed]


def invite_list(event_id: int, list_id: int) -> int:
    """Invite every confirmed member of a list who is not registered yet. Each gets an
    invitation with accept and decline links. Returns how many were invited."""
    event = lock_event(event_id)
    refuse_course_date(event)
    invited = 0
    for email, name, organisation, locale in invitees(event, list_id):
        registration = Registration(
            event_id=event.id,
            email=email,
            name=name,
            organisation=organisation,
            locale=locale,
            status=RegistrationStatus.INVITED,
            source=RegistrationSource.INVITATION,
            key=secrets.token_hex(16),
            invited_from_list_id=list_id,
        )
        db.session.add(registration)
        db.session.flush()
        queue_mail(EventMailKind.INVITATION, registration, sequence=event.sequence)
        invited += 1
    audit("event.invite_list", event, list_id=list_id, invited=invited)
    return invited


def respond(registration: Registration, *, accept: bool, participation: str | None = None) -> str:
    """An invited person answers. Accepting takes a seat or a waiting-list place (of a
    hybrid event: on site or online as `participation` says, required there); declining
    someone who had a seat frees it. Returns the new status. Accepting a date of a
    series of one of several dates while she has another date raises
    :class:`~events.moving.RegisteredElsewhere`."""
    now = utcnow()
    if not accept:
        if (
            registration.status
            in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING) + UNCONFIRMED
        ):
            cancel(registration)
            registration.status = RegistrationStatus.DECLINED
            return RegistrationStatus.DECLINED
        if registration.status == RegistrationStatus.INVITED:
            registration.status = RegistrationStatus.DECLINED
            registration.cancelled_at = now
            db.session.flush()
        return registration.status
    if registration.status in ACTIVE:
        return registration.status
    if registration.status in UNCONFIRMED:  # registered by the form too: the link proves it
        return confirm(registration, now)
    event = lock_event(registration.event_id)
    require_open(event, now, invited=True)
    registration.participation = checked_participation(event, participation)
    other = registered_elsewhere(event, registration.email)
    if other is not None:
        message = _(
            "You cannot accept: you are already registered for another date of this event "
            "(%(when)s), and each person takes part on one date only. To change the date, "
            "please use your registration.",
            when=when(other.event, str(get_locale() or "de")),
        )
        raise RegisteredElsewhere(message, other)
    registration.cancelled_at = None
    return _seat(event, registration, now)
