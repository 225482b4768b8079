"""The editors' pages for events (participants: :mod:`events.admin.participants`;
series and kinds: :mod:`events.admin.series`).

One form holds every field of an event; a refusal shows each message at its field
with everything typed kept (422). A change the event's status forbids answers 409.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_pgettext, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from events import operations, search
from events.admin.forms import CopyForm, EventForm
from events.dates import when
from events.models import (
    Event,
    EventFormat,
    EventSeries,
    EventStatus,
    Registration,
    RegistrationStatus,
)
from events.operations import EventError, EventStateError
from kkp.auth.access import protect
from kkp.db import utcnow
from kkp.extensions import db
from kkp.forms import ConfirmForm, options
from kkp.markup import to_html
from kkp.params import query_number
from kkp.views import Confirmation, confirm_page, saving

bp = Blueprint("events_admin", __name__, url_prefix="/admin/events")
protect(bp)

EVENT_STATUS_WORDS = {
    EventStatus.DRAFT: _l("Draft"),
    EventStatus.PUBLISHED: _l("Published"),
    EventStatus.CANCELLED: lazy_pgettext("event", "Cancelled"),
}
FORMAT_WORDS = {
    EventFormat.ONLINE: _l("Online"),
    EventFormat.IN_PERSON: _l("In person"),
    EventFormat.HYBRID: _l("Hybrid"),
}
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


def refused_status(exc: EventError | None) -> int:
    """409 for a change the event's status forbids, 422 for bad input."""
    return 409 if isinstance(exc, EventStateError) else 422


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
    """The events of a tab (upcoming, past, drafts, cancelled), searched by title,
    sorted by a column, 50 to a page."""
    flt = search.EventFilter.from_args(request.args)
    sorting = search.Sorting.from_args(request.args, search.EVENT_COLUMNS)
    found = search.event_page(flt, sorting, utcnow(), query_number("page"))
    return render_template(
        "admin/events/list.html",
        events=found.rows,
        found=found,
        flt=flt,
        sorting=sorting,
        shown=flt.show,
        tabs=SHOWN,
        counts=registration_counts(e.id for e in found.rows),
    )


# -- the editor --------------------------------------------------------------------------


def _event_form(**kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.kind_id.choices = options(
        [(0, _("Please choose"))] + [(k.id, k.label(str(get_locale()))) for k in operations.kinds()]
    )
    series = db.session.scalars(sa.select(EventSeries).order_by(EventSeries.title)).all()
    form.series_id.choices = options([(0, _("No series"))] + [(s.id, s.title) for s in series])
    return form


def _stored_form(event: Event) -> EventForm:
    """The form filled from the stored event."""
    data = operations.input_from(event).__dict__
    data["kind_id"] = data["kind_id"] or 0
    data["series_id"] = data["series_id"] or 0
    return _event_form(formdata=None, data=data)


def _editor(
    form: EventForm,
    event: Event | None,
    *,
    status: int = 200,
    copy_form=None,
    to_tell: int = 0,
):
    """The editor; `to_tell` > 0: the change is not saved yet, the page asks first
    (that many participants would get an update) with the input to send again."""
    failed = status >= 400 and (form.errors or form.form_errors)
    return render_template(
        "admin/events/edit.html",
        form=form,
        event=event,
        failed=failed,
        copy_form=copy_form or CopyForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        counts=registration_counts([event.id]) if event else {},
        to_tell=to_tell,
        typed=[
            (name, value)
            for name, values in request.form.lists()
            if name not in ("csrf_token", "confirmed")
            for value in values
        ]
        if to_tell
        else [],
    ), status


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
    with saving(form, valid=ok) as saved:
        event = operations.create_event(data)
    if not saved:
        return _editor(form, None, status=refused_status(saved.error))
    flash(_("The event was saved as a draft."), "success")
    _flash_notes(data.notes)
    return redirect(url_for(".event_edit", event_id=event.id), 303)


def _to_tell(event: Event, data) -> int:
    """How many participants the change would send an update to: 0 unless the event
    is published and its time, place or join link changes for them. Wrong input: 0
    (saving shows what is wrong)."""
    if event.status != EventStatus.PUBLISHED:
        return 0
    try:
        return operations.participants_to_tell(event, data)
    except EventError:
        return 0


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
def event_edit(event_id: int):
    """Saves the event; a change that sends participants an update is saved only
    once confirmed (the editor asks first, naming how many, with all input kept)."""
    event = event_or_404(event_id)
    if request.method == "GET":
        return _editor(_stored_form(event), event)
    form = _event_form()
    ok = form.validate()
    data = form.event_input()
    to_tell = _to_tell(event, data) if ok else 0
    if to_tell and request.form.get("confirmed") != "1":
        return _editor(form, event, to_tell=to_tell)
    with saving(form, valid=ok) as saved:
        significant = operations.update_event(event, data)
        told = to_tell if significant else 0
    if not saved:
        db.session.refresh(event)
        return _editor(form, event, status=refused_status(saved.error))
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
    """Re-show the editor, as stored, with the refusal above it."""
    db.session.refresh(event)
    form = _stored_form(event)
    form.form_errors.append(str(exc))
    return _editor(form, event, status=refused_status(exc))


@bp.post("/<int:event_id>/publish")
def event_publish(event_id: int):
    event = event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for(".event_edit", event_id=event.id), 303)
    with saving(quiet=True) as saved:
        operations.publish_event(event)
    if not saved:
        return _conflict(event, saved.error)
    flash(_("The event is published and can be seen on the events page."), "success")
    return redirect(url_for(".event_edit", event_id=event.id), 303)


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
def event_cancel(event_id: int):
    event = event_or_404(event_id)
    if event.status == EventStatus.CANCELLED:
        flash(_("The event is cancelled already."), "error")
        return redirect(url_for(".event_edit", event_id=event.id), 303)
    if ConfirmForm().validate_on_submit():
        with saving(quiet=True) as saved:
            told = operations.cancel_event(event)
        if not saved:
            return _conflict(event, saved.error)
        flash(
            ngettext(
                "The event was cancelled; %(num)d person is told.",
                "The event was cancelled; %(num)d people are told.",
                told,
            ),
            "success",
        )
        return redirect(url_for(".event_edit", event_id=event.id), 303)
    return confirm_page(_cancel_question(event))


def _cancel_question(event: Event) -> Confirmation:
    counts = registration_counts([event.id])
    if event.status == EventStatus.PUBLISHED:
        seated = counts.get((event.id, RegistrationStatus.CONFIRMED), 0) + counts.get(
            (event.id, RegistrationStatus.INVITED), 0
        )
        waiting = counts.get((event.id, RegistrationStatus.WAITING), 0)
        touches = ngettext(
            "%(num)d participant gets a cancellation that takes the event out of their calendar.",
            "All %(num)d participants get a cancellation that takes the event out of their "
            "calendar.",
            seated,
        )
        if waiting:
            touches += " " + ngettext(
                "The %(num)d person on the waiting list is told.",
                "The %(num)d people on the waiting list are told.",
                waiting,
            )
    else:
        touches = _("The event was never published, so nobody is told.")
    return Confirmation(
        title=_("Cancel event"),
        question=_("Cancel “%(title)s”?", title=event.title),
        lead=[when(event, str(get_locale()))],
        touches=touches,
        notes=[_("The event stays visible as cancelled. This cannot be undone.")],
        button=_("Yes, cancel the event"),
        back=url_for(".event_edit", event_id=event.id),
        back_label=_("No, back to the event"),
    )


@bp.route("/<int:event_id>/delete", methods=["GET", "POST"])
def event_delete(event_id: int):
    event = event_or_404(event_id)
    if event.status != EventStatus.DRAFT:
        return _conflict(event, EventStateError(_("Only drafts can be deleted.")))
    if ConfirmForm().validate_on_submit():
        title = event.title
        with saving(quiet=True) as saved:
            operations.delete_event(event)
        if not saved:
            return _conflict(event, saved.error)
        flash(_("The draft “%(title)s” was deleted.", title=title), "success")
        return redirect(url_for(".event_list", show="drafts"), 303)
    return confirm_page(
        Confirmation(
            title=_("Delete event"),
            question=_("Delete the draft “%(title)s”?", title=event.title),
            notes=[_("The draft is deleted. This cannot be undone.")],
            button=_("Yes, delete"),
            back=url_for(".event_edit", event_id=event.id),
            back_label=_("No, back to the event"),
        )
    )


@bp.post("/<int:event_id>/copy")
def event_copy(event_id: int):
    """Another date of the same event: a draft in the event's series."""
    event = event_or_404(event_id)
    copy_form = CopyForm()
    if copy_form.validate():
        with saving(quiet=True) as saved:
            copy = operations.copy_event(event, start_day=copy_form.copy_day.data)
        if not saved:  # every message at the one field the form has
            db.session.refresh(event)
            errors = saved.error.errors or {"": str(saved.error)}
            copy_form.copy_day.errors = list(errors.values())
        else:
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
    event = event_or_404(event_id)
    return render_template(
        "admin/events/preview.html", event=event, description=to_html(event.description or "")
    )
