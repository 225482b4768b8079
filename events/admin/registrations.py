"""Every registration across the events (/admin/events/registrations): the side bar's
"Registrations", for "who registered for which training?" without knowing the date."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import gettext as _
from flask_babel import pgettext

from events import registration_table
from events.admin.events import bp
from events.models import RegistrationStatus
from events.search import ParticipantFilter
from kkp.tables import Sorting


def status_words() -> dict[str, str]:
    return {
        RegistrationStatus.CONFIRMED: _("Confirmed"),
        RegistrationStatus.PENDING: _("Awaiting confirmation of the e-mail address"),
        RegistrationStatus.PENDING_WAITING: _("Awaiting confirmation of the e-mail address"),
        RegistrationStatus.WAITING: _("Waiting list"),
        RegistrationStatus.INVITED: _("Invited, no answer yet"),
        RegistrationStatus.CANCELLED: pgettext("registration", "Cancelled"),
        RegistrationStatus.DECLINED: _("Declined"),
        RegistrationStatus.EXPIRED: _("Not confirmed in time"),
    }


@bp.get("/registrations")
def registrations():
    flt = ParticipantFilter.from_args(request.args)
    sorting = Sorting.from_args(request.args, registration_table.COLUMNS)
    page = registration_table.registration_page(flt, sorting, request.args.get("page", type=int))
    return render_template(
        "admin/events/registrations.html",
        page=page,
        flt=flt,
        sorting=sorting,
        status_words=status_words(),
    )
