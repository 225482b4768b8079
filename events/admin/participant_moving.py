"""An editor moves a participant to another date of a series of one of several dates
(:mod:`events.moving`): a page that names the dates with their free seats, and the
move."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from events import moving, registrations
from events.admin.events import bp, event_or_404
from events.admin.forms import MoveForm
from events.dates import when
from events.errors import EventStateError
from events.models import Registration
from kkp.extensions import db
from kkp.forms import options
from kkp.views import saving


def _choices(registration: Registration) -> list[SelectChoice]:
    choices = []
    for event in moving.dates_to_move_to(registration, by_editor=True):
        left = registrations.seats_left(event, registration.participation or None)
        if left is None:
            note = _("no seat limit")
        elif left:
            note = _("%(n)d free", n=left)
        else:
            note = _("fully booked")
        choices.append((event.id, f"{when(event)} ({note})"))
    return options(choices)


@bp.route("/<int:event_id>/participants/<int:registration_id>/move", methods=["GET", "POST"])
def participant_move(event_id: int, registration_id: int):
    event = event_or_404(event_id)
    registration = db.first_or_404(
        sa.select(Registration).where(
            Registration.id == registration_id, Registration.event_id == event.id
        )
    )
    form = MoveForm()
    form.to_event_id.choices = _choices(registration)
    status = 200
    if form.is_submitted():
        with saving(form, default="to_event_id", valid=form.validate()) as saved:
            moving.move(registration, form.to_event_id.data or 0, by_editor=True)
        if saved:
            flash(
                _(
                    "%(name)s is registered for %(when)s now and is told by mail.",
                    name=registration.name or registration.email,
                    when=when(registration.event),
                ),
                "success",
            )
            return redirect(url_for(".participants", event_id=event.id), 303)
        status = 409 if isinstance(saved.error, EventStateError) else 422
        db.session.refresh(registration)
    return render_template(
        "admin/events/participant_move.html", event=event, registration=registration, form=form
    ), status
