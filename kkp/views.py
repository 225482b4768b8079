"""One pattern for a form post on the editors' pages, and one confirm page.

A view checks its form, then changes data inside :func:`saving`::

    with saving(form, default="slug") as saved:
        operations.update_list(mailing_list, **values)
    if saved:
        flash(_("The list was saved."), "success")
        return redirect(url_for(".lists"), 303)
    return render_template(...), 400   # the form again, every error at its field

Operations change data and flush; :func:`saving` commits what they did, or, when one
refuses with an :class:`~kkp.forms.InputError`, rolls all of it back (nothing is
stored half-way) and shows the refusal: at the form's fields, or as a flashed error
when the view has no form to show it on (a button that redirects either way).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import flash, render_template

from kkp.extensions import db
from kkp.forms import InputError, show_errors


@dataclass
class Saved:
    """What :func:`saving` did: true when the change was committed; otherwise it was
    rolled back, and `error` is the operation's refusal (None if only the form's own
    checks failed)."""

    committed: bool = False
    error: InputError | None = None

    def __bool__(self) -> bool:
        return self.committed


@contextmanager
def saving(
    form=None,
    *,
    default: str | None = None,
    refused: type[Exception] | tuple[type[Exception], ...] = InputError,
    quiet: bool = False,
    valid: bool = True,
) -> Iterator[Saved]:
    """Commit the change made in the block; on `refused` (an :class:`InputError` unless
    told otherwise) roll it back and put the refusal on `form` (see
    :func:`kkp.forms.show_errors`; `default` is the field for messages that name none),
    or, without a form, flash it as an error for the page the view redirects to; or,
    if `quiet`, leave it to the view (`saved.error`: a page of its own, another
    status). Any other exception passes through (the request's teardown rolls back).

    `valid` False (the form's own checks failed) rolls back too: the view ran the
    operation anyway, so that the form shows the operation's mistakes beside its own."""
    saved = Saved()
    try:
        yield saved
    except refused as exc:
        db.session.rollback()
        saved.error = exc
        if form is not None:
            show_errors(form, exc, default)
        elif not quiet:
            flash(str(exc), "error")
    else:
        if valid:
            db.session.commit()
            saved.committed = True
        else:
            db.session.rollback()


@dataclass
class Confirmation:
    """What a confirm page (templates/admin/confirm.html) says; every text translated.

    The page is a heading that asks, paragraphs that tell what follows, and a form
    with one button that posts the page's own address (or `action`) with the CSRF
    token, beside a link back. Without a `button` there is nothing to confirm: the
    page shows only the link back."""

    #: the window's title
    title: str
    #: the heading: the action, as a question
    question: str
    #: where "no" leads, and its words
    back: str
    back_label: str
    #: the button's words; None: no form
    button: str | None = None
    #: a red button: the action deletes or cannot be undone
    danger: bool = True
    #: paragraphs before the one that says who is touched (what the object is)
    lead: list[str] = field(default_factory=list)
    #: how many people the action touches, where the page says it
    touches: str | None = None
    #: paragraphs after it (the consequences)
    notes: list[str] = field(default_factory=list)
    #: the address the form posts to; None: the page's own
    action: str | None = None
    #: (name, value) of hidden fields the form posts again (a selection of rows)
    hidden: list[tuple[str, str]] = field(default_factory=list)


def confirm_page(confirmation: Confirmation, status: int = 200):
    return render_template("admin/confirm.html", confirm=confirmation), status
