"""The editor's own registration questions and optional consents of an event or a
course (a series): add, change, delete, move up and down, and the typical questions in
one click. The owner is an :class:`~events.models.Event` or an
:class:`~events.models.EventSeries`; reading the answers people give is
:mod:`events.answers`.

Operations change data and flush; the request commits. Refusals are an
:class:`~events.errors.EventError` naming every faulty field at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from events.errors import EventError
from events.models import Event, EventSeries
from events.question_models import ConsentOffer, Question, QuestionKind, QuestionPurpose
from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.text import text_problem

Owner = Event | EventSeries

#: lengths in characters, as the columns allow
MAX_LABEL = 300
MAX_HELP = 500
MAX_CHOICE = 200
MAX_CHOICES = 30
MAX_CONSENT = 2000
#: a question may depend on one of these (its values are few and known)
CONDITION_KINDS = (QuestionKind.ONE_CHOICE, QuestionKind.YES_NO)
#: the values of a yes/no question as conditions and form fields name them
YES, NO = "yes", "no"


def _owner_column(owner: Owner, model) -> sa.ColumnElement:
    if isinstance(owner, Event):
        return model.event_id == owner.id
    return model.series_id == owner.id


def _owner_ids(owner: Owner) -> dict:
    if isinstance(owner, Event):
        return {"event_id": owner.id}
    return {"series_id": owner.id}


def _audit(owner: Owner) -> None:
    audit("event.questions" if isinstance(owner, Event) else "event_series.questions", owner)


def questions_of(owner: Owner, purpose: str = QuestionPurpose.REGISTRATION) -> list[Question]:
    """The owner's registration (or feedback) questions in the order the form asks them."""
    return db.session.scalars(
        sa.select(Question)
        .where(_owner_column(owner, Question), Question.purpose == purpose)
        .order_by(Question.position, Question.id)
    ).all()


def consents_of(owner: Owner) -> list[ConsentOffer]:
    """The owner's optional consents in the order the form offers them."""
    return db.session.scalars(
        sa.select(ConsentOffer)
        .where(_owner_column(owner, ConsentOffer))
        .order_by(ConsentOffer.position, ConsentOffer.id)
    ).all()


def condition_values(question: Question) -> list[str]:
    """What another question may wait for: a choice, or "yes"/"no"."""
    if question.kind == QuestionKind.YES_NO:
        return [YES, NO]
    if question.kind == QuestionKind.ONE_CHOICE:
        return list(question.choices or [])
    return []


# -- questions ---------------------------------------------------------------------------


@dataclass
class QuestionInput:
    """What the editor typed; `choices` one per entry, blanks dropped."""

    kind: str
    label: str
    label_en: str = ""
    help: str = ""
    choices: tuple[str, ...] = ()
    required: bool = False
    shown_if_question_id: int | None = None
    shown_if_value: str = ""
    #: a :class:`QuestionPurpose`; kept when a question is changed
    purpose: str = QuestionPurpose.REGISTRATION


def _clean_choices(values, errors: dict) -> list[str]:
    choices: list[str] = []
    for value in values:
        if text_problem(str(value)):
            errors["choices"] = text_problem(str(value))
            return []
        value = " ".join(str(value).split())
        if value and value not in choices:
            choices.append(value)
    if len(choices) < 2:
        errors["choices"] = _("Please give at least two choices, one per line.")
    elif len(choices) > MAX_CHOICES:
        errors["choices"] = _("At most %(num)d choices.", num=MAX_CHOICES)
    elif any(len(c) > MAX_CHOICE for c in choices):
        errors["choices"] = _("A choice has at most %(num)d characters.", num=MAX_CHOICE)
    return choices


def _check_condition(
    owner: Owner, question: Question | None, data: QuestionInput, errors: dict
) -> Question | None:
    if data.shown_if_question_id is None:
        return None
    earlier = questions_of(owner, question.purpose if question is not None else data.purpose)
    if question is not None:
        earlier = earlier[: earlier.index(question)] if question in earlier else earlier
    source = next((q for q in earlier if q.id == data.shown_if_question_id), None)
    if source is None or source.kind not in CONDITION_KINDS:
        errors["shown_if_question_id"] = _(
            "Only an earlier question with one choice or yes/no can be the condition."
        )
        return None
    if data.shown_if_value not in condition_values(source):
        errors["shown_if_value"] = _("Please choose one of that question's answers.")
    return source


def _check_dependants(question: Question, kind: str, choices: list[str], errors: dict) -> None:
    """A question others wait for keeps the values they wait for."""
    values = [YES, NO] if kind == QuestionKind.YES_NO else choices
    if kind not in CONDITION_KINDS:
        values = []
    for other in db.session.scalars(
        sa.select(Question).where(Question.shown_if_question_id == question.id)
    ):
        if other.shown_if_value not in values:
            errors.setdefault(
                "choices" if kind in CONDITION_KINDS else "kind",
                _(
                    "The question “%(label)s” is shown only for the answer “%(value)s”: "
                    "keep that answer or change that question first.",
                    label=other.label,
                    value=other.shown_if_value,
                ),
            )


def save_question(owner: Owner, question: Question | None, data: QuestionInput) -> Question:
    """Add a question at the end (`question` None) or change one; every fault at once."""
    errors: dict[str, str] = {}
    if data.kind not in tuple(QuestionKind):
        errors["kind"] = _("Please choose a kind of question.")
    label = " ".join((data.label or "").split())
    label_en = " ".join((data.label_en or "").split())
    help_text = " ".join((data.help or "").split())
    for name, raw, text, limit in (
        ("label", data.label, label, MAX_LABEL),
        ("label_en", data.label_en, label_en, MAX_LABEL),
        ("help", data.help, help_text, MAX_HELP),
    ):
        problem = text_problem(raw or "")
        if problem is None and len(text) > limit:
            problem = _("At most %(num)d characters.", num=limit)
        if problem:
            errors[name] = problem
    if not label:
        errors.setdefault("label", _("Please enter the question."))
    choices: list[str] = []
    if data.kind in (QuestionKind.ONE_CHOICE, QuestionKind.CHOICES):
        choices = _clean_choices(data.choices, errors)
    source = _check_condition(owner, question, data, errors)
    if question is not None and "kind" not in errors:
        _check_dependants(question, data.kind, choices, errors)
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    if question is None:
        last = max((q.position for q in questions_of(owner, data.purpose)), default=0)
        question = Question(purpose=data.purpose, position=last + 1)
        for key, value in _owner_ids(owner).items():
            setattr(question, key, value)
        db.session.add(question)
    question.kind = data.kind
    question.label = label
    question.label_en = label_en
    question.help = help_text
    question.choices = choices
    question.required = bool(data.required)
    question.shown_if_question_id = source.id if source is not None else None
    question.shown_if_value = data.shown_if_value if source is not None else ""
    db.session.flush()
    _audit(owner)
    return question


def delete_question(owner: Owner, question: Question) -> None:
    """Delete a question and its answers; questions that waited for it are always shown."""
    for other in db.session.scalars(
        sa.select(Question).where(Question.shown_if_question_id == question.id)
    ):
        other.shown_if_question_id = None
        other.shown_if_value = ""
    db.session.delete(question)
    db.session.flush()
    _audit(owner)


def _swap(items: list, item, step: int) -> tuple | None:
    """Number the items afresh and trade `item`'s place with its neighbour's; None at
    either end (nothing changes)."""
    at = items.index(item)
    if step not in (-1, 1) or not 0 <= at + step < len(items):
        return None
    other = items[at + step]
    for position, each in enumerate(items, start=1):
        each.position = position
    item.position, other.position = other.position, item.position
    return item, other


def move_question(owner: Owner, question: Question, step: int) -> None:
    """One place up (-1) or down (+1); a question stays after the one it waits for."""
    questions = questions_of(owner, question.purpose)
    at = questions.index(question)
    if 0 <= at + step < len(questions):
        first, second = sorted((question, questions[at + step]), key=questions.index)
        if second.shown_if_question_id == first.id:
            raise EventError(_("A question stays after the question it depends on."), "position")
    if _swap(questions, question, step) is not None:
        db.session.flush()
        _audit(owner)


#: the typical questions an editor adds in one click: German and English label
TYPICAL = {
    "organisation": ("Organisation", "Organisation"),
    "function": ("Funktion", "Function"),
    "municipality": ("Kommune", "Municipality"),
}


def add_typical(owner: Owner, name: str) -> Question:
    """A short-text question from :data:`TYPICAL`, in German with the English beside
    it (the public form is German first, whatever language the editor reads)."""
    if name not in TYPICAL:
        raise EventError(_("Unknown question."), "typical")
    label, label_en = TYPICAL[name]
    return save_question(
        owner, None, QuestionInput(kind=QuestionKind.SHORT_TEXT, label=label, label_en=label_en)
    )


def copy_questions(source: Owner, target: Owner) -> None:
    """The source's questions and consents for another date (a copy of an event),
    conditions pointing at the copies; no audit entry (the copy's own is enough)."""
    copies: dict[int, Question] = {}
    asked = [*questions_of(source), *questions_of(source, QuestionPurpose.FEEDBACK)]
    for question in asked:
        copy = Question(
            purpose=question.purpose,
            position=question.position,
            kind=question.kind,
            label=question.label,
            label_en=question.label_en,
            help=question.help,
            choices=list(question.choices or []),
            required=question.required,
            shown_if_value=question.shown_if_value,
            **_owner_ids(target),
        )
        copy.shown_if = copies.get(question.shown_if_question_id)
        if copy.shown_if is None:
            copy.shown_if_value = ""
        db.session.add(copy)
        copies[question.id] = copy
    for offer in consents_of(source):
        db.session.add(
            ConsentOffer(
                position=offer.position,
                text=offer.text,
                text_en=offer.text_en,
                **_owner_ids(target),
            )
        )
    db.session.flush()


# -- consents ----------------------------------------------------------------------------


def save_consent(
    owner: Owner, offer: ConsentOffer | None, text: str, text_en: str = ""
) -> ConsentOffer:
    """Add an optional consent at the end (`offer` None) or change its words; what
    people agreed to before keeps the words they saw."""
    text, text_en = (text or "").strip(), (text_en or "").strip()
    errors: dict[str, str] = {}
    for name, value in (("text", text), ("text_en", text_en)):
        problem = text_problem(value.replace("\r\n", "\n"), multi_line=True)
        if problem is None and len(value) > MAX_CONSENT:
            problem = _("At most %(num)d characters.", num=MAX_CONSENT)
        if problem:
            errors[name] = problem
    if not text:
        errors.setdefault("text", _("Please enter the text people agree to."))
    if errors:
        first = next(iter(errors))
        raise EventError(errors[first], first, errors)
    if offer is None:
        last = max((o.position for o in consents_of(owner)), default=0)
        offer = ConsentOffer(position=last + 1, **_owner_ids(owner))
        db.session.add(offer)
    offer.text = text
    offer.text_en = text_en
    db.session.flush()
    _audit(owner)
    return offer


def delete_consent(owner: Owner, offer: ConsentOffer) -> None:
    """No longer offered; the records of who agreed stay, with the words they saw."""
    db.session.delete(offer)
    db.session.flush()
    _audit(owner)


def move_consent(owner: Owner, offer: ConsentOffer, step: int) -> None:
    if _swap(consents_of(owner), offer, step) is not None:
        db.session.flush()
        _audit(owner)
