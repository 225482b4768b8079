"""The editors' pages for events, series and kinds (participants:
:mod:`events.admin_participants`).

One form holds every field of an event; a refusal shows each message at its field
with everything typed kept (422). A change the event's status forbids answers 409.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_pgettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from events import operations
from events.admin_forms import CopyForm, EventForm, KindForm, SeriesForm
from events.dates import when
from events.models import Event, EventSeries, Registration
from events.operations import EventError, EventStateError
from kkp.auth.access import protect
from kkp.db import utcnow
from kkp.extensions import db
from newsletter.forms import ConfirmForm

bp = Blueprint("events_admin", __name__, url_prefix="/admin/events")
protect(bp)

EVENT_STATUS_WORDS = {
    "draft": _l("Draft"),
    "published": _l("Published"),
    "cancelled": lazy_pgettext("event", "Cancelled"),
}
FORMAT_WORDS = {"online": _l("Online"), "in_person": _l("In person"), "hybrid": _l("Hybrid")}
#: the tabs of the list: (name, label)
SHOWN = (
    ("upcoming", _l("Upcoming")),
    ("past", _l("Past")),
    ("drafts", _l("Drafts")),
    ("cancelled", lazy_pgettext("event", "Cancelled")),
)


@bp.context_processor
def _words():
    return {
        "event_status_words": EVENT_STATUS_WORDS,
        "format_words": FORMAT_WORDS,
        "event_when": lambda event: when(event, str(get_locale())),
    }


def event_or_404(event_id: int) -> Event:
    return db.get_or_404(Event, event_id)


def show_errors(form, exc: EventError, default: str | None = None) -> None:
    """Each message of `exc` at its field (unknown fields: above the form)."""
    errors = exc.errors or {exc.field or "": str(exc)}
    for name, message in errors.items():
        name = name if name in form else default
        if name is None or name not in form:
            form.form_errors.append(message)
        elif not form[name].errors:
            form[name].errors = [message]


def registration_counts(event_ids) -> dict[tuple[int, str], int]:
    """(event id, status) → number of registrations."""
    if not event_ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.event_id, Registration.status, sa.func.count())
        .where(Registration.event_id.in_(list(event_ids)))
        .group_by(Registration.event_id, Registration.status)
    ).all()
    return {(event_id, status): n for event_id, status, n in rows}


# -- the list ----------------------------------------------------------------------------


@bp.get("/")
def event_list():
    shown = request.args.get("show", "upcoming")
    now = utcnow()
    query = sa.select(Event).options(sa.orm.selectinload(Event.kind))
    if shown == "past":
        query = query.where(Event.status == "published", Event.ends_at <= now)
        query = query.order_by(Event.starts_at.desc(), Event.id.desc())
    elif shown == "drafts":
        query = query.where(Event.status == "draft").order_by(Event.starts_at, Event.id)
    elif shown == "cancelled":
        query = query.where(Event.status == "cancelled")
        query = query.order_by(Event.starts_at.desc(), Event.id.desc())
    else:
        shown = "upcoming"
        query = query.where(Event.status == "published", Event.ends_at > now)
        query = query.order_by(Event.starts_at, Event.id)
    events = db.session.scalars(query.limit(500)).all()
    return render_template(
        "admin/events/list.html",
        events=events,
        shown=shown,
        tabs=SHOWN,
        counts=registration_counts(e.id for e in events),
    )


# -- the editor --------------------------------------------------------------------------


def _event_form(**kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.kind_id.choices = [(0, _("Please choose"))] + [
        (k.id, k.label(str(get_locale()))) for k in operations.kinds()
    ]
    series = db.session.scalars(sa.select(EventSeries).order_by(EventSeries.title)).all()
    form.series_id.choices = [(0, _("No series"))] + [(s.id, s.title) for s in series]
    return form


def _stored_form(event: Event) -> EventForm:
    """The form filled from the stored event."""
    data = operations.input_from(event).__dict__
    data["kind_id"] = data["kind_id"] or 0
    data["series_id"] = data["series_id"] or 0
    return _event_form(formdata=None, data=data)


def _editor(form: EventForm, event: Event | None, *, status: int = 200, copy_form=None):
    failed = status >= 400 and (form.errors or form.form_errors)
    return render_template(
        "admin/events/edit.html",
        form=form,
        event=event,
        failed=failed,
        copy_form=copy_form or CopyForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        counts=registration_counts([event.id]) if event else {},
    ), status


def _refused(form: EventForm, event: Event | None, exc: EventError):
    db.session.rollback()
    show_errors(form, exc)
    if event is not None:
        db.session.refresh(event)
    return _editor(form, event, status=409 if isinstance(exc, EventStateError) else 422)


def _flash_notes(notes: list[str]) -> None:
    for note in notes:
        flash(note, "info")


@bp.route("/new", methods=["GET", "POST"])
def event_new():
    if request.method == "GET":
        return _editor(_event_form(formdata=None), None)
    form = _event_form()
    ok = form.validate()
    data = form.event_input()
    try:
        event = operations.create_event(data)
    except EventError as exc:
        return _refused(form, None, exc)
    if not ok:
        db.session.rollback()
        return _editor(form, None, status=422)
    db.session.commit()
    flash(_("The event was saved as a draft."), "success")
    _flash_notes(data.notes)
    return redirect(url_for(".event_edit", event_id=event.id), 303)


def _told(event: Event) -> int:
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Registration)
        .where(Registration.event_id == event.id, Registration.status.in_(("confirmed", "invited")))
    )


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    event = event_or_404(event_id)
    if request.method == "GET":
        return _editor(_stored_form(event), event)
    form = _event_form()
    ok = form.validate()
    data = form.event_input()
    try:
        significant = operations.update_event(event, data)
    except EventError as exc:
        return _refused(form, event, exc)
    if not ok:
        db.session.rollback()
        db.session.refresh(event)
        return _editor(form, event, status=422)
    told = _told(event) if event.status == "published" and significant else 0
    db.session.commit()
    flash(_("The event was saved."), "success")
    if told:
        flash(
            ngettext(
                "An update went to %(num)d participant.",
                "An update went to %(num)d participants.",
                told,
            ),
            "info",
        )
    _flash_notes(data.notes)
    return redirect(url_for(".event_edit", event_id=event.id), 303)


def _conflict(event: Event, exc: EventError):
    """Re-show the editor with the refusal (409 for a state conflict)."""
    db.session.rollback()
    db.session.refresh(event)
    form = _stored_form(event)
    form.form_errors.append(str(exc))
    return _editor(form, event, status=409 if isinstance(exc, EventStateError) else 422)


@bp.post("/<int:event_id>/publish")
def event_publish(event_id: int):
    event = event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".event_edit", event_id=event.id), 303)
    try:
        operations.publish_event(event)
    except EventError as exc:
        return _conflict(event, exc)
    db.session.commit()
    flash(_("The event is published and can be seen on the events page."), "success")
    return redirect(url_for(".event_edit", event_id=event.id), 303)


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
def event_cancel(event_id: int):
    event = event_or_404(event_id)
    form = ConfirmForm()
    if event.status == "cancelled":
        flash(_("The event is cancelled already."), "error")
        return redirect(url_for(".event_edit", event_id=event.id), 303)
    if form.validate_on_submit():
        try:
            told = operations.cancel_event(event)
        except EventError as exc:
            return _conflict(event, exc)
        db.session.commit()
        flash(
            ngettext(
                "The event was cancelled; %(num)d person is told.",
                "The event was cancelled; %(num)d people are told.",
                told,
            ),
            "success",
        )
        return redirect(url_for(".event_edit", event_id=event.id), 303)
    counts = registration_counts([event.id])
    return render_template("admin/events/cancel.html", event=event, form=form, counts=counts)


@bp.route("/<int:event_id>/delete", methods=["GET", "POST"])
def event_delete(event_id: int):
    event = event_or_404(event_id)
    form = ConfirmForm()
    if event.status != "draft":
        return _conflict(event, EventStateError(_("Only drafts can be deleted.")))
    if form.validate_on_submit():
        title = event.title
        try:
            operations.delete_event(event)
        except EventError as exc:
            return _conflict(event, exc)
        db.session.commit()
        flash(_("The draft “%(title)s” was deleted.", title=title), "success")
        return redirect(url_for(".event_list", show="drafts"), 303)
    return render_template("admin/events/delete.html", event=event, form=form)


@bp.post("/<int:event_id>/copy")
def event_copy(event_id: int):
    """Another date of the same event: a draft in the event's series."""
    event = event_or_404(event_id)
    copy_form = CopyForm()
    if copy_form.validate():
        try:
            copy = operations.copy_event(event, start_day=copy_form.copy_day.data)
        except EventError as exc:
            db.session.rollback()
            db.session.refresh(event)
            copy_form.copy_day.errors = list((exc.errors or {"": str(exc)}).values())
        else:
            db.session.commit()
            flash(
                _(
                    "A new date on %(day)s was added to the series “%(series)s”. It is a draft: "
                    "check it and publish it.",
                    day=copy.first_day.strftime("%d.%m.%Y"),
                    series=copy.series.title,
                ),
                "success",
            )
            return redirect(url_for(".event_edit", event_id=copy.id), 303)
    return _editor(_stored_form(event), event, status=422, copy_form=copy_form)


@bp.get("/<int:event_id>/preview")
def event_preview(event_id: int):
    from newsletter.markup import to_html

    event = event_or_404(event_id)
    return render_template(
        "admin/events/preview.html", event=event, description=to_html(event.description or "")
    )


# -- kinds and series --------------------------------------------------------------------


@bp.route("/kinds", methods=["GET", "POST"])
def kinds():
    form = KindForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            kind = operations.create_kind(form.name.data, form.name_en.data or "")
        except EventError as exc:
            db.session.rollback()
            show_errors(form, exc, "name")
        else:
            db.session.commit()
            flash(_("The kind “%(name)s” was added.", name=kind.name), "success")
            return redirect(url_for(".kinds"), 303)
    if request.method == "POST":
        status = 422
    used = dict(
        db.session.execute(sa.select(Event.kind_id, sa.func.count()).group_by(Event.kind_id)).all()
    )
    return render_template(
        "admin/events/kinds.html", kinds=operations.kinds(), form=form, used=used
    ), status


@bp.route("/series", methods=["GET", "POST"])
def series_list():
    form = SeriesForm()
    status = 200
    if request.method == "POST":
        saved = _save_series(form, None)
        if saved is not None:
            return redirect(url_for(".series_edit", series_id=saved.id), 303)
        status = 422
    found = db.session.scalars(
        sa.select(EventSeries)
        .options(sa.orm.selectinload(EventSeries.events))
        .order_by(EventSeries.created_at.desc(), EventSeries.id.desc())
    ).all()
    return render_template("admin/events/series.html", series=found, form=form), status


def _save_series(form: SeriesForm, series: EventSeries | None) -> EventSeries | None:
    if not form.validate():
        return None
    try:
        saved = operations.save_series(
            series, title=form.title.data, description=form.description.data or ""
        )
    except EventError as exc:
        db.session.rollback()
        show_errors(form, exc, "title")
        return None
    db.session.commit()
    flash(_("The series was saved."), "success")
    return saved


@bp.route("/series/<int:series_id>", methods=["GET", "POST"])
def series_edit(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    status = 200
    if request.method == "POST":
        form = SeriesForm()
        if _save_series(form, series) is not None:
            return redirect(url_for(".series_edit", series_id=series.id), 303)
        status = 422
        db.session.refresh(series)
    else:
        form = SeriesForm(formdata=None, obj=series)
    return render_template("admin/events/series_edit.html", series=series, form=form), status


# The participants' pages live on this blueprint too.
from events import admin_audit, admin_participants  # noqa: E402, F401, I001
