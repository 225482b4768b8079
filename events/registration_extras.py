"""What `templates/events/_registration_extras.html` shows in a registration form (an
event's, a course's): the editor's questions, the optional consents and the newsletter
box, each with what was posted and its error, so that a form shown again keeps its
input. Build it with :func:`registration_extras` and pass it as ``extras``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _

from events import answers
from events.newsletter_box import FIELD, VERSION_FIELD, NewsletterBox, newsletter_box, ticked
from events.question_models import ConsentOffer, Question
from events.questions import NO, YES


@dataclass(frozen=True)
class AskedQuestion:
    """One question as the form asks it, in the reader's language."""

    id: int
    name: str
    kind: str
    label: str
    help: str
    choices: list[str]
    required: bool
    #: the field it waits for ("" none) and the value that shows it
    shown_if: str
    shown_if_value: str
    #: the condition in words, shown beside the question where no script hides it
    condition: str
    #: what was posted (strings), to keep the input
    posted: list[str]
    error: str


@dataclass(frozen=True)
class OfferedConsent:
    id: int
    name: str
    text: str
    checked: bool


@dataclass(frozen=True)
class Extras:
    questions: list[AskedQuestion] = field(default_factory=list)
    consents: list[OfferedConsent] = field(default_factory=list)
    newsletter: NewsletterBox | None = None
    newsletter_ticked: bool = False
    newsletter_field: str = FIELD
    newsletter_version_field: str = VERSION_FIELD

    def __bool__(self) -> bool:
        return bool(self.questions or self.consents or self.newsletter)


def _posted(formdata: Mapping | None, name: str) -> list[str]:
    if not formdata:
        return []
    return [str(v) for v in formdata.getlist(name)] if hasattr(formdata, "getlist") else []


def _condition(source: Question | None, value: str, locale: str) -> str:
    if source is None:
        return ""
    words = {YES: _("Yes"), NO: _("No")}.get(value, value)
    return _(
        "Only if your answer to “%(question)s” is “%(value)s”.",
        question=source.text(locale),
        value=words,
    )


def registration_extras(
    questions: Sequence[Question],
    offers: Sequence[ConsentOffer],
    *,
    formdata: Mapping | None = None,
    errors: Mapping[str, str] | None = None,
    locale: str = "de",
    newsletter: bool = True,
) -> Extras:
    """The extras of a form: empty on a GET (`formdata` None), else what was posted.
    `newsletter` False leaves the box out (a form that has its own)."""
    errors = errors or {}
    by_id = {q.id: q for q in questions}
    asked = []
    for question in questions:
        name = answers.field_name(question)
        source = by_id.get(question.shown_if_question_id)
        asked.append(
            AskedQuestion(
                id=question.id,
                name=name,
                kind=question.kind,
                label=question.text(locale),
                help=question.help,
                choices=list(question.choices or []),
                required=question.required,
                shown_if=answers.field_name(source) if source is not None else "",
                shown_if_value=question.shown_if_value if source is not None else "",
                condition=_condition(source, question.shown_if_value, locale),
                posted=_posted(formdata, name),
                error=errors.get(name, ""),
            )
        )
    consents = [
        OfferedConsent(
            id=offer.id,
            name=answers.consent_field(offer),
            text=offer.label(locale),
            checked=bool(_posted(formdata, answers.consent_field(offer))),
        )
        for offer in offers
    ]
    return Extras(
        questions=asked,
        consents=consents,
        newsletter=newsletter_box() if newsletter else None,
        newsletter_ticked=bool(formdata) and ticked(formdata),
    )
