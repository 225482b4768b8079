"""What a course booking is told: the signed links in its mails, and the mails queued
for it (one delivery row each, in the same transaction; builders in
:mod:`events.course_mails`). Mails the public form asks for count towards the same
limit per address as a single date's (:func:`events.notices.public_mail_allowed`)."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from events.course_models import CourseBooking
from events.notices import public_mail_allowed
from kkp.extensions import db
from kkp.mail.operations import queue_delivery
from kkp.tokens import InvalidToken, TokenPurpose, make_token, read_token

log = logging.getLogger(__name__)


def token_for(booking: CourseBooking) -> str:
    """The booking's own page: status, dates, cancelling."""
    return make_token(TokenPurpose.BOOKING, {"b": booking.id, "k": booking.key})


def confirm_token_for(booking: CourseBooking) -> str:
    """The link in the mail that asks the owner of the address to confirm."""
    return make_token(TokenPurpose.BOOKING_CONFIRM, {"b": booking.id, "k": booking.key})


def booking_for_token(token: str, purpose: str = TokenPurpose.BOOKING) -> CourseBooking:
    """Raises :class:`InvalidToken` for a forged token or a deleted booking."""
    payload = read_token(purpose, token)
    booking = db.session.get(CourseBooking, int(payload.get("b") or 0))
    if booking is None or not secrets.compare_digest(booking.key, str(payload.get("k", ""))):
        raise InvalidToken()
    return booking


def queue_booking_mail(kind: str, booking: CourseBooking, **params) -> None:
    queue_delivery(kind, booking.email, params={"booking_id": booking.id, **params})


def queue_public_booking_mail(kind: str, booking: CourseBooking, now: datetime) -> None:
    """A mail the public form asks for, unless the address had enough this hour."""
    if public_mail_allowed(booking.email, now):
        queue_booking_mail(kind, booking)
    else:
        log.info("booking %s: mail limit for this address reached, no %s", booking.id, kind)
