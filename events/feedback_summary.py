"""The feedback summarised for the editor: how many answered of how many were
invited, per question the counts and shares of each choice (yes/no alike) and the free
texts in random order; and the answers as CSV, one row per answer, in random order.
Nothing here can name a person: the answers carry none.

Below :data:`MIN_ANSWERS` people who answered, the summary and the CSV say only how
many answered: with one or two answers, an editor who knows who took part could tell
whose answer a share or a text is."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from events.course_models import CourseBooking
from events.feedback import feedback_questions
from events.feedback_models import FeedbackReceipt
from events.models import Event, Registration
from events.question_models import Answer, Question, QuestionKind
from events.questions import Owner
from kkp.extensions import db
from kkp.spreadsheet import BOM, spreadsheet_safe

#: the fewest people who answered whose answers are shown (shares, texts, the CSV)
MIN_ANSWERS = 3


@dataclass(frozen=True)
class Share:
    """One choice: how many chose it, and the share of those who answered the
    question in whole percent."""

    label: str
    count: int
    percent: int


@dataclass(frozen=True)
class QuestionSummary:
    question: Question
    #: how many answered this question
    answered: int
    shares: list[Share] = field(default_factory=list)
    #: the free texts, shuffled
    texts: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FeedbackSummary:
    invited: int
    answered: int
    #: per question; empty while :attr:`withheld`
    questions: list[QuestionSummary]

    @property
    def withheld(self) -> bool:
        """Too few answered to show their answers without giving a person away."""
        return self.answered < MIN_ANSWERS


def withheld_reason() -> str:
    """Why the answers are not shown yet, in words for the editor."""
    return _(
        "The answers are shown once at least %(num)d people have answered: with fewer, "
        "an answer could be traced to the person who gave it.",
        num=MIN_ANSWERS,
    )


def _receipts(owner: Owner) -> sa.Select:
    if isinstance(owner, Event):
        return (
            sa.select(FeedbackReceipt)
            .join(Registration, Registration.id == FeedbackReceipt.registration_id)
            .where(Registration.event_id == owner.id)
        )
    return (
        sa.select(FeedbackReceipt)
        .join(CourseBooking, CourseBooking.id == FeedbackReceipt.booking_id)
        .where(CourseBooking.series_id == owner.id)
    )


def _count(query: sa.Select) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0


def _answers(question: Question) -> list:
    return db.session.scalars(
        sa.select(Answer.value).where(
            Answer.question_id == question.id,
            Answer.registration_id.is_(None),
            Answer.booking_id.is_(None),
        )
    ).all()


def _percent(count: int, total: int) -> int:
    return round(100 * count / total) if total else 0


def summarise_question(question: Question, values: list) -> QuestionSummary:
    if question.kind in (QuestionKind.SHORT_TEXT, QuestionKind.LONG_TEXT):
        texts = [str(v) for v in values if v]
        random.SystemRandom().shuffle(texts)
        return QuestionSummary(question, len(texts), texts=texts)
    if question.kind == QuestionKind.YES_NO:
        options = [(True, _("Yes")), (False, _("No"))]
    else:
        options = [(choice, choice) for choice in question.choices or []]
    counts = dict.fromkeys((value for value, _label in options), 0)
    for value in values:
        for chosen in value if isinstance(value, list) else [value]:
            if chosen in counts:
                counts[chosen] += 1
    answered = len(values)
    return QuestionSummary(
        question,
        answered,
        shares=[
            Share(label, counts[value], _percent(counts[value], answered))
            for value, label in options
        ],
    )


def _answered(owner: Owner) -> int:
    return _count(_receipts(owner).where(FeedbackReceipt.given_on.is_not(None)))


def summary(owner: Owner) -> FeedbackSummary:
    """The counts, and the answers per question from :data:`MIN_ANSWERS` people on."""
    answered = _answered(owner)
    shown = answered >= MIN_ANSWERS
    return FeedbackSummary(
        invited=_count(_receipts(owner).where(FeedbackReceipt.invited_at.is_not(None))),
        answered=answered,
        questions=[summarise_question(q, _answers(q)) for q in feedback_questions(owner)]
        if shown
        else [],
    )


def _cell(value) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(owner: Owner) -> list[tuple[str, str]]:
    if _answered(owner) < MIN_ANSWERS:
        return [(withheld_reason(), "")]
    rows = []
    for question in feedback_questions(owner):
        texts = [_cell(v) for v in _answers(question) if v not in (None, "", [])]
        random.SystemRandom().shuffle(texts)
        rows.extend((question.label, text) for text in texts)
    return rows


def answers_csv(owner: Owner) -> bytes:
    """Question and answer per row (UTF-8 with BOM, `;`), the rows shuffled; below
    :data:`MIN_ANSWERS` people, one row that says why there are none."""
    rows = _rows(owner)
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Question"), _("Answer")])
    for label, text in rows:
        writer.writerow([spreadsheet_safe(label), spreadsheet_safe(text)])
    return buffer.getvalue().encode("utf-8")
