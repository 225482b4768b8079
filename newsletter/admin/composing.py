"""What the composer's script asks while an editor types (kkp/static/composer.js):
the Markdown preview, autosave of a draft, the articles' order; and the copy of an
issue. Each answer is JSON with German (or English) messages; every change goes
through the same operations and checks as the composer's form post, and without
the script the form post does all of it."""

from __future__ import annotations

from datetime import datetime

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext as _

from kkp.forms import ConfirmForm, InputError
from kkp.i18n import BERLIN
from kkp.markup import to_html
from kkp.views import saving
from newsletter import drafts, issues
from newsletter.admin.issues import apply_form, issue_form, issue_or_404
from newsletter.admin.subscribers import bp
from newsletter.forms import IssueForm
from newsletter.models import Issue, IssueStatus


def _refused(message: str, status: int = 400, **more):
    return jsonify({"message": message, **more}), status


def _draft_or_refusal(issue: Issue):
    """None for a draft; otherwise the answer that refuses to change it in the
    background (a scheduled issue is saved with the button, sent ones not at all)."""
    if not issue.is_editable:
        return _refused(
            _("This issue is being sent or was sent; it can no longer be changed."), 409
        )
    if issue.status != IssueStatus.DRAFT:
        return _refused(_("Only drafts are saved automatically; please press Save."), 409)
    return None


def _form_errors(form: IssueForm) -> dict[str, str]:
    """The first message of each field, by the id of its input."""
    found = {f.id: f.errors[0] for f in form if f.errors and f.name != "articles"}
    for entry in form.articles:
        found.update({f.id: f.errors[0] for f in entry.form if f.errors})
    return found


@bp.post("/issues/preview-markdown")
def preview_markdown():
    """Markdown as the mail shows it: the same sanitised HTML (:func:`kkp.markup.to_html`)."""
    data = request.get_json(silent=True)
    text = data.get("text") if isinstance(data, dict) else None
    if not isinstance(text, str):
        return _refused(_("The request could not be processed. Please check your input."))
    try:
        text = issues.markdown_text(text, "text")
    except InputError as exc:
        return _refused(str(exc))
    return jsonify({"html": to_html(text)})


@bp.post("/issues/<int:issue_id>/autosave")
def issue_autosave(issue_id: int):
    """The composer's fields (without files) saved as its Save button would."""
    issue = issue_or_404(issue_id)
    refusal = _draft_or_refusal(issue)
    if refusal:
        return refusal
    form = issue_form(issue)
    stored, articles = apply_form(form, issue)
    # apply_form changed everything already (or marked every refusal at its field):
    # saving commits it, or rolls it all back
    with saving(form, valid=stored is not None) as saved:
        pass
    if not saved:
        errors = _form_errors(form)
        first = next(iter(errors.values()), None) or "; ".join(form.form_errors)
        return _refused(first or _("Please check your input."), errors=errors)
    return jsonify(
        {
            "saved_at": datetime.now(BERLIN).strftime("%H:%M"),
            "articles": [a.id if a is not None else None for a in articles],
        }
    )


@bp.post("/issues/<int:issue_id>/order")
def issue_order(issue_id: int):
    """The articles in a new order: ``{"articles": [id, …]}``, every article once."""
    issue = issue_or_404(issue_id)
    if not issue.is_editable:
        return _refused(
            _("This issue is being sent or was sent; it can no longer be changed."), 409
        )
    data = request.get_json(silent=True)
    ids = data.get("articles") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(type(i) is int for i in ids):
        return _refused(_("The request could not be processed. Please check your input."))
    with saving(quiet=True) as saved:
        issues.reorder_articles(issue, ids)
    if not saved:
        return _refused(str(saved.error))
    return jsonify({"articles": ids, "message": _("The order of the articles was saved.")})


@bp.post("/issues/<int:issue_id>/duplicate")
def issue_duplicate(issue_id: int):
    """A new draft from this issue; the editor lands in it."""
    issue = issue_or_404(issue_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".issue_edit", issue_id=issue.id), 303)
    with saving() as saved:
        copy = drafts.duplicate_issue(issue)
    if not saved:
        return redirect(url_for(".issue_edit", issue_id=issue.id), 303)
    flash(
        _(
            "This is a copy of %(number)s: %(title)s. Check the number and the texts.",
            number=issue.number,
            title=issue.title,
        ),
        "success",
    )
    return redirect(url_for(".issue_edit", issue_id=copy.id), 303)
