"""The columns an editor may pick for a list of a date's or a course's participants:
name, e-mail, organisation, status, place on the waiting list, source, registered at,
on site or online, attendance (per date, and dates attended of a course), each
registration question's answer and each consent offered. A column reads its value from
a :class:`events.participant_groups.Participant`; the formats are in
:mod:`events.participant_export`.

:func:`answer_texts` reads the answers straight from :mod:`events.question_models`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from events.models import (
    AttendanceStatus,
    Event,
    EventFormat,
    EventSeries,
    Participation,
    RegistrationScope,
    RegistrationSource,
    RegistrationStatus,
)
from events.participant_groups import Participant, course_dates
from events.question_models import Answer, ConsentOffer, ConsentRecord, Question, QuestionPurpose
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.pdf import plain

#: a cell: text, a count, an instant (UTC-aware) or nothing
Cell = str | int | datetime | None

STATUS_WORDS = {
    RegistrationStatus.CONFIRMED: _l("registered"),
    RegistrationStatus.PENDING: _l("unconfirmed (seat held)"),
    RegistrationStatus.PENDING_WAITING: _l("unconfirmed (waiting list)"),
    RegistrationStatus.EXPIRED: _l("not confirmed (lapsed)"),
    RegistrationStatus.WAITING: _l("waiting list"),
    RegistrationStatus.INVITED: _l("invited"),
    RegistrationStatus.CANCELLED: _l("cancelled"),
    RegistrationStatus.DECLINED: _l("declined"),
}
SOURCE_WORDS = {
    RegistrationSource.FORM: _l("registration form"),
    RegistrationSource.EDITOR: _l("editors"),
    RegistrationSource.INVITATION: _l("invitation"),
    RegistrationSource.API: "API",
}
PARTICIPATION_WORDS = {Participation.ON_SITE: _l("on site"), Participation.ONLINE: _l("online")}
ATTENDANCE_WORDS = {
    AttendanceStatus.PRESENT: _l("present"),
    AttendanceStatus.ABSENT: _l("absent"),
    AttendanceStatus.EXCUSED: _l("excused"),
}


@dataclass(frozen=True)
class Column:
    """One column an editor may pick: `key` in forms and the API, `value` of a row."""

    key: str
    label: str
    value: Callable[[Participant], Cell]
    #: width in the XLSX, in characters
    width: int = 18
    default: bool = False


def answer_texts(
    *, registration_ids: Sequence[int] = (), booking_ids: Sequence[int] = ()
) -> dict[tuple[str, int], dict[int, str]]:
    """Each registration's ("r", id) and booking's ("b", id) answers as text by
    question id: several choices joined with ", ", yes/no as words."""
    found: dict[tuple[str, int], dict[int, str]] = {}
    for owner, column, ids in (
        ("r", Answer.registration_id, registration_ids),
        ("b", Answer.booking_id, booking_ids),
    ):
        if not ids:
            continue
        for answer in db.session.scalars(sa.select(Answer).where(column.in_(list(ids)))):
            owner_id = answer.registration_id if owner == "r" else answer.booking_id
            found.setdefault((owner, owner_id), {})[answer.question_id] = _answer_text(answer.value)
    return found


def _answer_text(value) -> str:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _consents_given(
    *, registration_ids: Sequence[int], booking_ids: Sequence[int]
) -> dict[tuple[str, int, int], datetime | None]:
    """(owner, owner id, offer id) of each consent given → None while in force, else
    when it was withdrawn (given again since: in force)."""
    given: dict[tuple[str, int, int], datetime | None] = {}
    clauses = []
    if registration_ids:
        clauses.append(ConsentRecord.registration_id.in_(list(registration_ids)))
    if booking_ids:
        clauses.append(ConsentRecord.booking_id.in_(list(booking_ids)))
    if not clauses:
        return given
    for record in db.session.scalars(
        sa.select(ConsentRecord).where(sa.or_(*clauses)).order_by(ConsentRecord.given_at)
    ):
        keys = []
        if record.booking_id:
            keys.append(("b", record.booking_id, record.consent_id))
        if record.registration_id:
            keys.append(("r", record.registration_id, record.consent_id))
        for key in keys:
            if given.get(key, 0) is not None:  # unknown yet, or withdrawn: this one
                given[key] = record.withdrawn_at
    return given


def _owners(participant: Participant) -> list[tuple[str, int]]:
    """Where a participant's answers and consents may hang: the date's registration,
    and the booking of the course."""
    owners = []
    if participant.registration is not None:
        owners.append(("r", participant.registration.id))
    booking_id = participant.booking.id if participant.booking else None
    if booking_id is None and participant.registration is not None:
        booking_id = participant.registration.booking_id
    if booking_id:
        owners.append(("b", booking_id))
    return owners


def _words(words: dict, value: str | None) -> str:
    return str(words[value]) if value in words else (value or "")


def _fixed_columns(hybrid: bool) -> list[Column]:
    columns = [
        Column("name", _("Name"), lambda p: p.name, 26, True),
        Column("email", _("E-mail"), lambda p: p.email, 30),
        Column("organisation", _("Organisation"), lambda p: p.organisation, 26, True),
        Column("status", _("Status"), lambda p: _words(STATUS_WORDS, p.status), 16, True),
        Column("waiting_place", _("Place on the waiting list"), lambda p: p.waiting_place, 10),
        Column("source", _("Source"), lambda p: _words(SOURCE_WORDS, p.source), 16),
        Column("registered_at", _("Registered at"), lambda p: p.created_at, 17),
    ]
    columns.append(
        Column(
            "participation",
            _("On site or online"),
            lambda p: _words(PARTICIPATION_WORDS, p.participation),
            12,
            hybrid,
        )
    )
    return columns


def _date_label(event: Event) -> str:
    return event.starts_at.astimezone(BERLIN).strftime("%d.%m.%Y")


def _attendance_of(index: int) -> Callable[[Participant], Cell]:
    def value(p: Participant) -> Cell:
        registration = p.dates[index] if index < len(p.dates) else None
        return _words(ATTENDANCE_WORDS, registration.attendance) if registration else ""

    return value


def _attended(p: Participant) -> str:
    return _("%(n)d of %(total)d", n=p.attended, total=len(p.dates))


def _question_columns(questions: list[Question], consents: list[ConsentOffer], lookups: dict):
    columns = []
    answers, given = lookups["answers"], lookups["given"]
    for question in questions:
        owner = "b" if question.series_id else "r"

        def answer(p: Participant, q=question, owner=owner) -> Cell:
            for kind, owner_id in _owners(p):
                if kind == owner:
                    return answers.get((kind, owner_id), {}).get(q.id, "")
            return ""

        columns.append(Column(f"q{question.id}", plain(question.label), answer, 24, True))
    for offer in consents:

        def consent(p: Participant, offer_id=offer.id) -> Cell:
            keys = [(kind, owner_id, offer_id) for kind, owner_id in _owners(p)]
            states = [given[key] for key in keys if key in given]
            if not states:
                return ""
            if None in states:
                return _("yes")
            withdrawn = max(states).astimezone(BERLIN).strftime("%d.%m.%Y")
            return _("withdrawn on %(date)s", date=withdrawn)

        label = _("Consent: %(text)s", text=plain(offer.text)[:60])
        columns.append(Column(f"c{offer.id}", label, consent, 14))
    return columns


def _extras(event_ids: list[int], series_id: int | None):
    """The registration questions and the consents offered for these dates or the
    course."""
    owned = [Question.event_id.in_(event_ids)] if event_ids else []
    offered = [ConsentOffer.event_id.in_(event_ids)] if event_ids else []
    if series_id:
        owned.append(Question.series_id == series_id)
        offered.append(ConsentOffer.series_id == series_id)
    if not owned:
        return [], []
    questions = db.session.scalars(
        sa.select(Question)
        .where(sa.or_(*owned), Question.purpose == QuestionPurpose.REGISTRATION)
        .order_by(Question.series_id.is_(None), Question.position, Question.id)
    )
    consents = db.session.scalars(
        sa.select(ConsentOffer)
        .where(sa.or_(*offered))
        .order_by(ConsentOffer.position, ConsentOffer.id)
    )
    return list(questions), list(consents)


def _lookups(people: list[Participant]) -> dict:
    registration_ids = [p.registration.id for p in people if p.registration is not None]
    booking_ids = [owner_id for p in people for kind, owner_id in _owners(p) if kind == "b"]
    return {
        "answers": answer_texts(registration_ids=registration_ids, booking_ids=booking_ids),
        "given": _consents_given(registration_ids=registration_ids, booking_ids=booking_ids),
    }


def event_columns(event: Event, people: list[Participant] = ()) -> list[Column]:
    """The columns of one date's list: the fixed ones, the date's attendance, and the
    questions and consents of the date (and of its course, for bookings)."""
    booked = event.series and event.series.registration_scope == RegistrationScope.COURSE
    course = event.series_id if booked else None
    questions, consents = _extras([event.id], course)
    columns = _fixed_columns(event.format == EventFormat.HYBRID)
    columns.append(Column("attendance", _("Attendance"), _attendance_of(0), 12))
    return columns + _question_columns(questions, consents, _lookups(list(people)))


def course_columns(series: EventSeries, people: list[Participant] = ()) -> list[Column]:
    """The columns of a course's list: the fixed ones, attendance per date and in
    sum, and the course's questions and consents."""
    dates = course_dates(series.id)
    questions, consents = _extras([], series.id)
    columns = _fixed_columns(any(e.format == EventFormat.HYBRID for e in dates))
    for index, event in enumerate(dates):
        columns.append(Column(f"d{event.id}", _date_label(event), _attendance_of(index), 11))
    columns.append(Column("attended", _("Dates attended"), _attended, 11, True))
    return columns + _question_columns(questions, consents, _lookups(list(people)))


def chosen_columns(columns: list[Column], keys: Sequence[str] | None) -> list[Column]:
    """The columns named in `keys` in the list's order; the defaults when none given."""
    if not keys:
        return [c for c in columns if c.default]
    wanted = set(keys)
    return [c for c in columns if c.key in wanted]


def unknown_keys(columns: list[Column], keys: Sequence[str]) -> list[str]:
    known = {c.key for c in columns}
    return [k for k in keys if k not in known]
