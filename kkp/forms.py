"""The base of every form: the refusal an operation raises (:class:`InputError`), how a
form shows it, the empty form that carries only the CSRF token, and the options of a
select or radio field (:func:`options`)."""

from __future__ import annotations

from collections.abc import Iterable

from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """(value, label) pairs as the choices of a select, radio or multiple-select field:
    WTForms 3.3 deprecates choices given as tuples, and 3.4 drops them."""
    return [SelectChoice(value, label) for value, label in pairs]


class InputError(ValueError):
    """Bad input or a refused change, in words for the person who made it.

    `field` names the form field the message belongs to (None: the whole form), and
    `errors` maps every faulty field to its message (the first is `field`'s), so that
    a form can show every mistake at once."""

    def __init__(self, message: str, field: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.field = field
        self.errors = errors or ({field: message} if field else {})


class ConflictError(InputError):
    """The change clashes with what is stored (a short name in use, a status that
    forbids it): the API answers 409."""


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


def show_errors(form, exc: Exception, default: str | None = None) -> None:
    """Each message of `exc` at its field; one for a field the form lacks goes to
    `default`, or above the form if that is None too. A field keeps the message it
    has already (its own check's, which comes first). An exception other than an
    :class:`InputError` is one message that names no field."""
    errors = getattr(exc, "errors", None) or {getattr(exc, "field", None) or "": str(exc)}
    for name, message in errors.items():
        name = name if name in form else default
        if name is None or name not in form:
            form.form_errors.append(message)
        elif not form[name].errors:
            form[name].errors = [message]


def form_errors(form) -> dict[str, str]:
    """The first error of each field (read from the fields: `form.errors` is cached)."""
    return {f.name: f.errors[0] for f in form if f.errors}
