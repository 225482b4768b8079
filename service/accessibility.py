"""The accessibility statement's feedback form (BITV 2.0 § 7: a way to report
barriers) and the mail that brings a report to the office.

The office reads it at its contact address (the settings), else at
`KKP_OFFICE_EMAIL`, else at the sender's address; Reply-To is the writer's address
when given. Nothing of the report is logged: it travels as the delivery's params.
"""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length

from kkp.mail.message import mailbox, sender_address
from kkp.mail.models import Delivery
from kkp.mail.operations import message_builder, queue_delivery
from kkp.mail.render import render_mail
from kkp.text import Printable
from newsletter.settings import stored_settings
from people.addresses import SubscriptionError, normalise_email

KIND = "accessibility_feedback"
#: the longest report taken, in characters
MAX_MESSAGE = 5000


def _single_line(form, field) -> None:
    if any(c in (field.data or "") for c in "\r\n"):
        raise ValidationError(_l("Line breaks are not allowed here."))


def _email_or_empty(form, field) -> None:
    if (field.data or "").strip():
        try:
            field.data = normalise_email(field.data)
        except SubscriptionError as exc:
            raise ValidationError(str(exc)) from exc


class FeedbackForm(FlaskForm):
    name = StringField(
        _l("Name (optional)"),
        validators=[Length(max=200), _single_line, Printable()],
        render_kw={"autocomplete": "name"},
    )
    email = StringField(
        _l("E-mail address (optional)"),
        validators=[Length(max=320), _single_line, _email_or_empty],
        description=_l("Only if you would like an answer."),
        render_kw={"autocomplete": "email", "type": "email"},
    )
    message = TextAreaField(
        _l("Your message"),
        validators=[
            InputRequired(_l("Please describe the barrier you found.")),
            Length(max=MAX_MESSAGE, message=_l("At most %(max)d characters, please.")),
            Printable(multi_line=True),
        ],
        description=_l(
            "Which page, and what did not work for you? At most %(max)d characters.",
            max=MAX_MESSAGE,
        ),
        render_kw={"rows": 8, "maxlength": MAX_MESSAGE},
    )

    def validate_message(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError(_l("Please describe the barrier you found."))


def office_address() -> str:
    """Where reports go: the office's contact address, else the configured one."""
    config = current_app.config
    return (
        stored_settings().get("contact_email", "").strip()
        or (config.get("KKP_OFFICE_EMAIL") or "").strip()
        or sender_address(config["KKP_MAIL_FROM"])
    )


def queue_feedback(*, name: str, email: str, message: str) -> Delivery:
    """A report for the office, sent once the caller commits."""
    return queue_delivery(
        KIND,
        office_address(),
        params={"name": name.strip(), "email": email, "message": message.strip()},
    )


@message_builder(KIND)
def feedback_mail(delivery: Delivery) -> EmailMessage:
    params = delivery.params
    config = current_app.config
    headers = {}
    if params.get("email"):
        headers["Reply-To"] = mailbox(params.get("name", ""), params["email"])
    return render_mail(
        KIND,
        {
            "name": params.get("name", ""),
            "email": params.get("email", ""),
            "message": params.get("message", ""),
            "page_url": config["KKP_BASE_URL"] + "/barrierefreiheit",
        },
        to=delivery.recipient,
        locale=config["BABEL_DEFAULT_LOCALE"],
        headers=headers,
    )
