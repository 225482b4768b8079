"""Forms of the public event pages (the editors' forms: :mod:`events.admin.forms`)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import Length, Optional


class RegistrationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)], render_kw={"autocomplete": "name"})
    email = StringField(
        _l("E-mail address"),
        validators=[Length(max=320)],
        render_kw={"autocomplete": "email", "type": "email"},
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    consent = BooleanField(_l("I agree to the processing of my data for this event."))
    consent_version = HiddenField()


class AnswerForm(FlaskForm):
    """A POST with a button: accept, decline or cancel (a GET changes nothing)."""


class CertificateCheckForm(FlaskForm):
    """Whom a certificate was issued to: the name as printed on it."""

    name = StringField(
        _l("Name on the certificate"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
