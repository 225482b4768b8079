"""The editors' pages for the kinds of event and for series (one event on several
dates)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from events import operations, series_table
from events.admin.events import bp
from events.admin.forms import KindForm, SeriesForm, SeriesSettingsForm
from events.event_input import Errors
from events.models import Event, EventSeries, RegistrationScope
from events.series_settings import SeriesSettings, berlin_deadline, save_settings
from kkp.extensions import db
from kkp.i18n import BERLIN
from kkp.tables import Sorting, TextFilter
from kkp.views import saving

# -- kinds and series --------------------------------------------------------------------


@bp.route("/kinds", methods=["GET", "POST"])
def kinds():
    form = KindForm()
    status = 200
    if request.method == "POST" and form.validate():
        with saving(form, default="name") as saved:
            kind = operations.create_kind(form.name.data, form.name_en.data or "")
        if saved:
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
    flt = TextFilter.from_args(request.args)
    sorting = Sorting.from_args(request.args, series_table.COLUMNS)
    page = series_table.series_page(flt, sorting, request.args.get("page", type=int))
    return render_template(
        "admin/events/series.html",
        series=page.rows,
        page=page,
        flt=flt,
        sorting=sorting,
        form=form,
    ), status


def _save_series(form: SeriesForm, series: EventSeries | None) -> EventSeries | None:
    if not form.validate():
        return None
    with saving(form, default="title") as saved:
        series = operations.save_series(
            series, title=form.title.data, description=form.description.data or ""
        )
    if not saved:
        return None
    flash(_("The series was saved."), "success")
    return series


def _settings_form(series: EventSeries) -> SeriesSettingsForm:
    form = SeriesSettingsForm(formdata=None, obj=series)
    if series.registration_deadline is not None:
        local = series.registration_deadline.astimezone(BERLIN)
        form.deadline_day.data, form.deadline_time.data = local.date(), local.time()
    return form


def _save_settings(form: SeriesSettingsForm, series: EventSeries) -> bool:
    """Title, description and settings together: all stored, or none."""
    valid = form.validate()
    with saving(form, default="title", valid=valid) as saved:
        errors = Errors()
        deadline = berlin_deadline(
            form.deadline_day.data, form.deadline_time.data, errors, "deadline_day"
        )
        operations.save_series(
            series, title=form.title.data, description=form.description.data or ""
        )
        share = form.certificate_share.data
        save_settings(
            series,
            SeriesSettings(
                registration_scope=form.registration_scope.data or RegistrationScope.DATES,
                capacity=form.capacity.data,
                capacity_online=form.capacity_online.data,
                registration_deadline=deadline,
                certificate_share=75 if share is None else share,
                teaching_units=bool(form.teaching_units.data),
                certificate_summary=form.certificate_summary.data or "",
                signer_name=form.signer_name.data or "",
                signer_role=form.signer_role.data or "",
                retention_months=form.retention_months.data,
            ),
            errors,
            deadline_field="deadline_day",
        )
    if saved:
        flash(_("The series was saved."), "success")
    return bool(saved)


@bp.route("/series/<int:series_id>", methods=["GET", "POST"])
def series_edit(series_id: int):
    series = db.get_or_404(EventSeries, series_id)
    status = 200
    if request.method == "POST":
        form = SeriesSettingsForm()
        if _save_settings(form, series):
            return redirect(url_for(".series_edit", series_id=series.id), 303)
        status = 422
        db.session.refresh(series)
    else:
        form = _settings_form(series)
    return render_template("admin/events/series_edit.html", series=series, form=form), status
