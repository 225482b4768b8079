"""The invitation to the anonymous feedback (mail kind `event_feedback`), built when it
is sent: the link to the form and until when it is open."""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app

from events.course_models import CourseBooking
from events.dates import instant_text
from events.feedback import is_open, owner_of, token_for, window
from events.models import EventMailKind, EventStatus, Registration, RegistrationStatus
from kkp.extensions import db
from kkp.mail.message import mailbox
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder
from kkp.mail.render import render_mail


def feedback_context(person: Registration | CourseBooking) -> dict:
    """What `templates/mail/event_feedback/` needs."""
    owner = owner_of(person)
    span = window(owner)
    locale = person.locale if person.locale in ("de", "en") else "de"
    return {
        "name": person.name,
        "title": owner.title,
        "feedback_url": (
            f"{current_app.config['KKP_BASE_URL']}/events/feedback/{token_for(person)}"
        ),
        "open_until": instant_text(span[1], locale) if span else "",
    }


@message_builder(EventMailKind.FEEDBACK)
def feedback_message(delivery: Delivery) -> EmailMessage:
    params = delivery.params
    person = (
        db.session.get(CourseBooking, params["booking_id"])
        if params.get("booking_id")
        else db.session.get(Registration, params.get("registration_id") or 0)
    )
    if person is None or person.anonymised_at is not None:
        raise NotDeliverable("the registration was deleted or anonymised")
    if person.status != RegistrationStatus.CONFIRMED:
        raise NotDeliverable(f"the registration is {person.status} now")
    if isinstance(person, Registration) and person.event.status == EventStatus.CANCELLED:
        raise NotDeliverable("the event was cancelled")
    context = feedback_context(person)
    if not is_open(owner_of(person)):
        raise NotDeliverable("the feedback form is closed")
    locale = person.locale if person.locale in ("de", "en") else "de"
    return render_mail(
        EventMailKind.FEEDBACK, context, to=mailbox(person.name, delivery.recipient), locale=locale
    )
