"""Forms of the public event pages (the editors' forms: :mod:`events.admin.forms`)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, StringField
from wtforms.validators import Length, Optional

from events.models import PARTICIPATIONS, Event, EventFormat, Participation
from events.seats import PARTICIPATION_MISSING
from kkp.forms import options


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
    #: asked for hybrid events only (see templates/events/_participation.html)
    participation = RadioField(
        _l("How will you take part?"),
        choices=options(
            [(Participation.ON_SITE, _l("On site")), (Participation.ONLINE, _l("Online"))]
        ),
        validate_choice=False,
    )
    consent = BooleanField(_l("I agree to the processing of my data for this event."))
    consent_version = HiddenField()

    def participation_error(self, event: Event) -> dict[str, str]:
        """A hybrid event's registration without the choice: the error at its field
        (shown with every other, whichever check failed first)."""
        return self.choice_error(event.format == EventFormat.HYBRID)

    def choice_error(self, hybrid: bool) -> dict[str, str]:
        """The same for anything hybrid (a course whose dates are)."""
        if hybrid and self.participation.data not in PARTICIPATIONS:
            return {"participation": str(PARTICIPATION_MISSING)}
        return {}


class AnswerForm(FlaskForm):
    """A POST with a button: accept, decline or cancel (a GET changes nothing)."""


class OwnRegistrationForm(AnswerForm):
    """Her registration's buttons; accepting an invitation to a hybrid event asks on
    site or online too (templates/events/_participation.html)."""

    participation = RadioField(
        _l("How will you take part?"),
        choices=options(
            [(Participation.ON_SITE, _l("On site")), (Participation.ONLINE, _l("Online"))]
        ),
        validate_choice=False,
    )


class CertificateCheckForm(FlaskForm):
    """Whom a certificate was issued to: the name as printed on it."""

    name = StringField(
        _l("Name on the certificate"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
