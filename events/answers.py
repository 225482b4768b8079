"""What people answer to the editor's questions and which optional consents they give,
for any owner's form: an event's registration, a course's booking, the API.

`read_answers` checks a posted form against the questions (every fault at once; a
question hidden by its condition is neither required nor kept), `save_answers` and
`record_consents` store them for a registration or a booking, and `answers_for` /
`consents_for` read them back as text for lists and exports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from events.export import ExtraColumns
from events.question_models import Answer, ConsentOffer, ConsentRecord, Question, QuestionKind
from events.questions import NO, YES, consents_of, questions_of
from kkp.db import utcnow
from kkp.extensions import db
from kkp.spreadsheet import berlin_time
from kkp.text import text_problem
from people.lists import recorded_ip

#: longest answers in characters
MAX_SHORT = 300
MAX_LONG = 4000

#: an answer as stored: text, the chosen choices, or yes/no
Value = str | list[str] | bool


def field_name(question: Question) -> str:
    """The form field of a question (and the key of its error)."""
    return f"q-{question.id}"


def consent_field(offer: ConsentOffer) -> str:
    return f"consent-{offer.id}"


def _posted(formdata: Mapping, name: str) -> list[str]:
    """Every value posted under `name` (a form's MultiDict or a plain dict of lists)."""
    if hasattr(formdata, "getlist"):
        return [str(v) for v in formdata.getlist(name)]
    value = formdata.get(name)
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    if isinstance(value, bool):
        return [YES if value else NO]
    return [str(value)]


def _matches(value: Value, wanted: str) -> bool:
    if isinstance(value, bool):
        return (YES if value else NO) == wanted
    return value == wanted


def is_shown(question: Question, values: Mapping[int, Value], shown: set[int]) -> bool:
    """Shown when it waits for nothing, or its question is shown and has the value."""
    source_id = question.shown_if_question_id
    if source_id is None:
        return True
    return (
        source_id in shown
        and source_id in values
        and _matches(values[source_id], question.shown_if_value)
    )


def _read_one(question: Question, posted: list[str]) -> tuple[Value | None, str | None]:
    """The value of one question (None: not answered) and what is wrong with it."""
    kind = question.kind
    if kind == QuestionKind.CHOICES:
        chosen = [c for c in question.choices if c in posted]
        if len(chosen) != len({p for p in posted if p}):
            return None, _("Please choose only from the offered answers.")
        return chosen or None, None
    text = (posted[0] if posted else "").strip()
    if not text:
        return None, None
    if kind == QuestionKind.YES_NO:
        if text not in (YES, NO):
            return None, _("Please answer yes or no.")
        return text == YES, None
    if kind == QuestionKind.ONE_CHOICE:
        if text not in question.choices:
            return None, _("Please choose one of the offered answers.")
        return text, None
    long = kind == QuestionKind.LONG_TEXT
    # a short answer is one line: what a paste brought along (tabs, breaks) is a space
    text = text.replace("\r\n", "\n") if long else " ".join(text.split())
    problem = text_problem(text, multi_line=long)
    if problem:
        return None, problem
    limit = MAX_LONG if long else MAX_SHORT
    if len(text) > limit:
        return None, _("At most %(num)d characters.", num=limit)
    return text, None


def read_answers(
    questions: Sequence[Question], formdata: Mapping, locale: str | None = None
) -> tuple[dict[int, Value], dict[str, str]]:
    """The answers to keep (question id → value) and every fault (field name →
    message, in `locale`; None: the request's language). `questions` in the form's
    order: a condition refers to an earlier one. `formdata` a form's MultiDict or, from
    the API, a dict whose keys are the field names (`q-<id>`)."""
    if locale is not None:
        with force_locale(locale):
            return read_answers(questions, formdata)
    values: dict[int, Value] = {}
    errors: dict[str, str] = {}
    shown: set[int] = set()
    for question in questions:
        if not is_shown(question, values, shown):
            continue
        shown.add(question.id)
        name = field_name(question)
        value, error = _read_one(question, _posted(formdata, name))
        if error:
            errors[name] = error
        elif value is None:
            if question.required:
                errors[name] = (
                    _("Please choose at least one answer.")
                    if question.kind == QuestionKind.CHOICES
                    else _("Please answer this question.")
                )
        else:
            values[question.id] = value
    return values, errors


def _owner(registration, booking) -> tuple[str, int]:
    """The column that names the owner, and its id."""
    if (registration is None) == (booking is None):
        raise ValueError("give either a registration or a booking")
    if registration is not None:
        return "registration_id", registration.id
    return "booking_id", booking.id


def save_answers(values: Mapping[int, Value], *, registration=None, booking=None) -> None:
    """Store the answers of one registration or booking, in place of any earlier ones
    (registering again after cancelling answers afresh)."""
    db.session.flush()  # a new registration's id
    key, owner_id = _owner(registration, booking)
    db.session.execute(sa.delete(Answer).where(getattr(Answer, key) == owner_id))
    for question_id, value in values.items():
        db.session.add(Answer(question_id=question_id, value=value, **{key: owner_id}))
    db.session.flush()


def record_consents(
    offers: Iterable[ConsentOffer],
    formdata: Mapping,
    *,
    registration=None,
    booking=None,
    locale: str = "de",
    source: str,
    ip: str | None = None,
) -> list[ConsentRecord]:
    """A record for each offer ticked in `formdata` (field `consent-<id>`, or the key
    ``consents``: a list of offer ids, from the API), with the very words shown in
    `locale`, through `source` (a :class:`people.models.ConsentSource`) from the client
    address `ip` (kept only when KKP_RECORD_IP=1); one already given and not withdrawn
    is not given twice."""
    db.session.flush()
    key, owner_id = _owner(registration, booking)
    ticked_ids = {str(i) for i in _posted(formdata, "consents")}
    given = set(
        db.session.scalars(
            sa.select(ConsentRecord.consent_id).where(
                getattr(ConsentRecord, key) == owner_id, ConsentRecord.withdrawn_at.is_(None)
            )
        )
    )
    now = utcnow()
    records = []
    for offer in offers:
        ticked = bool(_posted(formdata, consent_field(offer))) or str(offer.id) in ticked_ids
        if not ticked or offer.id in given:
            continue
        record = ConsentRecord(
            consent_id=offer.id,
            text=offer.label(locale),
            given_at=now,
            source=source,
            ip=recorded_ip(ip),
            **{key: owner_id},
        )
        db.session.add(record)
        records.append(record)
    db.session.flush()
    return records


def carry_over(registration, target) -> None:
    """A registration that moves to another date (`target`, an event) takes its answers
    and consents along: each goes to the target's question of the same kind and words,
    and to its consent offer of the same words (a copied date asks the same), so the
    new date's lists show what the person gave. What the target does not ask stays as
    it was given."""
    # the first of equal questions wins; each takes one answer (one per question)
    questions = {(q.kind, q.label): q.id for q in reversed(questions_of(target))}
    answers = db.session.scalars(sa.select(Answer).where(Answer.registration_id == registration.id))
    for answer in answers.all():
        question_id = questions.pop((answer.question.kind, answer.question.label), None)
        if question_id is not None:
            answer.question_id = question_id
    offers = {(o.text, o.text_en): o.id for o in reversed(consents_of(target))}
    for record in db.session.scalars(
        sa.select(ConsentRecord).where(
            ConsentRecord.registration_id == registration.id, ConsentRecord.consent_id.is_not(None)
        )
    ):
        record.consent_id = offers.get((record.offer.text, record.offer.text_en), record.consent_id)
    db.session.flush()


def answer_text(value: Value, yes_no: tuple[str, str] | None = None) -> str:
    """An answer as one line of text (yes/no in the reader's language, or `yes_no`)."""
    if isinstance(value, bool):
        yes, no = yes_no or (_("Yes"), _("No"))
        return yes if value else no
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def _by_owner(model, registration_ids, booking_ids):
    if registration_ids is not None:
        return model.registration_id, model.registration_id.in_(list(registration_ids))
    if booking_ids is not None:
        return model.booking_id, model.booking_id.in_(list(booking_ids))
    raise ValueError("give registration_ids or booking_ids")


def answers_for(
    registration_ids: Iterable[int] | None = None,
    booking_ids: Iterable[int] | None = None,
    *,
    yes_no: tuple[str, str] | None = None,
) -> dict[int, dict[int, str]]:
    """Registration (or booking) id → question id → the answer as text; one query.
    `yes_no` the words for a yes/no answer (default: the reader's language)."""
    key, where = _by_owner(Answer, registration_ids, booking_ids)
    rows = db.session.execute(sa.select(key, Answer.question_id, Answer.value).where(where))
    found: dict[int, dict[int, str]] = {}
    for owner_id, question_id, value in rows:
        found.setdefault(owner_id, {})[question_id] = answer_text(value, yes_no)
    return found


def answer_values(
    registration_ids: Iterable[int] | None = None, booking_ids: Iterable[int] | None = None
) -> dict[int, dict[int, Value]]:
    """Like :func:`answers_for`, the stored values as they are (for the JSON API)."""
    key, where = _by_owner(Answer, registration_ids, booking_ids)
    rows = db.session.execute(sa.select(key, Answer.question_id, Answer.value).where(where))
    found: dict[int, dict[int, Value]] = {}
    for owner_id, question_id, value in rows:
        found.setdefault(owner_id, {})[question_id] = value
    return found


def consents_for(
    registration_ids: Iterable[int] | None = None,
    booking_ids: Iterable[int] | None = None,
    *,
    withdrawn: bool = False,
) -> dict[int, dict[int, ConsentRecord]]:
    """Registration (or booking) id → offer id → the consent given and not withdrawn;
    with `withdrawn` also one withdrawn (`withdrawn_at` set) where none is in force."""
    key, where = _by_owner(ConsentRecord, registration_ids, booking_ids)
    if not withdrawn:
        where = sa.and_(where, ConsentRecord.withdrawn_at.is_(None))
    records = db.session.scalars(
        sa.select(ConsentRecord)
        .where(where, ConsentRecord.consent_id.is_not(None))
        .order_by(ConsentRecord.given_at, ConsentRecord.id)
    )
    found: dict[int, dict[int, ConsentRecord]] = {}
    for record in records:
        owner_id = (
            record.registration_id if key is ConsentRecord.registration_id else record.booking_id
        )
        mine = found.setdefault(owner_id, {})
        kept = mine.get(record.consent_id)
        if kept is None or kept.withdrawn_at is not None:  # the one in force, else the last
            mine[record.consent_id] = record
    return found


#: the CSV is for German offices whatever language the editor uses (see events.export)
CSV_YES_NO = ("ja", "nein")


def export_columns(
    questions: Sequence[Question],
    offers: Sequence[ConsentOffer],
    registration_ids: Iterable[int] | None = None,
    booking_ids: Iterable[int] | None = None,
) -> ExtraColumns:
    """A column per question (its German label) and per optional consent ("Einwilligung:
    " and its words; a cell says when it was given, or withdrawn)."""
    ids = list(registration_ids if registration_ids is not None else booking_ids or ())
    if not (questions or offers) or not ids:
        return ExtraColumns(headings=[q.label for q in questions] + _consent_headings(offers))
    if registration_ids is not None:
        answers = answers_for(ids, yes_no=CSV_YES_NO)
        given = consents_for(ids, withdrawn=True)
    else:
        answers = answers_for(booking_ids=ids, yes_no=CSV_YES_NO)
        given = consents_for(booking_ids=ids, withdrawn=True)
    cells = {
        owner_id: [answers.get(owner_id, {}).get(q.id, "") for q in questions]
        + [_consent_cell(given.get(owner_id, {}).get(o.id)) for o in offers]
        for owner_id in ids
    }
    return ExtraColumns(
        headings=[q.label for q in questions] + _consent_headings(offers), cells=cells
    )


def _consent_cell(record: ConsentRecord | None) -> str:
    """When it was given ("ja, …"), withdrawn ("widerrufen, …": not given), or nothing."""
    if record is None:
        return ""
    if record.withdrawn_at is not None:
        return f"widerrufen, {berlin_time(record.withdrawn_at)}"
    return f"ja, {berlin_time(record.given_at)}"


def _consent_headings(offers: Sequence[ConsentOffer]) -> list[str]:
    return [f"Einwilligung: {' '.join(o.text.split())}" for o in offers]
