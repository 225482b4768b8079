"""Mail to participants; each kind registers its message builder.

A builder runs when the mail is sent: it reads the registration and the event as
they are then, so a mail never shows an outdated time. Mails that put the event into
a calendar carry an iTIP invitation (REQUEST, or CANCEL when it goes away).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from markupsafe import Markup

from events import ical
from events.calendars import calendar_event
from events.changes import changes
from events.dates import instant_text, when
from events.models import (
    ACTIVE,
    MESSAGED,
    UNCONFIRMED,
    Event,
    EventFormat,
    EventMailKind,
    EventStatus,
    Participation,
    Registration,
    RegistrationMode,
    RegistrationStatus,
)
from events.registrations import confirm_token_for, token_for, waiting_place
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.message import add_calendar, mailbox
from kkp.mail.models import Delivery
from kkp.mail.operations import NotDeliverable, message_builder
from kkp.mail.render import MAIL_COLOUR, render_mail
from kkp.markup import to_html, to_text, with_link_colour


@dataclass(frozen=True)
class MailKind:
    """What a kind of mail does; its words are in `templates/mail/<kind>/`."""

    #: the registration statuses for which the mail still makes sense when it is sent
    statuses: tuple[str, ...]
    #: "REQUEST", "CANCEL" or None (no calendar); "had" decides for cancellations
    method: str | None
    #: whether the mail shows the join link (only to those with a seat, or to all
    #: when the event needs no registration)
    shows_join_link: bool = False


KINDS = {
    EventMailKind.CONFIRMATION: MailKind(
        (RegistrationStatus.CONFIRMED,), "REQUEST", shows_join_link=True
    ),
    EventMailKind.PROMOTED: MailKind(
        (RegistrationStatus.CONFIRMED,), "REQUEST", shows_join_link=True
    ),
    EventMailKind.UPDATE: MailKind(
        (RegistrationStatus.CONFIRMED, RegistrationStatus.INVITED), "REQUEST", shows_join_link=True
    ),
    EventMailKind.INVITATION: MailKind((RegistrationStatus.INVITED,), "REQUEST"),
    EventMailKind.WAITING: MailKind((RegistrationStatus.WAITING,), None),
    EventMailKind.REMINDER: MailKind((RegistrationStatus.CONFIRMED,), None, shows_join_link=True),
    EventMailKind.REGISTRATION_LINK: MailKind(ACTIVE + (RegistrationStatus.INVITED,), None),
    EventMailKind.REGISTRATION_REQUEST: MailKind(UNCONFIRMED, None),
    EventMailKind.CANCELLED: MailKind(
        (
            RegistrationStatus.CONFIRMED,
            RegistrationStatus.INVITED,
            RegistrationStatus.WAITING,
            RegistrationStatus.CANCELLED,
        ),
        "CANCEL",
    ),
    EventMailKind.REGISTRATION_CANCELLED: MailKind(
        (RegistrationStatus.CANCELLED, RegistrationStatus.DECLINED), "CANCEL"
    ),
    EventMailKind.MESSAGE: MailKind(MESSAGED, None),
    EventMailKind.MOVED: MailKind((RegistrationStatus.CONFIRMED,), "REQUEST", shows_join_link=True),
    #: the event is the date she left (`from_event_id`); the registration has moved on
    EventMailKind.MOVED_AWAY: MailKind(ACTIVE, "CANCEL"),
}


def _method(kind: str, delivery: Delivery) -> str | None:
    method = KINDS[kind].method
    if method == "CANCEL" and delivery.params.get("had") not in (
        RegistrationStatus.CONFIRMED,
        RegistrationStatus.INVITED,
    ):
        return None  # nothing in their calendar to take away
    return method


def mail_context(
    kind: str, registration: Registration, event: Event, *, removes_calendar_entry: bool = False
) -> dict:
    """What the templates of mail `kind` need (`templates/mail/<kind>/`);
    `removes_calendar_entry`: the mail carries a CANCEL for the person's calendar."""
    base = current_app.config["KKP_BASE_URL"]
    manage_url = f"{base}/registrations/{token_for(registration)}"
    locale = registration.locale
    show_join = KINDS[kind].shows_join_link or event.registration_mode == RegistrationMode.NONE
    on_site, online = _how(event, registration)
    return {
        "event": event,
        "registration": registration,
        "when": when(event, locale),
        "place": event.place if on_site else "",
        "online": online,
        "join_url": event.join_url if show_join and online else "",
        "event_url": f"{base}/events/{event.slug}",
        "manage_url": manage_url,
        "accept_url": f"{manage_url}?answer=accept",
        "decline_url": f"{manage_url}?answer=decline",
        "place_in_line": waiting_place(registration),
        "removes_calendar_entry": removes_calendar_entry,
        **_confirmation_request(registration, base, locale),
    }


def _how(event: Event, registration: Registration) -> tuple[bool, bool]:
    return shows_place_and_link(event, registration.participation)


def shows_place_and_link(event: Event, participation: str) -> tuple[bool, bool]:
    """Whether her mail shows the address and the join link: for a hybrid event, what
    she chose (on site: the address; online: the link), else what the event is. A
    course booking's mails ask the same of each date."""
    if event.format == EventFormat.HYBRID and participation:
        return (participation == Participation.ON_SITE, participation == Participation.ONLINE)
    return event.is_in_person, event.is_online


def _extras(kind: str, delivery: Delivery, registration: Registration, event: Event) -> dict:
    """What some kinds add from their delivery params: an editor's message, what an
    update changed, the date a move came from, the date someone asked for."""
    params, locale = delivery.params, registration.locale
    if kind == EventMailKind.MESSAGE:
        return message_context(params)
    if kind == EventMailKind.UPDATE:
        return {
            "changes": changes(
                event, params.get("before") or {}, locale, registration.participation
            )
        }
    other_id = params.get("from_event_id") or params.get("asked_event_id")
    other = db.session.get(Event, other_id) if other_id else None
    if kind == EventMailKind.MOVED and other is not None:
        return {"from_when": when(other, locale)}
    if kind == EventMailKind.REGISTRATION_LINK and other is not None:
        return {"asked_when": when(other, locale)}
    return {}


def _confirmation_request(registration: Registration, base: str, locale: str) -> dict:
    """The confirm link and how long it holds (whole minutes, rounded up)."""
    if registration.status not in UNCONFIRMED or registration.hold_until is None:
        return {"confirm_url": "", "hold_minutes": 0, "hold_until": ""}
    left = (registration.hold_until - utcnow()).total_seconds()
    return {
        "confirm_url": f"{base}/registrations/confirm/{confirm_token_for(registration)}",
        "hold_minutes": max(1, math.ceil(left / 60)),
        "hold_until": instant_text(registration.hold_until, locale),
    }


def message_context(params: dict) -> dict:
    """An editor's message (:mod:`events.bulk`): her subject, and her Markdown as
    sanitised HTML and as plain text."""
    text = params.get("text") or ""
    return {
        "message_subject": params.get("subject") or "",
        "message_html": Markup(with_link_colour(to_html(text), MAIL_COLOUR)),
        "message_text": to_text(text),
    }


def _build(kind: str, delivery: Delivery) -> EmailMessage:
    registration = db.session.get(Registration, delivery.params.get("registration_id") or 0)
    if registration is None:
        raise NotDeliverable("the registration was deleted")
    if registration.status not in KINDS[kind].statuses:
        raise NotDeliverable(f"the registration is {registration.status} now")
    event_id = registration.event_id
    if kind == EventMailKind.MOVED_AWAY:
        event_id = delivery.params.get("from_event_id") or 0
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotDeliverable("the event was deleted")
    if kind not in (EventMailKind.CANCELLED, EventMailKind.MESSAGE) and (
        event.status == EventStatus.CANCELLED
    ):
        raise NotDeliverable("the event was cancelled")
    locale = registration.locale if registration.locale in ("de", "en") else "de"
    method = _method(kind, delivery)
    context = mail_context(kind, registration, event, removes_calendar_entry=method == "CANCEL")
    context.update(_extras(kind, delivery, registration, event))
    msg = render_mail(
        kind, context, to=mailbox(registration.name, registration.email), locale=locale
    )
    if method:
        ics = ical.invitation(
            calendar_event(event, for_participant=True, participation=registration.participation),
            attendee_name=registration.name,
            attendee_email=registration.email,
            method=method,
        )
        add_calendar(
            msg, ics, method=method, filename="einladung.ics" if locale == "de" else "invite.ics"
        )
    return msg


#: the mails a person waits for right after she registered, confirmed, cancelled or
#: moved: sent on the interactive lane (:mod:`kkp.mail.tasks`), never behind a bulk send
INTERACTIVE = {
    EventMailKind.REGISTRATION_REQUEST,
    EventMailKind.REGISTRATION_LINK,
    EventMailKind.CONFIRMATION,
    EventMailKind.WAITING,
    EventMailKind.REGISTRATION_CANCELLED,
    EventMailKind.MOVED,
    EventMailKind.MOVED_AWAY,
}


def _register(kind: str) -> None:
    message_builder(kind, interactive=kind in INTERACTIVE)(lambda delivery: _build(kind, delivery))


for _kind in KINDS:
    _register(_kind)
