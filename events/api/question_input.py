"""What a client sends about an event's or a course's own registration questions and
optional consents: a new one, a change (only the fields sent), a move, a typical
question by name. :mod:`events.questions` checks the values as the editors' form."""

from __future__ import annotations

from dataclasses import replace

import marshmallow as ma

from events import questions as ops
from events.question_models import QUESTION_KINDS
from kkp.api_fields import ApiSchema, Flag, Markdown, Text

_LABEL = {"description": "German."}
_CONSENT = {"description": "German; several lines."}


class QuestionUpdateSchema(ApiSchema):
    EXAMPLES = [{"label": "Dienststelle", "required": False}]

    kind = Text(20, choices=QUESTION_KINDS)
    label = Text(ops.MAX_LABEL, min_length=1, metadata=_LABEL)
    label_en = Text(ops.MAX_LABEL, metadata={"description": "English; empty: the German one."})
    help = Text(ops.MAX_HELP)
    choices = ma.fields.List(
        ma.fields.String(), metadata={"description": "one_choice, choices: the options."}
    )
    required = Flag(metadata={"default": False})
    shown_if_question_id = ma.fields.Integer(
        allow_none=True,
        metadata={"description": "Asked only after this earlier question's (null: always)"},
    )
    shown_if_value = Text(300, metadata={"description": "... answer (a choice, yes or no)."})


class QuestionCreateSchema(QuestionUpdateSchema):
    EXAMPLES = [{"kind": "short_text", "label": "Kommune", "required": True}]

    kind = Text(20, choices=QUESTION_KINDS, required=True)
    label = Text(ops.MAX_LABEL, min_length=1, required=True, metadata=_LABEL)


class TypicalQuestionSchema(ApiSchema):
    EXAMPLES = [{"name": "organisation"}]

    name = Text(
        20,
        choices=tuple(ops.TYPICAL),
        required=True,
        metadata={"description": "A short-text question, German with its English label."},
    )


class ConsentUpdateSchema(ApiSchema):
    EXAMPLES = [{"text": "Mein Name darf auf der Liste stehen, die alle erhalten."}]

    text = Markdown(ops.MAX_CONSENT, metadata=_CONSENT)
    text_en = Markdown(ops.MAX_CONSENT, metadata={"description": "English; empty: the German."})


class ConsentCreateSchema(ConsentUpdateSchema):
    EXAMPLES = [{"text": "Mein Name darf auf der Teilnehmerliste stehen."}]

    text = Markdown(ops.MAX_CONSENT, required=True, metadata=_CONSENT)


class MoveSchema(ApiSchema):
    EXAMPLES = [{"to": "up"}]

    to = Text(
        4,
        choices=("up", "down"),
        required=True,
        metadata={"description": "One place; at either end nothing changes."},
    )


def question_input(values: dict, question=None) -> ops.QuestionInput:
    """The fields sent over the question's stored ones (a new one: over the defaults)."""
    kept = ops.QuestionInput(kind="", label="")
    if question is not None:
        kept = ops.QuestionInput(
            kind=question.kind,
            label=question.label,
            label_en=question.label_en,
            help=question.help,
            choices=tuple(question.choices or ()),
            required=question.required,
            shown_if_question_id=question.shown_if_question_id,
            shown_if_value=question.shown_if_value,
            purpose=question.purpose,
        )
    if "choices" in values:
        values = {**values, "choices": tuple(values["choices"] or ())}
    return replace(kept, **values)
