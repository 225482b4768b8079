"""Forms of the public pages and the editors' pages."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from kkp.forms import options
from kkp.markup import is_web_url
from kkp.text import Printable
from newsletter.models import ExistingPolicy
from people.addresses import SubscriptionError, normalise_email


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # Unknown ids are reported by the operation, in words people understand.
        pass


class EventSelectField(SelectField):
    """The event an article announces, by id ("" for none)."""

    def pre_validate(self, form):
        # Unknown or unpublished events are reported by the operation, in plain words.
        pass


def list_choices(lists) -> list[SelectChoice]:
    return options((m.id, m.name) for m in lists)


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


class PreferencesLinkForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[InputRequired(_l("Please enter your e-mail address.")), Length(max=320)],
        render_kw={"autocomplete": "email", "type": "email"},
    )


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
        validators=[Optional(), Length(max=1000), Printable(multi_line=True)],
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
    """The import wizard's first step: the file."""

    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose a file."))])


#: what the import does with people already subscribed, as the form offers it
EXISTING_CHOICES = [
    (
        ExistingPolicy.ADD_LISTS,
        _l("Add them to the chosen lists; keep their name and organisation"),
    ),
    (
        ExistingPolicy.UPDATE,
        _l("Update their name, organisation and language from the file; keep their lists"),
    ),
    (ExistingPolicy.SKIP, _l("Leave them as they are")),
]


class ImportSetupForm(FlaskForm):
    """The wizard's second step: a field for each column, and what the import does."""

    columns = FieldList(SelectField(coerce=str, validate_choice=False))
    existing = RadioField(
        _l("People already subscribed"),
        choices=options(EXISTING_CHOICES),
        default=ExistingPolicy.ADD_LISTS,
    )
    lists = MultiCheckboxField(_l("Lists"), coerce=int)
    consent_evidence = TextAreaField(
        _l("Consent evidence (optional)"),
        validators=[Optional(), Length(max=1000), Printable(multi_line=True)],
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
        validators=[DataRequired(), Length(min=20, max=5000), Printable(multi_line=True)],
        description=_l(
            "Shown beside the checkbox on the sign-up form. Saving makes a new version; "
            "everyone who signed up keeps the version they agreed to."
        ),
        render_kw={"rows": 8},
    )


# -- issues ------------------------------------------------------------------------------


class ArticleForm(Form):
    """One article inside the issue form (which carries the CSRF token)."""

    id = HiddenField()
    title = StringField(_l("Title"), validators=[Length(max=200)])
    body = TextAreaField(
        _l("Text"),
        description=_l(
            "Markdown: **bold**, *italic*, [link text](https://…), lists with “-” at "
            "the start of a line, an empty line between paragraphs."
        ),
        render_kw={"rows": 8},
    )
    links = TextAreaField(
        _l("Links"),
        description=_l("One per line: “Label | https://…”, or just the address."),
        render_kw={"rows": 3},
    )
    image = FileField(_l("Image"))
    image_alt = StringField(
        _l("Alternative text for the image"),
        validators=[Length(max=300)],
        description=_l("What the image shows, for people who cannot see it."),
    )
    remove_image = BooleanField(_l("Remove the image"))
    event_id = EventSelectField(
        _l("Linked event"),
        coerce=lambda value: "" if value is None else str(value),
        default="",
        description=_l(
            "Shown below the text with date, place and links to register and to add it "
            "to a calendar. Only published events can be chosen."
        ),
    )

    def is_blank(self) -> bool:
        """Nothing typed or chosen: an empty article slot, not an article."""
        return not (
            (self.title.data or "").strip()
            or (self.body.data or "").strip()
            or (self.links.data or "").strip()
            or (self.image_alt.data or "").strip()
            or self.image.data
            or self.event_id.data
        )


class IssueForm(FlaskForm):
    number = StringField(
        _l("Number"),
        validators=[Length(max=40)],
        description=_l("For example “3/2026”."),
    )
    title = StringField(_l("Title"), validators=[Length(max=200)])
    intro = TextAreaField(
        _l("Introduction"),
        description=_l(
            "Markdown. If it opens with a salutation of its own (such as “Dear "
            "colleagues,”), the mail greets with it; otherwise the reader's name does, "
            "as in “Hello Anna Schmidt,”."
        ),
        render_kw={"rows": 5},
    )
    lists = MultiCheckboxField(_l("Send to these lists"), coerce=int)
    articles = FieldList(FormField(ArticleForm))


class TestSendForm(FlaskForm):
    addresses = TextAreaField(
        _l("Addresses for a test mail"),
        description=_l("Up to five, one per line or separated by commas."),
        render_kw={"rows": 3},
    )

    def address_list(self) -> list[str]:
        return [a for a in re.split(r"[\s,;]+", self.addresses.data or "") if a]

    def validate_addresses(self, field):
        for address in self.address_list():
            try:
                normalise_email(address)
            except SubscriptionError as exc:
                raise ValidationError(
                    _l("“%(address)s”: %(reason)s", address=address, reason=str(exc))
                ) from exc


class ScheduleForm(FlaskForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date."))])
    time = TimeField(
        _l("Time (German time)"),
        format=["%H:%M", "%H:%M:%S"],
        validators=[InputRequired(_l("Please enter a time."))],
    )


def single_line(form, field):
    if any(c in (field.data or "") for c in "\r\n"):
        raise ValidationError(_l("Line breaks are not allowed here."))


def _web_url_or_empty(form, field):
    value = (field.data or "").strip()
    if value and not is_web_url(value):
        raise ValidationError(_l("Please enter an address starting with http:// or https://."))


def _url_or_text(text_field: str):
    """An address or a text, not both: which of them counts would be a guess."""

    def check(form, field):
        if (field.data or "").strip() and (form[text_field].data or "").strip():
            raise ValidationError(
                _l("Please give either the address of the page or the text, not both.")
            )

    return check


def _email_or_empty(form, field):
    if (field.data or "").strip():
        try:
            normalise_email(field.data)
        except SubscriptionError as exc:
            raise ValidationError(str(exc)) from exc


class SettingsForm(FlaskForm):
    """The office's standard texts; the field names are the keys of newsletter.settings."""

    newsletter_name = StringField(
        _l("Name of the newsletter"),
        validators=[DataRequired(), Length(max=100), single_line, Printable()],
        description=_l("Begins every subject line, e.g. “KKP Kompakt 3/2026: …”."),
    )
    sender_name = StringField(
        _l("Sender name"),
        validators=[DataRequired(), Length(max=100), single_line, Printable()],
        description=_l("The name people see as the sender of the mail."),
    )
    disclaimer = TextAreaField(
        _l("Disclaimer"),
        validators=[Length(max=3000), Printable(multi_line=True)],
        render_kw={"rows": 4},
    )
    call_for_contributions = TextAreaField(
        _l("Call for contributions"),
        validators=[Length(max=3000), Printable(multi_line=True)],
        description=_l("Shown at the end of every issue; leave empty to leave it out."),
        render_kw={"rows": 4},
    )
    contact_email = StringField(
        _l("Contact e-mail address"),
        validators=[Length(max=254), _email_or_empty],
        description=_l("Named in the call for contributions (optional)."),
        render_kw={"type": "email"},
    )
    impressum_url = StringField(
        _l("Address of the legal notice (Impressum)"),
        validators=[
            Length(max=2000),
            _web_url_or_empty,
            _url_or_text("impressum_text"),
            Printable(),
        ],
        description=_l("The page on your website, e.g. https://www.musterstadt.de/impressum."),
        render_kw={"type": "url"},
    )
    impressum_text = TextAreaField(
        _l("Or the legal notice as text"),
        validators=[Length(max=20000), Printable(multi_line=True)],
        description=_l("Markdown; shown on this site's page “Legal notice” (/impressum)."),
        render_kw={"rows": 8},
    )
    privacy_url = StringField(
        _l("Address of the privacy notice"),
        validators=[
            Length(max=2000),
            _web_url_or_empty,
            _url_or_text("privacy_text"),
            Printable(),
        ],
        description=_l("The page on your website, e.g. https://www.musterstadt.de/datenschutz."),
        render_kw={"type": "url"},
    )
    privacy_text = TextAreaField(
        _l("Or the privacy notice as text"),
        validators=[Length(max=20000), Printable(multi_line=True)],
        description=_l("Markdown; shown on this site's page “Privacy” (/datenschutz)."),
        render_kw={"rows": 8},
    )
    accessibility_text = TextAreaField(
        _l("Accessibility statement"),
        validators=[Length(max=20000), Printable(multi_line=True)],
        description=_l(
            "Markdown; shown on the page “Accessibility” (/barrierefreiheit) above the "
            "form for reporting barriers. Empty: a general statement is shown."
        ),
        render_kw={"rows": 8},
    )


class DataRequestForm(FlaskForm):
    """The address a data subject request is about (the editors' page)."""

    email = StringField(
        _l("E-mail address"),
        validators=[InputRequired(_l("Please enter the e-mail address.")), Length(max=320)],
        render_kw={"autocomplete": "off", "type": "email"},
    )
