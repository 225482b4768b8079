from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from kkp.auth.models import EditorRole
from kkp.auth.operations import MIN_PASSWORD_LENGTH
from kkp.forms import options
from kkp.text import Printable


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=500)])


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name of the token"), validators=[DataRequired(), Length(max=200), Printable()]
    )


class EditorForm(FlaskForm):
    # the address policy (kkp.addresses, through create_editor) says what is wrong
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    name = StringField(_l("Name"), validators=[Length(max=200), Printable()])
    role = SelectField(
        _l("Role"),
        choices=options(
            [(EditorRole.EDITOR, _l("Editor")), (EditorRole.ADMIN, _l("Administrator"))]
        ),
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=500)]
    )


class PasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=500)])
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=500)],
        description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
    )
    repeat = PasswordField(_l("New password again"), validators=[DataRequired(), Length(max=500)])
