"""Forms of the public pages and the editors' subscriber pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # Unknown ids are reported by the operation, in words people understand.
        pass


def list_choices(lists) -> list[tuple[int, str]]:
    return [(m.id, m.name) for m in lists]


class SubscribeForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[Length(max=320)],
        render_kw={"autocomplete": "email", "type": "email"},
    )
    name = StringField(
        _l("Name (optional)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "name"},
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "organization"},
    )
    lists = MultiCheckboxField(_l("Lists"), coerce=int)
    consent = BooleanField(_l("I agree"))
    consent_version = HiddenField()


class ConfirmForm(FlaskForm):
    pass


class PreferencesForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    lists = MultiCheckboxField(_l("Lists"), coerce=int)


class SubscriberForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[DataRequired(), Length(max=320)],
        render_kw={"type": "email"},
    )
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    lists = MultiCheckboxField(_l("Lists"), coerce=int)
    consent_evidence = TextAreaField(
        _l("Consent evidence (optional)"),
        validators=[Optional(), Length(max=1000)],
        description=_l(
            'Where and when the person consented, e.g. "paper form at the '
            'network meeting on 12.03.2026". Without it, the person gets the '
            "confirmation mail."
        ),
    )


class SubscriberEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=200)])
    lists = MultiCheckboxField(_l("Lists"), coerce=int)


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose a file."))])
    lists = MultiCheckboxField(_l("Lists"), coerce=int)
    consent_evidence = TextAreaField(
        _l("Consent evidence (optional)"),
        validators=[Optional(), Length(max=1000)],
        description=_l(
            "Where the people in this file consented. Without it, each of them "
            "gets the confirmation mail."
        ),
    )


class ListForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Short name in addresses"), validators=[DataRequired(), Length(max=80)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=2000)])
    is_public = BooleanField(_l("Shown on the sign-up form"), default=True)


class StatusFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Search"))
    list = SelectField(_l("List"), coerce=str)
    status = SelectField(_l("Status"), coerce=str)


class ConsentTextForm(FlaskForm):
    text = TextAreaField(
        _l("Consent text"),
        validators=[DataRequired(), Length(min=20, max=5000)],
        description=_l(
            "Shown beside the checkbox on the sign-up form. Saving makes a new version; "
            "everyone who signed up keeps the version they agreed to."
        ),
        render_kw={"rows": 8},
    )
