"""The editor's export of a date's or a course's participants (the group, the columns
she ticks, CSV, XLSX, a PDF list or name badges) and her message to a group of them
(write, preview, confirm with the count, send once). The operations are in
:mod:`events.participant_files` and :mod:`events.group_messages`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from events.admin.events import bp, event_or_404
from events.admin.participant_forms import ExportForm, GroupMessageForm
from events.group_messages import message_check, message_group
from events.models import Event, EventSeries
from events.participant_columns import unknown_keys
from events.participant_export import ExportFormat
from events.participant_files import columns_of, participant_file, people_of
from events.participant_groups import PARTICIPANT_GROUPS
from kkp.extensions import db
from kkp.forms import options
from kkp.markup import to_html
from kkp.views import Confirmation, confirm_page, saving


@dataclass
class Owner:
    """A date or a course, and how its pages link back."""

    obj: Event | EventSeries
    crumbs: list[tuple[str | None, str]]
    back: str
    here: str

    @property
    def is_course(self) -> bool:
        return isinstance(self.obj, EventSeries)


def _event(event_id: int, page: str) -> Owner:
    event = event_or_404(event_id)
    back = url_for(".participants", event_id=event.id)
    crumbs = [
        (url_for(".event_list"), _("Events")),
        (url_for(".event_edit", event_id=event.id), event.title),
    ]
    return Owner(event, crumbs, back, url_for(f".event_{page}", event_id=event.id))


def _series(series_id: int, page: str) -> Owner:
    series = db.get_or_404(EventSeries, series_id)
    back = url_for(".series_edit", series_id=series.id)
    crumbs = [(url_for(".series_list"), _("Series")), (back, series.title)]
    return Owner(series, crumbs, back, url_for(f".series_{page}", series_id=series.id))


# -- the export --------------------------------------------------------------------------


@bp.route("/<int:event_id>/export", methods=["GET", "POST"])
def event_export(event_id: int):
    return _export(_event(event_id, "export"))


@bp.route("/series/<int:series_id>/export", methods=["GET", "POST"])
def series_export(series_id: int):
    return _export(_series(series_id, "export"))


def _export(owner: Owner):
    columns = columns_of(owner.obj)
    if request.method == "POST":
        form = ExportForm()
    else:
        form = ExportForm(formdata=None)
        form.columns.data = [c.key for c in columns if c.default]
    form.columns.choices = options((c.key, c.label) for c in columns)
    if request.method == "POST":
        valid = form.validate_on_submit()
        keys = form.columns.data or []
        if form.export_format.data != ExportFormat.BADGES and valid:
            if not keys:
                form.columns.errors = [_("Please choose at least one column.")]
            elif unknown_keys(columns, keys):
                form.columns.errors = [_("Some columns no longer exist. Please choose again.")]
        if valid and not form.columns.errors:
            exported = participant_file(
                owner.obj, group=form.group.data, keys=keys, export_format=form.export_format.data
            )
            db.session.commit()
            return Response(
                exported.data,
                mimetype=exported.mimetype,
                headers={
                    "Content-Disposition": f'attachment; filename="{exported.filename}"',
                    "Cache-Control": "no-store",
                },
            )
    counts = {group: len(people_of(owner.obj, group)) for group in PARTICIPANT_GROUPS}
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/events/export.html", owner=owner, form=form, counts=counts
    ), status


# -- a message to a group ----------------------------------------------------------------


@bp.route("/<int:event_id>/message", methods=["GET", "POST"])
def event_message(event_id: int):
    return _message(_event(event_id, "message"))


@bp.route("/series/<int:series_id>/message", methods=["GET", "POST"])
def series_message(series_id: int):
    return _message(_series(series_id, "message"))


def _ids(owner: Owner) -> dict:
    return {"series_id": owner.obj.id} if owner.is_course else {"event_id": owner.obj.id}


def _message(owner: Owner):
    """Write (and preview), confirm with the count, send."""
    if request.method == "GET":
        return _message_page(owner, GroupMessageForm(formdata=None))
    form = GroupMessageForm()
    if not form.validate_on_submit():
        return _message_page(owner, form, status=422)
    subject, text = form.subject.data or "", form.text.data or ""
    errors, reached = message_check(
        **_ids(owner), group=form.group.data, subject=subject, text=text
    )
    for name, problem in errors.items():
        form[name].errors = [problem]
    if errors:
        return _message_page(owner, form, status=422)
    if request.form.get("step") == "preview":
        return _message_page(owner, form, preview=Markup(to_html(text)))
    if request.form.get("confirmed") == "1":
        return _send(owner, form)
    return confirm_page(_question(owner, form, len(reached)))


def _message_page(owner: Owner, form, *, status: int = 200, preview: Markup | None = None):
    return render_template(
        "admin/events/group_message.html", owner=owner, form=form, preview=preview
    ), status


def _question(owner: Owner, form, reached: int) -> Confirmation:
    subject, text = form.subject.data.strip(), form.text.data
    return Confirmation(
        title=_("Send a message"),
        question=_("Send the message to this group?"),
        lead=[str(next(c.label for c in form.group.choices if c.value == form.group.data))],
        touches=ngettext(
            "%(num)d person will get this message by mail.",
            "%(num)d people will get this message by mail.",
            reached,
        ),
        notes=[_("Subject: %(subject)s", subject=subject)],
        button=_("Yes, send"),
        danger=False,
        back=owner.back,
        back_label=_("Cancel"),
        hidden=[
            ("group", form.group.data),
            ("subject", subject),
            ("text", text),
            ("confirmed", "1"),
            ("key", secrets.token_urlsafe(16)),
        ],
    )


def _send(owner: Owner, form):
    key = request.form.get("key", "")
    if not (8 <= len(key) <= 64 and key.isascii()):
        flash(_("The form has expired. Please try again."), "error")
        return redirect(owner.here, 303)
    with saving() as saved:
        outcome = message_group(
            **_ids(owner),
            group=form.group.data,
            subject=form.subject.data,
            text=form.text.data,
            key=key,
        )
    if saved:
        flash(
            ngettext(
                "The message goes to %(num)d person.",
                "The message goes to %(num)d people.",
                outcome.done,
            ),
            "success",
        )
        if outcome.unchanged:
            flash(
                ngettext(
                    "%(num)d of the group got no message (not taking part, or they have it "
                    "already).",
                    "%(num)d of the group got no message (not taking part, or they have it "
                    "already).",
                    outcome.unchanged,
                ),
                "info",
            )
    return redirect(owner.back, 303)
