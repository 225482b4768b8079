"""The anonymous feedback after an event or a course: its typical questions, the
signed link to the form, when the form is open, taking the answers once per person,
and inviting the participants by mail (never twice).

Anonymity: the answers (:class:`~events.question_models.Answer`, neither
`registration_id` nor `booking_id`) carry no time (`created_at` NULL) and random ids,
so neither their time nor their order leads to whoever sent them; only
:class:`~events.feedback_models.FeedbackReceipt` knows THAT someone answered, and on
which day. Operations flush; the request commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from events.answers import read_answers
from events.course_models import CourseBooking
from events.course_seats import is_course
from events.errors import EventError, EventStateError
from events.feedback_models import FeedbackReceipt
from events.models import (
    AttendanceStatus,
    Event,
    EventMailKind,
    EventSeries,
    Registration,
    RegistrationStatus,
)
from events.question_models import Answer, Question, QuestionKind, QuestionPurpose
from events.questions import Owner, QuestionInput, questions_of, save_question
from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.mail.operations import queue_delivery
from kkp.tokens import InvalidToken, TokenPurpose, make_token, read_token

#: the typical feedback questions, in German with the English beside them
TYPICAL = (
    QuestionInput(
        kind=QuestionKind.ONE_CHOICE,
        label="Wie bewerten Sie die Veranstaltung insgesamt? (1 = sehr gut, 5 = mangelhaft)",
        label_en="How do you rate the event overall? (1 = very good, 5 = poor)",
        choices=("1", "2", "3", "4", "5"),
        purpose=QuestionPurpose.FEEDBACK,
    ),
    QuestionInput(
        kind=QuestionKind.LONG_TEXT,
        label="Was war für Sie am nützlichsten?",
        label_en="What was most useful to you?",
        purpose=QuestionPurpose.FEEDBACK,
    ),
    QuestionInput(
        kind=QuestionKind.YES_NO,
        label="Würden Sie die Veranstaltung weiterempfehlen?",
        label_en="Would you recommend it?",
        purpose=QuestionPurpose.FEEDBACK,
    ),
)
#: answer ids are drawn from here (a sequence's ids stay below it)
RANDOM_IDS = (2**30, 2**31 - 1)


def has_own_feedback(owner: Owner) -> bool:
    """An event, or a course booked as a whole. The feedback of a series whose dates are
    booked one by one (or one of them) belongs to each date: nobody books the series."""
    return isinstance(owner, Event) or is_course(owner)


def require_own_feedback(owner: Owner) -> None:
    """Raises :class:`EventStateError` for a series that is not booked as a whole."""
    if not has_own_feedback(owner):
        raise EventStateError(
            _(
                "This series collects feedback per date, as it is not booked as a whole "
                "course. Please use the feedback of each of its dates."
            )
        )


def feedback_questions(owner: Owner) -> list[Question]:
    return questions_of(owner, QuestionPurpose.FEEDBACK)


def feedback_question(owner: Owner, question_id: int) -> Question | None:
    """One of the owner's feedback questions; None: it has no such one."""
    return next((q for q in feedback_questions(owner) if q.id == question_id), None)


def add_typical(owner: Owner) -> int:
    """The typical questions the owner does not ask yet; how many were added. Raises
    :class:`EventStateError` for a series not booked as a whole."""
    require_own_feedback(owner)
    asked = {q.label for q in feedback_questions(owner)}
    added = 0
    for question in TYPICAL:
        if question.label not in asked:
            save_question(owner, None, question)
            added += 1
    return added


# -- who answers, and when ---------------------------------------------------------------


@dataclass(frozen=True)
class Respondent:
    """Whose link it is: a registration for one date, or a booking for a course; and
    whose questions she is asked (the event's, or the course's)."""

    owner: Owner
    registration: Registration | None = None
    booking: CourseBooking | None = None

    @property
    def locale(self) -> str:
        person = self.registration or self.booking
        return person.locale if person.locale in ("de", "en") else "de"


def owner_of(person: Registration | CourseBooking) -> Owner:
    """Whose questions she answers: her course's, or her date's."""
    return person.series if isinstance(person, CourseBooking) else person.event


def token_for(person: Registration | CourseBooking) -> str:
    key = "b" if isinstance(person, CourseBooking) else "r"
    return make_token(TokenPurpose.FEEDBACK, {key: person.id, "k": person.key[:8]})


def respondent_for_token(token: str) -> Respondent:
    """Raises :class:`InvalidToken` when forged or the person is gone or anonymised."""
    payload = read_token(TokenPurpose.FEEDBACK, token)
    if payload.get("b"):
        booking = db.session.get(CourseBooking, payload["b"])
        if booking is None or booking.key[:8] != payload.get("k") or booking.anonymised_at:
            raise InvalidToken()
        return Respondent(owner=booking.series, booking=booking)
    registration = db.session.get(Registration, payload.get("r") or 0)
    if (
        registration is None
        or registration.key[:8] != payload.get("k")
        or registration.anonymised_at
    ):
        raise InvalidToken()
    return Respondent(owner=registration.event, registration=registration)


def last_date(owner: Owner) -> Event | None:
    if isinstance(owner, Event):
        return owner
    return owner.events[-1] if owner.events else None


def window(owner: Owner) -> tuple[datetime, datetime] | None:
    """From the start of the event (a course: its last date) until KKP_FEEDBACK_DAYS
    days after its end; None: a course without dates."""
    event = last_date(owner)
    if event is None:
        return None
    days = int(current_app.config.get("KKP_FEEDBACK_DAYS", 30))
    return event.starts_at, event.ends_at + timedelta(days=days)


def is_open(owner: Owner, now: datetime | None = None) -> bool:
    span = window(owner)
    now = now or utcnow()
    return span is not None and span[0] <= now < span[1]


def _receipt_of(person: Registration | CourseBooking) -> FeedbackReceipt | None:
    column = (
        FeedbackReceipt.booking_id
        if isinstance(person, CourseBooking)
        else FeedbackReceipt.registration_id
    )
    return db.session.scalar(sa.select(FeedbackReceipt).where(column == person.id))


def _receipt(person: Registration | CourseBooking) -> FeedbackReceipt:
    receipt = _receipt_of(person)
    if receipt is None:
        key = "booking_id" if isinstance(person, CourseBooking) else "registration_id"
        receipt = FeedbackReceipt(**{key: person.id})
        db.session.add(receipt)
    return receipt


def has_answered(respondent: Respondent) -> bool:
    receipt = _receipt_of(respondent.registration or respondent.booking)
    return receipt is not None and receipt.given_on is not None


def submit(respondent: Respondent, formdata: Mapping, locale: str | None = None) -> bool:
    """Keep the answers without a trace of the person; False (nothing stored) when she
    answered before. Raises :class:`EventError` naming every fault, or when closed."""
    if has_answered(respondent):
        return False
    if not is_open(respondent.owner):
        raise EventError(_("The feedback form is closed."), "form")
    values, errors = read_answers(feedback_questions(respondent.owner), formdata, locale)
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    receipt = _receipt(respondent.registration or respondent.booking)
    receipt.given_on = utcnow().astimezone(BERLIN).date()
    # the answers in random order with random ids: neither tells whose they are
    for question_id, value in sorted(values.items(), key=lambda _item: secrets.randbits(32)):
        db.session.add(Answer(id=_free_id(), question_id=question_id, value=value))
    db.session.flush()
    return True


def _free_id() -> int:
    while True:
        candidate = RANDOM_IDS[0] + secrets.randbelow(RANDOM_IDS[1] - RANDOM_IDS[0])
        if db.session.get(Answer, candidate) is None:
            return candidate


# -- invitations -------------------------------------------------------------------------


def _participants(owner: Owner, present_only: bool) -> list[Registration | CourseBooking]:
    """Confirmed people of the event (its own registrations, not a course's) or the
    course's bookings; `present_only`: only those marked present (on a date)."""
    if isinstance(owner, EventSeries):
        query = sa.select(CourseBooking).where(
            CourseBooking.series_id == owner.id,
            CourseBooking.status == RegistrationStatus.CONFIRMED,
        )
        if present_only:
            query = query.where(
                sa.select(Registration.id)
                .where(
                    Registration.booking_id == CourseBooking.id,
                    Registration.attendance == AttendanceStatus.PRESENT,
                )
                .exists()
            )
        return db.session.scalars(query.order_by(CourseBooking.id)).all()
    query = sa.select(Registration).where(
        Registration.event_id == owner.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.booking_id.is_(None),
    )
    if present_only:
        query = query.where(Registration.attendance == AttendanceStatus.PRESENT)
    return db.session.scalars(query.order_by(Registration.id)).all()


def uninvited(owner: Owner, present_only: bool = False) -> list[Registration | CourseBooking]:
    """Who would get the invitation now: not asked before."""
    return [
        person
        for person in _participants(owner, present_only)
        if (receipt := _receipt_of(person)) is None or receipt.invited_at is None
    ]


def invite(owner: Owner, present_only: bool = False) -> int:
    """Queue the invitation to everyone not asked yet; idempotent. How many went.
    Raises :class:`EventStateError` without questions, outside the form's window, or for
    a series not booked as a whole."""
    require_own_feedback(owner)
    if not feedback_questions(owner):
        raise EventStateError(_("Please add at least one feedback question first."))
    if not is_open(owner):
        raise EventStateError(_("The feedback form is not open now."))
    sent = 0
    for person in uninvited(owner, present_only):
        key = "booking_id" if isinstance(person, CourseBooking) else "registration_id"
        queue_delivery(EventMailKind.FEEDBACK, person.email, params={key: person.id})
        _receipt(person).invited_at = utcnow()
        sent += 1
    db.session.flush()
    audit(
        "event.feedback_invite" if isinstance(owner, Event) else "event_series.feedback_invite",
        owner,
        count=sent,
    )
    return sent
