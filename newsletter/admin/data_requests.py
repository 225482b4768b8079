"""The editors' page for data subject requests (/admin/data-requests): everything
stored about one address, its export as JSON and as a page to print, and its erasure.
The address travels in posted forms only, never in a URL (history, logs)."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from kkp.auth.access import admin_required
from kkp.extensions import db
from kkp.views import Confirmation, confirm_page
from newsletter import data_requests
from newsletter.admin.subscribers import bp
from newsletter.admin.words import personal_data_words
from newsletter.forms import DataRequestForm


def _page(form: DataRequestForm, found: data_requests.PersonData | None = None, status=200):
    return render_template(
        "admin/data_requests.html", form=form, found=found, **personal_data_words()
    ), status


@bp.route("/data-requests", methods=["GET", "POST"])
def data_requests_page():
    form = DataRequestForm()
    if request.method == "GET":
        return _page(form)
    if not form.validate():
        return _page(form, status=400)
    found = data_requests.looked_up(data_requests.find(form.email.data))
    db.session.commit()
    return _page(form, found)


def _asked() -> data_requests.PersonData | None:
    """The posted address's data; None (and the form's errors) when the post fails."""
    form = DataRequestForm()
    if not form.validate():
        return None
    return data_requests.find(form.email.data)


@bp.post("/data-requests/export.json")
def data_request_json():
    found = _asked()
    if found is None:
        return _page(DataRequestForm(), status=400)
    data = data_requests.exported(found)
    db.session.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="auskunft.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.post("/data-requests/export.html")
def data_request_print():
    found = _asked()
    if found is None:
        return _page(DataRequestForm(), status=400)
    data = data_requests.exported(found)
    db.session.commit()
    response = Response(
        render_template("admin/data_request_print.html", data=data, **personal_data_words())
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/data-requests/erase")
@admin_required  # irreversible, across both domains: the office's administrators
def data_request_erase():
    found = _asked()
    if found is None:
        return _page(DataRequestForm(), status=400)
    if request.form.get("confirmed") != "1":
        return confirm_page(_erase_question(found))
    erasure = data_requests.erase(found.email)
    db.session.commit()
    flash(
        ngettext(
            "Everything about the address was erased; %(num)d registration anonymised.",
            "Everything about the address was erased; %(num)d registrations anonymised.",
            len(erasure.erased.registration_ids),
        ),
        "success",
    )
    return redirect(url_for(".data_requests_page"), 303)


def _erase_question(found: data_requests.PersonData) -> Confirmation:
    events = found.events
    goes = []
    if found.subscriber is not None:
        goes.append(
            _(
                "The subscriber with %(n)d lists and the consent history is deleted; only a "
                "fingerprint of the address stays, so that it is never mailed again and no "
                "import brings it back.",
                n=len(found.subscriber.subscriptions),
            )
        )
    if events.registrations or events.bookings:
        goes.append(
            _(
                "%(r)d registrations and %(b)d course bookings lose name, address, answers "
                "and consents; those for events still ahead are cancelled first, and their "
                "seats go to the waiting list. Counts and attendance stay.",
                r=len(events.registrations),
                b=len(events.bookings),
            )
        )
    if events.certificates:
        goes.append(
            _(
                "%(n)d certificates lose the name; their numbers stay verifiable.",
                n=len(events.certificates),
            )
        )
    if found.mails:
        goes.append(_("%(n)d mails sent to the address lose it.", n=len(found.mails)))
    return Confirmation(
        title=_("Erase personal data"),
        question=_("Erase everything about %(email)s?", email=found.email),
        back=url_for(".data_requests_page"),
        back_label=_("Cancel"),
        button=_("Erase for good") if goes else None,
        lead=goes or [_("Nothing is stored about this address.")],
        notes=[_("This cannot be undone. The audit log records the erasure with numbers only.")],
        action=url_for(".data_request_erase"),
        hidden=[("email", found.email), ("confirmed", "1")],
    )
