"""The editors' pages for issues: compose, preview and test, send or schedule, watch
the sending; and the office's standard texts (/admin/settings).

The composer is one form holding the issue and all its articles; every button saves
all of it first, in one transaction, so nothing typed is lost and nothing is half
stored.
"""

from __future__ import annotations

import html

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale, ngettext, pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from events.dates import short_day
from events.models import EventStatus
from events.operations import upcoming_events
from kkp.extensions import db
from kkp.forms import ConfirmForm, options, show_errors
from kkp.headers import framed_mail
from kkp.tables import Sorting, TextFilter
from kkp.views import Confirmation, confirm_page, saving
from newsletter import drafts, issue_table, issues, operations, sending
from newsletter.admin.subscribers import bp
from newsletter.forms import IssueForm, TestSendForm, list_choices
from newsletter.issues import IssueError
from newsletter.models import Article, Image, Issue, IssueStatus
from newsletter.render import PERSONAL, greeting, placeholder, render_issue
from newsletter.settings import office_settings

ISSUE_STATUS_WORDS = {
    IssueStatus.DRAFT: _l("Draft"),
    IssueStatus.SCHEDULED: _l("Scheduled"),
    IssueStatus.SENDING: _l("Being sent"),
    IssueStatus.PAUSED: _l("Paused"),
    IssueStatus.SENT: _l("Sent"),
    IssueStatus.CANCELLED: _l("Cancelled"),
}
#: the progress page asks for news while the issue is in one of these
RUNNING = (IssueStatus.SCHEDULED, IssueStatus.SENDING, IssueStatus.PAUSED)
#: the person the preview greets
SAMPLE_NAME = "Max Mustermann"


@bp.context_processor
def _words():
    return {"issue_status_words": ISSUE_STATUS_WORDS}


def issue_or_404(issue_id: int) -> Issue:
    return db.get_or_404(Issue, issue_id)


# -- the list ----------------------------------------------------------------------------


@bp.get("/issues")
def issue_list():
    flt = TextFilter.from_args(request.args)
    sorting = Sorting.from_args(request.args, issue_table.COLUMNS)
    page = issue_table.issue_page(flt, sorting, request.args.get("page", type=int))
    return render_template(
        "admin/issues/list.html",
        issues=page.rows,
        page=page,
        flt=flt,
        sorting=sorting,
        sent=issue_table.sent_counts(page.rows),
        template=drafts.template_issue(),
    )


# -- the composer ------------------------------------------------------------------------


def issue_form(issue: Issue | None = None, **kwargs) -> IssueForm:
    form = IssueForm(**kwargs)
    form.lists.choices = list_choices(operations.all_lists())
    choices = _event_choices(issue)
    for entry in form.articles:
        entry.form.event_id.choices = choices
    return form


def event_label(event, locale: str) -> str:
    """How the composer names an event: "12.05.2026 · Netzwerktreffen"."""
    return f"{short_day(event, locale)} · {event.title}"


def _event_choices(issue: Issue | None) -> list[SelectChoice]:
    """Published events that have not ended, and those the issue's articles link already
    (cancelled or past ones among them marked), for each article's "Linked event"."""
    locale = str(get_locale() or "de")
    shown = upcoming_events()
    linked = [a.event for a in issue.articles if a.event is not None] if issue else []
    choices = [("", _("No event"))]
    for event in sorted({*shown, *linked}, key=lambda e: (e.starts_at, e.id)):
        label = event_label(event, locale)
        if event.status == EventStatus.CANCELLED:
            label += " (" + pgettext("event", "cancelled") + ")"
        elif event not in shown:
            label += " (" + _("past") + ")"
        choices.append((str(event.id), label))
    return options(choices)


def _form_data(issue: Issue, *, blank_article: bool) -> dict:
    articles = [
        {
            "id": str(a.id),
            "title": a.title,
            "body": a.body,
            "links": issues.links_text(a.links or []),
            "image_alt": a.image_alt,
            "event_id": str(a.event_id or ""),
        }
        for a in issue.articles
    ]
    return {
        "number": issue.number,
        "title": issue.title,
        "intro": issue.intro,
        "lists": [m.id for m in issue.lists],
        "articles": articles + ([{}] if blank_article else []),
    }


def _composer(form: IssueForm, issue: Issue | None, *, failed: bool = False):
    return render_template(
        "admin/issues/edit.html",
        form=form,
        issue=issue,
        stored={str(a.id): a for a in issue.articles} if issue else {},
        failed=failed,
        template_issue=drafts.template_issue() if issue is not None else None,
        autosave=issue is not None and issue.status == "draft",
        max_image_mb=format_decimal(
            current_app.config["KKP_IMAGE_MAX_BYTES"] / 1_048_576, format="#,##0.##"
        ),
    )


@bp.route("/issues/new", methods=["GET", "POST"])
def issue_new():
    if request.method == "GET":
        data = {"number": drafts.next_number(), "articles": [{}]}
        return _composer(issue_form(formdata=None, data=data), None)
    return _submit(issue_form(), None)


@bp.route("/issues/<int:issue_id>", methods=["GET", "POST"])
def issue_edit(issue_id: int):
    issue = issue_or_404(issue_id)
    if not issue.is_editable:
        if request.method == "POST":
            flash(_("This issue is being sent or was sent; it can no longer be changed."), "error")
            return redirect(url_for(".issue_edit", issue_id=issue.id), code=303)
        return render_template(
            "admin/issues/view.html", issue=issue, template_issue=drafts.template_issue()
        )
    if request.method == "GET":
        data = _form_data(issue, blank_article=bool(request.args.get("add")))
        return _composer(issue_form(issue, formdata=None, data=data), issue)
    return _submit(issue_form(issue), issue)


def _upload(file) -> Image | None:
    return issues.store_image(file.read()) if file else None


def apply_form(form: IssueForm, issue: Issue | None) -> tuple[Issue | None, list[Article | None]]:
    """Apply the whole form in the open transaction: the issue, then each article, each
    in a savepoint so that one refusal does not hide the next. Every refusal is marked
    at its field; the caller rolls everything back if there was one."""
    ok = form.validate()
    values = {
        "number": form.number.data,
        "title": form.title.data,
        "intro": form.intro.data,
        "list_ids": form.lists.data or [],
    }
    try:
        with db.session.begin_nested():
            if issue is None:
                issue = issues.create_issue(**values)
            else:
                issues.update_issue(issue, **values)
    except IssueError as exc:
        show_errors(form, exc)
        ok = False
    stored = {str(a.id): a for a in issue.articles} if issue is not None else {}
    saved: list[Article | None] = []
    for entry in form.articles:
        sub = entry.form
        article = stored.pop(sub.id.data or "", None)
        if article is None and sub.is_blank():
            saved.append(None)  # an empty slot, not an article
            continue
        fields = {
            "title": sub.title.data,
            "body": sub.body.data,
            "links": sub.links.data,
            "image_alt": sub.image_alt.data,
            "remove_image": sub.remove_image.data,
            "event_id": sub.event_id.data or None,
        }
        try:
            with db.session.begin_nested():
                image = _upload(sub.image.data)
                if issue is None:  # the issue itself was refused: check what we can
                    issues.parse_links(fields["links"])
                    issues.linked_event(fields["event_id"])
                elif article is None:
                    article = issues.add_article(issue, image=image, **fields)
                else:
                    issues.update_article(article, image=image, **fields)
        except IssueError as exc:
            show_errors(sub, exc, "title")
            ok = False
        saved.append(article)
    if not ok or form.form_errors:
        return None, []
    return issue, saved


def _submit(form: IssueForm, issue: Issue | None):
    """Save everything, then do what the pressed button asks."""
    kind, _sep, index = request.form.get("action", "save").partition("-")
    stored, articles = apply_form(form, issue)
    article = articles[int(index)] if index.isdigit() and int(index) < len(articles) else None
    moving = kind in ("up", "down") and article is not None
    with saving(form, valid=stored is not None) as saved:
        if moving:
            issues.move_article(article, -1 if kind == "up" else 1)
    if not saved:
        return _composer(form, issue, failed=True), 422
    here = {"issue_id": stored.id}
    if moving:
        flash(_("The issue was saved and the article moved."), "success")
        return redirect(url_for(".issue_edit", **here, _anchor=f"article-{article.id}"), 303)
    if kind == "remove" and article is not None:
        flash(_("The issue was saved."), "success")
        return redirect(url_for(".article_remove", **here, article_id=article.id), 303)
    if kind == "add":
        flash(_("The issue was saved; fill in the new article below."), "success")
        anchor = f"article-new-{len(stored.articles) + 1}"
        return redirect(url_for(".issue_edit", **here, add=1, _anchor=anchor), 303)
    flash(_("The issue was saved."), "success")
    return redirect(url_for(".issue_edit", **here), 303)


@bp.route("/issues/<int:issue_id>/articles/<int:article_id>/remove", methods=["GET", "POST"])
def article_remove(issue_id: int, article_id: int):
    article = db.first_or_404(
        sa.select(Article).where(Article.id == article_id, Article.issue_id == issue_id)
    )
    if ConfirmForm().validate_on_submit():
        title = article.title
        with saving() as saved:
            issues.remove_article(article)
        if saved:
            flash(_("The article “%(title)s” was removed.", title=title), "success")
        return redirect(url_for(".issue_edit", issue_id=issue_id), 303)
    issue = article.issue
    return confirm_page(
        Confirmation(
            title=_("Remove article"),
            question=_("Remove the article “%(title)s”?", title=article.title),
            notes=[
                _("From issue %(number)s: %(title)s.", number=issue.number, title=issue.title)
                + " "
                + _(
                    "The article, its links and its image are removed from the issue. "
                    "This cannot be undone."
                )
            ],
            button=_("Yes, remove"),
            back=url_for(".issue_edit", issue_id=issue_id, _anchor=f"article-{article.id}"),
            back_label=_("Cancel"),
        )
    )


@bp.route("/issues/<int:issue_id>/delete", methods=["GET", "POST"])
def issue_delete(issue_id: int):
    issue = issue_or_404(issue_id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            issues.delete_issue(issue)
        if not saved:
            return redirect(url_for(".issue_edit", issue_id=issue_id), 303)
        flash(_("The draft was deleted."), "success")
        return redirect(url_for(".issue_list"), 303)
    return confirm_page(
        Confirmation(
            title=_("Delete issue"),
            question=_(
                "Delete the draft %(number)s: %(title)s?", number=issue.number, title=issue.title
            ),
            notes=[_("The issue and all its articles are deleted. This cannot be undone.")],
            button=_("Yes, delete"),
            back=url_for(".issue_edit", issue_id=issue.id),
            back_label=_("Cancel"),
        )
    )


# -- preview and test mail ---------------------------------------------------------------


def with_samples(rendered: dict[str, str], locale: str) -> dict[str, str]:
    """The rendered mail with the personal parts filled in for a made-up reader."""
    values = {name: "#" for name in PERSONAL}
    values["greeting"] = greeting(SAMPLE_NAME, locale)
    out = dict(rendered)
    for name, value in values.items():
        out["html"] = out["html"].replace(placeholder(name), html.escape(value))
        out["text"] = out["text"].replace(placeholder(name), value)
    out["text"] = out["text"].replace("\r\n", "\n")
    return out


def _preview_mail(issue: Issue) -> tuple[dict[str, str], str]:
    locale = request.args.get("mail_lang")
    locale = locale if locale in sending.LOCALES else "de"
    return with_samples(render_issue(issue, office_settings(), locale), locale), locale


def _preview_page(issue: Issue, form: TestSendForm, status: int = 200):
    mail, locale = _preview_mail(issue)
    return render_template(
        "admin/issues/preview.html", issue=issue, mail=mail, form=form, mail_lang=locale
    ), status


@bp.get("/issues/<int:issue_id>/preview")
def issue_preview(issue_id: int):
    form = TestSendForm(formdata=None, addresses=current_user.email)
    return _preview_page(issue_or_404(issue_id), form)


@bp.get("/issues/<int:issue_id>/preview/mail")
def issue_preview_mail(issue_id: int):
    """The previewed mail alone, for the preview's frames: a document of its own with a
    policy of its own (its inline styles, no script), which a srcdoc frame cannot have."""
    mail, _locale = _preview_mail(issue_or_404(issue_id))
    return framed_mail(mail["html"])


@bp.post("/issues/<int:issue_id>/test")
def issue_test_send(issue_id: int):
    issue = issue_or_404(issue_id)
    form = TestSendForm()
    if form.validate():
        with saving(form, default="addresses") as saved:
            ids = sending.test_send(issue, form.address_list())
        if saved and not current_app.config.get("KKP_SMTP_URL"):
            flash(
                ngettext(
                    "The test mail to %(num)d address is in the outbox (Settings › "
                    "Outbox): no mail server is set up, so nothing leaves this machine.",
                    "The test mail to %(num)d addresses is in the outbox (Settings › "
                    "Outbox): no mail server is set up, so nothing leaves this machine.",
                    len(ids),
                ),
                "info",
            )
        elif saved:
            flash(
                ngettext(
                    "Test mail sent to %(num)d address.",
                    "Test mail sent to %(num)d addresses.",
                    len(ids),
                ),
                "success",
            )
            return redirect(url_for(".issue_preview", issue_id=issue.id), 303)
    return _preview_page(issue, form, 422)
