"""Bulk actions on the participants the editor ticked on an event's page: confirm
those awaiting confirmation, move people up from the waiting list, send a message
(written on a page of its own), each after one confirm page that says how many
people it touches; and export the selection as CSV. The operations are in
:mod:`events.bulk`."""

from __future__ import annotations

import secrets

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from events import bulk, search
from events.admin.events import bp, event_or_404
from events.admin.forms import MessageForm
from events.admin.participants import extra_columns
from events.export import filename, participants_csv
from events.models import UNCONFIRMED, Event, Registration, RegistrationStatus
from events.registrations import seats_left
from kkp.extensions import db
from kkp.forms import ConfirmForm
from kkp.params import MAX_ID
from kkp.views import Confirmation, confirm_page, saving

#: the actions of the select below the tables
ACTIONS = ("confirm", "move_up", "message", "export")
#: most rows one action takes (a section's page holds 50)
MAX_SELECTED = 500


def _ids(name: str) -> list[int]:
    values = request.form.getlist(name)
    return [int(v) for v in values if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_ID]


def selection() -> list[int]:
    """The ticked rows; a ticked "select all" of a section stands for its rows shown."""
    ids = _ids("ids")
    for section in request.form.getlist("all"):
        if section in search.SECTIONS:
            ids += _ids(f"shown_{section}")
    return list(dict.fromkeys(ids))[:MAX_SELECTED]


def _back(event: Event):
    # to the top, where the messages about what happened are
    return redirect(url_for(".participants", event_id=event.id), 303)


def _refuse(event: Event, message: str):
    flash(message, "error")
    return _back(event)


@bp.post("/<int:event_id>/participants/bulk")
def participants_bulk(event_id: int):
    event = event_or_404(event_id)
    if not ConfirmForm().validate_on_submit():
        return _refuse(event, _("The form has expired. Please try again."))
    action = request.form.get("action", "")
    if action not in ACTIONS:
        return _refuse(event, _("Please choose what to do with the selected participants."))
    chosen = bulk.selected(event.id, selection())
    if not chosen:
        return _refuse(event, _("Please select at least one participant."))
    if action == "export":
        return _export(event, chosen)
    if action == "message":
        return _message(event, chosen)
    if request.form.get("confirmed") != "1":
        return confirm_page(_question(event, action, chosen))
    return _carry_out(event, action, chosen)


def _names(people: list[Registration]) -> str:
    shown = ", ".join(r.name or r.email for r in people[:10])
    return shown + (" …" if len(people) > 10 else "")


def _hidden(action: str, people: list[Registration]) -> list[tuple[str, str]]:
    return [("action", action), ("confirmed", "1")] + [("ids", str(r.id)) for r in people]


def _question(event: Event, action: str, chosen: list[Registration]) -> Confirmation:
    notes: list[str] = []
    if action == "confirm":
        people = [r for r in chosen if r.status in UNCONFIRMED]
        eligible = len(people)
        title = _("Confirm registrations")
        touches = ngettext(
            "%(num)d person awaiting confirmation will be registered and told by mail.",
            "%(num)d people awaiting confirmation will be registered and told by mail.",
            len(people),
        )
        notes.append(
            _(
                "Confirm only addresses you know to be right (the person asked you by phone, "
                "say). Whoever asked while the event was full joins the waiting list unless "
                "a seat is free."
            )
        )
        button = _("Yes, confirm")
    else:
        people = [r for r in chosen if r.status == RegistrationStatus.WAITING]
        eligible = len(people)
        free = seats_left(event)
        moving = len(people) if free is None else min(free, len(people))
        title = _("Move up from the waiting list")
        touches = ngettext(
            "%(num)d person will get a seat and be told by mail.",
            "%(num)d people will get a seat and be told by mail.",
            moving,
        )
        if moving < len(people):
            notes.append(
                ngettext(
                    "%(num)d person cannot move up: the event is full. They keep their place.",
                    "%(num)d people cannot move up: the event is full. They keep their places.",
                    len(people) - moving,
                )
            )
        people = people[:moving]
        button = _("Yes, move up")
    if others := len(chosen) - eligible:
        notes.append(_others(others, action))
    return Confirmation(
        title=title,
        question=title + "?",
        lead=[_names(people)] if people else [],
        touches=touches,
        notes=notes,
        button=button if people else None,
        danger=False,
        back=url_for(".participants", event_id=event.id, _anchor="bulk"),
        back_label=_("Cancel"),
        hidden=_hidden(action, chosen),
    )


def _others(n: int, action: str) -> str:
    if action == "confirm":
        return ngettext(
            "%(num)d of the selected is not awaiting confirmation and stays as before.",
            "%(num)d of the selected are not awaiting confirmation and stay as before.",
            n,
        )
    if action == "move_up":
        return ngettext(
            "%(num)d of the selected is not on the waiting list and stays as before.",
            "%(num)d of the selected are not on the waiting list and stay as before.",
            n,
        )
    return ngettext(
        "%(num)d of the selected gets no message: only confirmed, waiting and invited "
        "people are written to.",
        "%(num)d of the selected get no message: only confirmed, waiting and invited "
        "people are written to.",
        n,
    )


def _carry_out(event: Event, action: str, chosen: list[Registration]):
    ids = [r.id for r in chosen]
    with saving() as saved:
        if action == "confirm":
            outcome = bulk.confirm_selected(event.id, ids)
        else:
            outcome = bulk.move_up_selected(event.id, ids)
    if not saved:
        return _back(event)
    # only what happened: no "0 people were confirmed" above what did happen
    if action == "confirm":
        if outcome.done:
            flash(
                ngettext(
                    "%(num)d person was confirmed and is told by mail.",
                    "%(num)d people were confirmed and are told by mail.",
                    outcome.done,
                ),
                "success",
            )
        if outcome.waiting:
            flash(
                ngettext(
                    "%(num)d person is confirmed and on the waiting list, as the event is "
                    "full; she is told by mail.",
                    "%(num)d people are confirmed and on the waiting list, as the event is "
                    "full; they are told by mail.",
                    outcome.waiting,
                ),
                "success",
            )
    elif outcome.done:
        flash(
            ngettext(
                "%(num)d person moved up from the waiting list and is told by mail.",
                "%(num)d people moved up from the waiting list and are told by mail.",
                outcome.done,
            ),
            "success",
        )
        if outcome.full:
            flash(
                ngettext(
                    "%(num)d person could not be moved up because the event is full.",
                    "%(num)d people could not be moved up because the event is full.",
                    outcome.full,
                ),
                "warning",
            )
    if outcome.unchanged:
        flash(_others(outcome.unchanged, action), "info")
    return _back(event)


# -- a message -----------------------------------------------------------------------------


def _message(event: Event, chosen: list[Registration]):
    """Three steps: write (this page says who gets it), confirm, send."""
    reached = bulk.recipients(chosen)
    form = MessageForm()
    step = request.form.get("step", "")
    if step == "write" or request.form.get("confirmed") == "1":
        subject, text = form.subject.data or "", form.text.data or ""
        errors = bulk.message_problems(subject, text)
        if not reached:
            errors.setdefault("", _others(len(chosen), "message"))
        for name, message in errors.items():
            if name:
                form[name].errors = [message]
        if errors:
            return _message_page(event, chosen, reached, form, status=422)
        if request.form.get("confirmed") == "1":
            return _send(event, chosen, subject, text)
        return confirm_page(_message_question(event, chosen, reached, subject, text))
    return _message_page(event, chosen, reached, MessageForm(formdata=None))


def _message_page(event, chosen, reached, form, status: int = 200):
    return render_template(
        "admin/events/message.html",
        event=event,
        chosen=chosen,
        reached=reached,
        others=_others(len(chosen) - len(reached), "message") if len(chosen) > len(reached) else "",
        names=_names(reached),
        form=form,
    ), status


def _message_question(event, chosen, reached, subject: str, text: str) -> Confirmation:
    notes = [_("Subject: %(subject)s", subject=subject.strip())]
    if len(chosen) > len(reached):
        notes.append(_others(len(chosen) - len(reached), "message"))
    return Confirmation(
        title=_("Send a message"),
        question=_("Send the message to the selected participants?"),
        lead=[_names(reached)],
        touches=ngettext(
            "%(num)d person will get this message by mail.",
            "%(num)d people will get this message by mail.",
            len(reached),
        ),
        notes=notes,
        button=_("Yes, send"),
        danger=False,
        back=url_for(".participants", event_id=event.id, _anchor="bulk"),
        back_label=_("Cancel"),
        hidden=_hidden("message", chosen)
        + [("subject", subject), ("text", text), ("key", secrets.token_urlsafe(16))],
    )


def _send(event: Event, chosen: list[Registration], subject: str, text: str):
    key = request.form.get("key", "")
    if not (8 <= len(key) <= 64 and key.isascii()):
        return _refuse(event, _("The form has expired. Please try again."))
    with saving() as saved:
        outcome = bulk.message_selected(
            event.id, [r.id for r in chosen], subject=subject, text=text, key=key
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
                    "%(num)d of the selected got no message (not taking part, or they have "
                    "it already).",
                    "%(num)d of the selected got no message (not taking part, or they have "
                    "it already).",
                    outcome.unchanged,
                ),
                "info",
            )
    return _back(event)


# -- the export --------------------------------------------------------------------------


def _export(event: Event, chosen: list[Registration]) -> Response:
    bulk.exported(event, chosen)
    db.session.commit()
    groups: dict[str, list[Registration]] = {}
    for registration in chosen:
        groups.setdefault(registration.status, []).append(registration)
    return Response(
        participants_csv(
            groups, search.waiting_places(event.id), extra=extra_columns(event, groups)
        ),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{filename(event.slug)}"',
            "Cache-Control": "no-store",
        },
    )
