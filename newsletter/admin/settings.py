"""The office's standard texts that every issue uses (/admin/settings)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from kkp.auth.operations import audit
from kkp.views import saving
from newsletter.admin.subscribers import bp
from newsletter.forms import SettingsForm
from newsletter.settings import TEXT_SETTINGS, save_settings, stored_settings

# -- the office's standard texts ---------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
def office_settings_page():
    """Editors and admins alike: these are editorial texts used in every issue."""
    current = stored_settings()
    form = SettingsForm(data=current)
    if form.validate_on_submit():
        values = {
            s.key: (form[s.key].data or "").replace("\r\n", "\n").strip() for s in TEXT_SETTINGS
        }
        with saving(form) as saved:
            save_settings(values)
            audit("settings.change", None, keys=[k for k, v in values.items() if current[k] != v])
        if saved:
            flash(_("The settings were saved; the next issues use them."), "success")
            return redirect(url_for(".office_settings_page"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("admin/settings.html", form=form), status
