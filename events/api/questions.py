"""The editor's registration questions and optional consents in the API: what an
event's JSON shows of them (public fields), the answers a registration's JSON carries,
reading the answers sent with a new registration (checked as the public form checks
them, :mod:`events.answers`); the editors' list of them, with how many people answered
or agreed. The routes: :mod:`events.api.question_routes` (an event's or a
course's) and :mod:`events.api.question_edits` (one question or consent)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import marshmallow as ma
import sqlalchemy as sa
from flask_babel import gettext as _

from events import answers
from events import questions as ops
from events.errors import EventError
from events.question_models import (
    QUESTION_KINDS,
    Answer,
    ConsentOffer,
    ConsentRecord,
    Question,
    QuestionPurpose,
)
from kkp.api_fields import AnswerSchema, answer
from kkp.extensions import db


class ConditionSchema(AnswerSchema):
    question_id = answer(ma.fields.Integer, description="An earlier question of the event.")
    value = answer(description="A choice, or `yes` / `no`.")


class QuestionSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    kind = answer(enum=list(QUESTION_KINDS))
    label = answer(description="German.")
    label_en = answer(description="English; empty: the German one.")
    help = answer()
    choices = answer(ma.fields.List, ma.fields.String(), description="one_choice, choices.")
    required = answer(ma.fields.Boolean, description="Only while the question is shown.")
    shown_if = answer(
        ma.fields.Nested,
        ConditionSchema,
        nullable=True,
        description="Asked only when that question has that answer; null: always.",
    )


class ConsentOfferSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    text = answer(description="German.")
    text_en = answer(description="English; empty: the German one.")


class ListedQuestionSchema(QuestionSchema):
    answers = answer(
        ma.fields.Integer,
        description="How many people answered it; deleting the question deletes their answers.",
    )


class ListedConsentSchema(ConsentOfferSchema):
    given = answer(
        ma.fields.Integer,
        description="How many people agreed (not withdrawn); each record keeps the words "
        "that person saw, whatever becomes of the offer.",
    )


class AskedSchema(AnswerSchema):
    questions = answer(
        ma.fields.List,
        ma.fields.Nested(ListedQuestionSchema),
        description="In the order the form asks them.",
    )
    consents = answer(
        ma.fields.List,
        ma.fields.Nested(ListedConsentSchema),
        description="In the order the form offers them.",
    )


class GivenConsentSchema(AnswerSchema):
    id = answer(ma.fields.Integer, description="The offered consent's id.")
    text = answer(description="The very words the person agreed to.")
    given_at = answer(ma.fields.DateTime, description="UTC.")
    withdrawn_at = answer(
        ma.fields.DateTime,
        nullable=True,
        description="When the person withdrew it (UTC): from then on not given; null: in force.",
    )
    source = answer(
        description="Through what it was given: form (the public form), preferences (her own "
        "page), api, editor."
    )
    ip = answer(
        nullable=True,
        description="The address she gave it from, when KKP_RECORD_IP is on and she acted "
        "herself; else null.",
    )
    withdrawn_source = answer(
        nullable=True, description="Through what it was withdrawn; null while in force."
    )
    withdrawn_ip = answer(nullable=True, description="As ip, for the withdrawal.")


#: the body's fields of a new registration
ANSWER_FIELDS = {
    "answers": ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(allow_none=True),
        metadata={
            "description": (
                "Answers to the event's questions by question id: text, a list of "
                "choices (`choices`), or true/false (`yes_no`). Checked like the form: "
                "required ones while shown, offered choices only; 422 names "
                "`answers.<id>`."
            ),
            "example": {"12": "Präventionsrat", "13": ["vor Ort"], "14": True},
        },
    ),
    "consents": ma.fields.List(
        ma.fields.Integer(),
        metadata={"description": "Ids of the event's optional consents the person gave."},
    ),
}


def question_json(question: Question) -> dict:
    shown_if = None
    if question.shown_if_question_id is not None:
        shown_if = {"question_id": question.shown_if_question_id, "value": question.shown_if_value}
    return {
        "id": question.id,
        "kind": question.kind,
        "label": question.label,
        "label_en": question.label_en,
        "help": question.help,
        "choices": list(question.choices or []),
        "required": question.required,
        "shown_if": shown_if,
    }


def consent_json(offer: ConsentOffer) -> dict:
    return {"id": offer.id, "text": offer.text, "text_en": offer.text_en}


def _counts(column, ids: list[int], *where) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(column, sa.func.count()).where(column.in_(ids), *where).group_by(column)
    )
    return dict(rows.all())


def owner_asked_json(owner: ops.Owner) -> dict[str, list]:
    """An event's or a series' questions and consents, in order, with how many people
    answered each question and gave each consent."""
    questions, offers = ops.questions_of(owner), ops.consents_of(owner)
    answered = _counts(Answer.question_id, [q.id for q in questions])
    given = _counts(
        ConsentRecord.consent_id, [o.id for o in offers], ConsentRecord.withdrawn_at.is_(None)
    )
    return {
        "questions": [{**question_json(q), "answers": answered.get(q.id, 0)} for q in questions],
        "consents": [{**consent_json(o), "given": given.get(o.id, 0)} for o in offers],
    }


def asked_json(event_ids: Iterable[int]) -> dict[int, dict[str, list]]:
    """Event id → its `questions` and `consents` as the event's JSON shows them."""
    ids = list(event_ids)
    found: dict[int, dict[str, list]] = {i: {"questions": [], "consents": []} for i in ids}
    if not ids:
        return found
    for question in db.session.scalars(
        sa.select(Question)
        .where(Question.event_id.in_(ids), Question.purpose == QuestionPurpose.REGISTRATION)
        .order_by(Question.position, Question.id)
    ):
        found[question.event_id]["questions"].append(question_json(question))
    for offer in db.session.scalars(
        sa.select(ConsentOffer)
        .where(ConsentOffer.event_id.in_(ids))
        .order_by(ConsentOffer.position, ConsentOffer.id)
    ):
        found[offer.event_id]["consents"].append(consent_json(offer))
    return found


def given_json(
    registration_ids: Iterable[int] = (), *, booking_ids: Iterable[int] | None = None
) -> dict[int, dict[str, object]]:
    """Registration id (or, given `booking_ids`, a course booking's id) → its `answers`
    (question id as text → value) and `consents`, as :func:`given_fields` describes."""
    by_booking = booking_ids is not None
    ids = list(booking_ids if by_booking else registration_ids)
    found: dict[int, dict[str, object]] = {i: {"answers": {}, "consents": []} for i in ids}
    if not ids:
        return found
    owners = {"booking_ids": ids} if by_booking else {"registration_ids": ids}
    for owner_id, values in answers.answer_values(**owners).items():
        found[owner_id]["answers"] = {str(k): v for k, v in sorted(values.items())}
    for owner_id, given in answers.consents_for(**owners, withdrawn=True).items():
        found[owner_id]["consents"] = [
            given_consent_json(record)
            for _offer_id, record in sorted(given.items())
            if isinstance(record, ConsentRecord)
        ]
    return found


def given_fields() -> dict[str, ma.fields.Field]:
    """What a registration's or a booking's JSON says the person answered and agreed to:
    `answers`, then `consents` (one schema's fields each time: unpack them in order)."""
    return {
        "answers": answer(
            ma.fields.Dict,
            keys=ma.fields.String(),
            values=ma.fields.Raw(),
            description="Answers by question id: text, a list of choices, or true/false.",
        ),
        "consents": answer(
            ma.fields.List,
            ma.fields.Nested(GivenConsentSchema),
            description="The optional consents given; one withdrawn since has `withdrawn_at`.",
        ),
    }


def given_consent_json(record: ConsentRecord) -> dict:
    """A consent as :class:`GivenConsentSchema` describes it."""
    withdrawn = record.withdrawn_at
    return {
        "id": record.consent_id,
        "text": record.text,
        "given_at": record.given_at.isoformat(),
        "withdrawn_at": withdrawn.isoformat() if withdrawn is not None else None,
        "source": record.source,
        "ip": record.ip,
        "withdrawn_source": record.withdrawn_source,
        "withdrawn_ip": record.withdrawn_ip,
    }


def read_sent_answers(
    questions: list[Question], offers: list[ConsentOffer], values: Mapping
) -> tuple[dict, dict]:
    """The answers and the ticked consents of an API body as the form's functions take
    them; every fault at once as an :class:`EventError` on `answers.<id>` / `consents`."""
    sent = values.get("answers") or {}
    wrong_type = {
        f"answers.{key}": _("Please send text, a list of texts, or true or false.")
        for key, value in sent.items()
        if not (
            isinstance(value, (str, bool))
            or (isinstance(value, list) and all(isinstance(v, str) for v in value))
        )
    }
    sent = {key: value for key, value in sent.items() if f"answers.{key}" not in wrong_type}
    formdata = {f"q-{key}": value for key, value in sent.items()}
    kept, errors = answers.read_answers(questions, formdata)
    api_errors = {f"answers.{name.removeprefix('q-')}": message for name, message in errors.items()}
    api_errors.update(wrong_type)
    known = {q.id for q in questions}
    for key in sent:
        if not (str(key).isdigit() and int(key) in known):
            api_errors.setdefault(f"answers.{key}", _("This event has no such question."))
    offered = {o.id for o in offers}
    ticked = list(dict.fromkeys(values.get("consents") or []))
    if any(i not in offered for i in ticked):
        api_errors["consents"] = _("This event offers no such consent.")
    if api_errors:
        first = next(iter(api_errors))
        raise EventError(api_errors[first], first, api_errors)
    return kept, {"consents": [str(i) for i in ticked]}
