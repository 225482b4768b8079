"""The office's appearance (/admin/settings/branding): its name, postal address, accent
colour and logo, which every page and every e-mail shows (`newsletter.branding`)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import Length

from kkp.auth.operations import audit
from kkp.text import Printable
from kkp.views import saving
from newsletter.admin.subscribers import bp
from newsletter.branding import branding, save_branding
from newsletter.forms import single_line
from newsletter.settings import stored_settings


class BrandingForm(FlaskForm):
    """The field names are the keys of newsletter.settings.BRANDING_SETTINGS, and the
    logo's upload."""

    office_name = StringField(
        _l("Name of the office"),
        validators=[Length(max=150), single_line, Printable()],
    )
    postal_address = TextAreaField(
        _l("Postal address"),
        validators=[Length(max=500), Printable(multi_line=True)],
        description=_l(
            "Shown in the footer of every page and every e-mail; a newsletter must name "
            "its sender's postal address. One line each for the street, the town, …"
        ),
        render_kw={"rows": 4, "autocomplete": "off"},
    )
    accent_colour = StringField(
        _l("Accent colour"),
        validators=[Length(max=20), Printable()],
        description=_l(
            "For the header, buttons and links, as “#” and six hexadecimal digits, e.g. "
            "#0b4f8a. It must be dark enough for white text on it (contrast at least "
            "4.5:1). Empty: the design's own blue."
        ),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    logo = FileField(
        _l("Logo"),
        description=_l(
            "PNG, JPEG or WebP. Shown beside the name at the top of every page and at the "
            "top of every e-mail; its alternative text is the office's name."
        ),
        render_kw={"accept": "image/png,image/jpeg,image/webp"},
    )
    remove_logo = BooleanField(_l("Remove the logo"))


@bp.route("/settings/branding", methods=["GET", "POST"])
def branding_page():
    """Editors and admins alike, like the texts of the settings."""
    stored = stored_settings()
    form = BrandingForm(data=stored)
    if request.method == "POST":
        valid = form.validate()
        upload = form.logo.data
        with saving(form, valid=valid) as saved:
            changed = save_branding(
                office_name=form.office_name.data or "",
                postal_address=form.postal_address.data or "",
                accent_colour=form.accent_colour.data or "",
                logo=upload.read() if upload else None,
                remove_logo=form.remove_logo.data,
            )
            audit("settings.change", None, keys=changed)
        if saved:
            flash(_("The appearance was saved; pages show it now, e-mails from now on."), "success")
            return redirect(url_for(".branding_page"), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/branding.html",
        form=form,
        current=branding(stored),
        default_name=current_app.config["KKP_OFFICE_NAME"],
    ), status
