"""Bulk actions on the subscribers the editor ticked in the list: add to a list,
remove from a list, delete (each after one confirm page), export as CSV."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Response, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from kkp.auth.operations import audit
from kkp.db import utcnow
from kkp.extensions import db
from kkp.forms import ConfirmForm
from kkp.i18n import BERLIN
from kkp.params import MAX_ID
from kkp.views import Confirmation, confirm_page, saving
from newsletter import export, operations
from newsletter.admin.subscribers import bp
from newsletter.models import MailingList, Subscriber, SubscriptionStatus, SuppressionReason

#: the actions of the select beside the table
ACTIONS = ("add", "remove", "delete", "export")
#: most rows one action takes (a page holds 50)
MAX_SELECTED = 500


def _ids(name: str) -> list[int]:
    values = request.form.getlist(name)
    ids = [int(v) for v in values if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_ID]
    return list(dict.fromkeys(ids))[:MAX_SELECTED]


def selection() -> list[int]:
    """The ticked rows; "all on this page" stands for the page's ids."""
    if request.form.get("all") == "1":
        return _ids("page_ids")
    return _ids("ids")


def _back():
    return redirect(url_for(".subscribers"), 303)


def _refuse(message: str):
    flash(message, "error")
    return _back()


@bp.post("/subscribers/bulk")
def subscribers_bulk():
    if not ConfirmForm().validate_on_submit():
        return _refuse(_("The form has expired. Please try again."))
    action = request.form.get("action", "")
    ids = selection()
    if action not in ACTIONS:
        return _refuse(_("Please choose what to do with the selected subscribers."))
    people = (
        db.session.scalars(
            sa.select(Subscriber).where(Subscriber.id.in_(ids)).order_by(Subscriber.id)
        ).all()
        if ids
        else []
    )
    if not people:
        return _refuse(_("Please select at least one subscriber."))
    mailing_list = None
    if action in ("add", "remove"):
        raw = request.form.get("list_id", "")
        if raw.isascii() and raw.isdigit() and int(raw) <= MAX_ID:
            mailing_list = db.session.get(MailingList, int(raw))
        if mailing_list is None:
            return _refuse(_("Please choose the list."))
    if action == "export":
        return _export(people)
    if request.form.get("confirmed") != "1":
        return confirm_page(_question(action, people, mailing_list))
    return _carry_out(action, people, mailing_list)


def _question(action: str, people: list[Subscriber], mailing_list) -> Confirmation:
    n = len(people)
    hidden = [("action", action), ("confirmed", "1")] + [("ids", str(p.id)) for p in people]
    if mailing_list is not None:
        hidden.append(("list_id", str(mailing_list.id)))
    if action == "add":
        touches = ngettext(
            "%(num)d person will be added to the list “%(list)s”.",
            "%(num)d people will be added to the list “%(list)s”.",
            n,
            list=mailing_list.name,
        )
        notes = [
            _(
                "They get a mail to confirm the list. Whoever left the list herself is "
                "not added again."
            )
        ]
        title, button, danger = _("Add to a list"), _("Yes, add"), False
    elif action == "remove":
        touches = ngettext(
            "%(num)d person will be removed from the list “%(list)s”.",
            "%(num)d people will be removed from the list “%(list)s”.",
            n,
            list=mailing_list.name,
        )
        notes = [_("Their other lists and details stay.")]
        title, button, danger = _("Remove from a list"), _("Yes, remove"), True
    else:
        touches = ngettext("%(num)d person will be deleted.", "%(num)d people will be deleted.", n)
        notes = [
            _(
                "Name, organisation, lists and consent history are deleted; only an "
                "irreversible fingerprint of each address is kept, so that it is never "
                "mailed again. This cannot be undone."
            )
        ]
        title, button, danger = _("Delete"), _("Yes, delete"), True
    return Confirmation(
        title=title,
        question=title + "?",
        lead=[", ".join(p.email for p in people[:10]) + (" …" if n > 10 else "")],
        touches=touches,
        notes=notes,
        button=button,
        danger=danger,
        back=url_for(".subscribers"),
        back_label=_("Cancel"),
        hidden=hidden,
    )


def _carry_out(action: str, people: list[Subscriber], mailing_list):
    counts = {change: 0 for change in operations.ListChange}
    with saving() as saved:
        for person in people:
            if action == "add":
                counts[operations.add_to_list(person, mailing_list)] += 1
            elif action == "remove":
                counts[operations.remove_from_list(person, mailing_list)] += 1
            else:
                operations.delete_subscriber(person, reason=SuppressionReason.DELETED)
                counts[operations.ListChange.DONE] += 1
        done, unchanged, own = (
            counts[operations.ListChange.DONE],
            counts[operations.ListChange.UNCHANGED],
            counts[operations.ListChange.OWN_CHOICE],
        )
        # one literal action per call: the audit log's words are checked against them
        if action == "add":
            audit(
                "subscriber.bulk_add", mailing_list, count=done, unchanged=unchanged, own_choice=own
            )
        elif action == "remove":
            audit(
                "subscriber.bulk_remove",
                mailing_list,
                count=done,
                unchanged=unchanged,
                own_choice=own,
            )
        else:
            audit("subscriber.bulk_delete", mailing_list, count=done)
    if not saved:
        return _back()
    done = counts[operations.ListChange.DONE]
    if action == "add":
        message = ngettext(
            "%(num)d person was added to “%(list)s” and gets a mail to confirm it.",
            "%(num)d people were added to “%(list)s” and get a mail to confirm it.",
            done,
            list=mailing_list.name,
        )
    elif action == "remove":
        message = ngettext(
            "%(num)d person was removed from “%(list)s”.",
            "%(num)d people were removed from “%(list)s”.",
            done,
            list=mailing_list.name,
        )
    else:
        message = ngettext(
            "%(num)d person was deleted. The address will not be mailed again.",
            "%(num)d people were deleted. Their addresses will not be mailed again.",
            done,
        )
    flash(message, "success")
    if unchanged := counts[operations.ListChange.UNCHANGED]:
        flash(
            ngettext(
                "%(num)d person was left as they were (on the list already, or not on it).",
                "%(num)d people were left as they were (on the list already, or not on it).",
                unchanged,
            ),
            "info",
        )
    if own := counts[operations.ListChange.OWN_CHOICE]:
        flash(
            ngettext(
                "%(num)d person left this list herself and was not added again.",
                "%(num)d people left this list themselves and were not added again.",
                own,
            ),
            "warning",
        )
    return _back()


def _export(people: list[Subscriber]) -> Response:
    audit("subscriber.export", None, selected=len(people))
    db.session.commit()
    rows = [
        export.ExportRow(
            email=p.email,
            name=p.name,
            organisation=p.organisation,
            status=p.status,
            lists=tuple(
                (s.mailing_list.name, s.status == SubscriptionStatus.CONFIRMED)
                for s in sorted(p.subscriptions, key=lambda s: s.mailing_list.position)
            ),
            created_at=p.created_at,
            confirmed_at=p.confirmed_at,
        )
        for p in people
    ]
    filename = f"abonnenten-auswahl-{utcnow().astimezone(BERLIN):%Y-%m-%d}.csv"
    return Response(
        b"".join(export.subscribers_csv([rows])),
        mimetype="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
