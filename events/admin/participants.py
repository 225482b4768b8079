"""The editors' pages for an event's participants: the lists by status, adding and
removing people, moving someone up from the waiting list, inviting a mailing list,
the CSV export."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from events import invitations, moving, registrations, search, seats
from events.admin.events import bp, event_or_404, registration_counts
from events.admin.forms import InviteForm, ParticipantForm
from events.answers import answers_for, consents_for, export_columns
from events.consents import SOURCE_WORDS as CONSENT_SOURCE_WORDS
from events.export import STATUS_ORDER, ExtraColumns, filename, participants_csv
from events.models import (
    Event,
    EventFormat,
    Participation,
    Registration,
    RegistrationSource,
    RegistrationStatus,
)
from events.operations import EventStateError
from events.questions import consents_of, questions_of
from kkp.auth.operations import audit
from kkp.extensions import db
from kkp.forms import ConfirmForm, options, show_errors
from kkp.params import query_number
from kkp.views import Confirmation, confirm_page, saving
from people.lists import all_lists
from people.models import MailingList


def _source_words() -> dict[str, str]:
    return {
        RegistrationSource.FORM: _("Registration form"),
        RegistrationSource.EDITOR: _("Editors"),
        RegistrationSource.INVITATION: _("Invitation"),
        RegistrationSource.API: _("API"),
    }


def grouped(event: Event) -> dict[str, list[Registration]]:
    """The event's registrations by status; the waiting list in its order."""
    found = db.session.scalars(
        sa.select(Registration)
        .where(Registration.event_id == event.id)
        .order_by(Registration.waiting_since, Registration.created_at, Registration.id)
    ).all()
    groups: dict[str, list[Registration]] = {status: [] for status in STATUS_ORDER}
    for registration in found:
        groups.setdefault(registration.status, []).append(registration)
    return groups


def seat_pools(event: Event) -> list[dict]:
    """A hybrid event's seats by kind (on site, online): confirmed, seats, free,
    waiting; empty for other events."""
    if event.format != EventFormat.HYBRID:
        return []
    words = {Participation.ON_SITE: _("On site"), Participation.ONLINE: _("Online")}
    return [
        {
            "label": words[kind],
            "confirmed": registrations.confirmed_count(event.id, kind),
            "capacity": seats.capacity_for(event, kind),
            "free": registrations.seats_left(event, kind),
            "waiting": registrations.waiting_count(event.id, kind),
        }
        for kind in seats.pools(event)
    ]


def extra_columns(event: Event, groups: dict[str, list[Registration]]) -> ExtraColumns:
    """The event's questions and optional consents as the export's last columns."""
    ids = [r.id for group in groups.values() for r in group]
    return export_columns(questions_of(event), consents_of(event), registration_ids=ids)


def _invite_form(**kwargs) -> InviteForm:
    form = InviteForm(**kwargs)
    form.list_id.choices = options((m.id, m.name) for m in all_lists())
    return form


def _page(event: Event, *, add_form=None, invite_form=None, problem=None, status=200):
    flt = search.ParticipantFilter.from_args(request.args)
    sorting = search.Sorting.from_args(request.args, search.PARTICIPANT_COLUMNS)
    asked = query_number("page")
    sections = {
        name: search.section_page(event.id, name, flt, sorting, asked if flt.section else 1)
        for name in ([flt.section] if flt.section else search.SECTIONS)
    }
    counts = {s: n for (_e, s), n in registration_counts([event.id]).items()}
    shown = [r.id for found in sections.values() for r in found.rows]
    questions, offers = questions_of(event), consents_of(event)
    return render_template(
        "admin/events/participants.html",
        event=event,
        sections=sections,
        counts=counts,
        places=search.waiting_places(event.id),
        flt=flt,
        sorting=sorting,
        seats_left=registrations.seats_left(event),
        pools=seat_pools(event),
        movable=moving.is_one_of(event),
        add_form=add_form or ParticipantForm(formdata=None),
        invite_form=invite_form or _invite_form(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        source_words=_source_words(),
        problem=problem,
        questions=questions,
        offers=offers,
        answers=answers_for(shown) if questions and shown else {},
        given=consents_for(shown, withdrawn=True) if offers and shown else {},
        consent_sources=CONSENT_SOURCE_WORDS,
    ), status


def _registration_or_404(event_id: int, registration_id: int) -> Registration:
    return db.first_or_404(
        sa.select(Registration).where(
            Registration.id == registration_id, Registration.event_id == event_id
        )
    )


def _here(event: Event, anchor: str | None = None):
    return redirect(url_for(".participants", event_id=event.id, _anchor=anchor), 303)


@bp.get("/<int:event_id>/participants")
def participants(event_id: int):
    return _page(event_or_404(event_id))


@bp.post("/<int:event_id>/participants/add")
def participant_add(event_id: int):
    event = event_or_404(event_id)
    form = ParticipantForm()
    if form.validate():
        with saving(quiet=True) as saved:
            registration, outcome = registrations.add_participant(
                event.id,
                name=form.name.data or "",
                email=form.email.data or "",
                organisation=form.organisation.data or "",
                over_capacity=bool(form.over_capacity.data),
                participation=form.participation.data or "",
            )
            place = registrations.waiting_place(registration)
        if saved:
            if outcome == RegistrationStatus.WAITING:
                message = _(
                    "%(name)s is on the waiting list, place %(place)d.",
                    name=registration.name,
                    place=place or 0,
                )
            else:
                message = _("%(name)s is registered.", name=registration.name)
            flash(message, "success")
            return _here(event, outcome)
        db.session.refresh(event)
        if isinstance(saved.error, EventStateError):
            return _page(event, problem=str(saved.error), status=409)
        show_errors(form, saved.error, "email")
    return _page(event, add_form=form, status=422)


@bp.route("/<int:event_id>/participants/<int:registration_id>/remove", methods=["GET", "POST"])
def participant_remove(event_id: int, registration_id: int):
    event = event_or_404(event_id)
    registration = _registration_or_404(event.id, registration_id)
    if ConfirmForm().validate_on_submit():
        with saving() as saved:
            waiting_before = registrations.waiting_count(event.id)
            registrations.cancel(registration, by_editor=True)
            moved = waiting_before - registrations.waiting_count(event.id)
        if saved:
            name = registration.name or registration.email
            flash(_("%(name)s was removed.", name=name), "success")
        if saved and moved > 0:
            flash(
                ngettext(
                    "%(num)d person moved up from the waiting list.",
                    "%(num)d people moved up from the waiting list.",
                    moved,
                ),
                "info",
            )
        return _here(event)
    return confirm_page(_remove_question(event, registration))


def _remove_question(event: Event, registration: Registration) -> Confirmation:
    if registration.status in (RegistrationStatus.CONFIRMED, RegistrationStatus.INVITED):
        touches = _("The person gets a mail that takes the event out of their calendar.")
        if registration.status == RegistrationStatus.CONFIRMED:
            touches += " " + _("The freed seat goes to the first person on the waiting list.")
    elif registration.status == RegistrationStatus.WAITING:
        touches = _("The person leaves the waiting list and is told by mail.")
    else:
        touches = None
    who = registration.email
    if registration.organisation:
        who += ", " + registration.organisation
    return Confirmation(
        title=_("Remove participant"),
        question=_(
            "Remove %(name)s from “%(title)s”?",
            name=registration.name or registration.email,
            title=event.title,
        ),
        lead=[who],
        touches=touches,
        button=_("Yes, remove"),
        back=url_for(".participants", event_id=event.id),
        back_label=_("No, back to the participants"),
    )


@bp.post("/<int:event_id>/participants/<int:registration_id>/move-up")
def participant_move_up(event_id: int, registration_id: int):
    event = event_or_404(event_id)
    registration = _registration_or_404(event.id, registration_id)
    if not ConfirmForm().validate_on_submit():
        return _here(event)
    with saving(quiet=True) as saved:
        status = registrations.move_up(registration)
    if not saved:
        db.session.refresh(event)
        return _page(event, problem=str(saved.error), status=409)
    name = registration.name or registration.email
    if status == RegistrationStatus.CONFIRMED:
        flash(_("%(name)s has a seat now and is told by mail.", name=name), "success")
    else:
        flash(_("%(name)s is first on the waiting list now.", name=name), "success")
    return _here(event, "waiting")


@bp.post("/<int:event_id>/participants/invite")
def participant_invite(event_id: int):
    """Invite a list, after a page that says how many people get the invitation."""
    event = event_or_404(event_id)
    form = _invite_form()
    if form.validate():
        confirmed = request.form.get("confirmed") == "1"
        with saving(quiet=True) as saved:
            if confirmed:
                invited = invitations.invite_list(event.id, form.list_id.data)
            else:
                reached = len(invitations.invitees(event, form.list_id.data))
        if saved and not confirmed:
            return confirm_page(_invite_question(event, form.list_id.data, reached))
        if saved:
            flash(
                ngettext("%(num)d person invited.", "%(num)d people invited.", invited),
                "success",
            )
            return _here(event, "invited")
        db.session.refresh(event)
        if isinstance(saved.error, EventStateError):
            return _page(event, invite_form=form, problem=str(saved.error), status=409)
        show_errors(form, saved.error, "list_id")
    return _page(event, invite_form=form, status=422)


def _invite_question(event: Event, list_id: int, reached: int) -> Confirmation:
    mailing_list = db.session.get(MailingList, list_id)
    back = url_for(".participants", event_id=event.id, _anchor="invite")
    if not reached:
        touches = _(
            "Nobody on this list is left to invite: everyone is registered or invited "
            "already, or has asked not to get mail."
        )
    else:
        touches = ngettext(
            "%(num)d person will get an invitation with links to accept or decline.",
            "%(num)d people will get an invitation with links to accept or decline.",
            reached,
        )
    return Confirmation(
        title=_("Invite a mailing list"),
        question=_(
            "Invite the list “%(list)s” to “%(title)s”?",
            list=mailing_list.name,
            title=event.title,
        ),
        touches=touches,
        notes=[
            _(
                "Only confirmed subscribers of the list are invited; whoever is registered "
                "or invited already, or asked not to get mail, is left out."
            )
        ],
        button=_("Yes, send invitations") if reached else None,
        danger=False,
        back=back,
        back_label=_("No, back to the participants"),
        hidden=[("list_id", str(list_id)), ("confirmed", "1")],
    )


@bp.get("/<int:event_id>/participants.csv")
def participants_export(event_id: int):
    event = event_or_404(event_id)
    groups = grouped(event)
    # what was taken away as a file, like the subscribers' export
    audit("registration.export", event, rows=sum(len(g) for g in groups.values()))
    db.session.commit()
    return Response(
        participants_csv(groups, extra=extra_columns(event, groups)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(event.slug)}"',
            "Cache-Control": "no-store",
        },
    )
