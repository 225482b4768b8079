"""What the composer's script asks while an editor types (kkp/static/composer.js,
kkp/static/event_search.js): the Markdown preview, autosave of a draft, the articles'
order, a picture for a text, the events to announce; and the copy of an issue. Each
answer is JSON with German (or English) messages; every change goes through the same
operations and checks as the composer's form post, and without the script the form
post does all of it (an article's own image field stands in for pictures in its text)."""

from __future__ import annotations

from datetime import datetime

from flask import flash, jsonify, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from events.operations import upcoming_events
from kkp.forms import ConfirmForm, InputError
from kkp.i18n import BERLIN
from kkp.markup import to_html
from kkp.views import saving
from newsletter import drafts, issues
from newsletter.admin.issues import apply_form, event_label, issue_form, issue_or_404
from newsletter.admin.subscribers import bp
from newsletter.forms import IssueForm
from newsletter.models import Issue, IssueStatus
from newsletter.render import image_path


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


@bp.post("/issues/images")
def image_upload():
    """A picture for a text (the toolbar's "Insert image"), checked as an article's
    image is: ``{"path": "/newsletter/image/…", "width": …, "height": …}``. The text
    names it by its site path; the sanitiser keeps only such pictures."""
    file = request.files.get("image")
    if file is None or not file.filename:
        return _refused(_("Please choose an image."))
    with saving(quiet=True) as saved:
        image = issues.store_image(file.read())
    if not saved:
        return _refused(str(saved.error))
    return jsonify({"path": image_path(image), "width": image.width, "height": image.height})


#: the most events a search answers with
EVENT_SEARCH_SIZE = 20


@bp.get("/issues/events.json")
def event_search():
    """Published events still to come whose title, venue or address holds `q`, soonest
    first: ``{"events": [{"id": "12", "label": "12.05.2026 · …", "place": "…"}]}``."""
    text = request.args.get("q", "").strip()[:100]
    locale = str(get_locale() or "de")
    found = upcoming_events(matching=text or None, limit=EVENT_SEARCH_SIZE)
    return jsonify(
        {
            "events": [
                {"id": str(e.id), "label": event_label(e, locale), "place": e.place} for e in found
            ]
        }
    )


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


@bp.post("/issues/<int:issue_id>/template")
def issue_template(issue_id: int):
    """This issue as the office's template, or no longer."""
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        keep = request.form.get("template") != "clear"
        with saving() as saved:
            drafts.set_template(issue if keep else None)
        if saved and keep:
            flash(_("This issue is now the template for new issues."), "success")
        elif saved:
            flash(_("This issue is no longer the template."), "success")
    return redirect(url_for(".issue_edit", issue_id=issue.id, _anchor="template-form"), 303)


@bp.post("/issues/from-template")
def issue_from_template():
    """A new draft from the office's template; the editor lands in it."""
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".issue_list"), 303)
    with saving() as saved:
        draft = drafts.draft_from_template()
    if not saved:
        return redirect(url_for(".issue_list"), 303)
    flash(_("A new draft from the template. Check the number and the texts."), "success")
    return redirect(url_for(".issue_edit", issue_id=draft.id), 303)
