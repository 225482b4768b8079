"""Forms of the editors' event pages (the public forms: :mod:`events.forms`).

The forms only read what was typed (a date, a number); the rules for an event
(the end after the start, a web address for the join link …) are checked by
:mod:`events.operations`, whose messages are shown at the same fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional

from events.models import EventFormat, Participation, RegistrationMode, RegistrationScope
from events.operations import EventInput
from kkp.forms import options

TIME_FORMATS = ["%H:%M", "%H:%M:%S"]


def _day(label, **kwargs) -> DateField:
    return DateField(
        label,
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
        **kwargs,
    )


def _time(label, **kwargs) -> TimeField:
    return TimeField(label, format=TIME_FORMATS, validators=[Optional()], **kwargs)


class EventForm(FlaskForm):
    """Every field of :class:`events.operations.EventInput`, named the same."""

    kind_id = SelectField(_l("Kind"), coerce=int, validate_choice=False)
    title = StringField(_l("Title"), validators=[Length(max=200)])
    summary = TextAreaField(
        _l("Summary"),
        description=_l("One or two sentences for lists, feeds and the start page."),
        render_kw={"rows": 2},
    )
    description = TextAreaField(
        _l("Description"),
        description=_l(
            "Markdown: **bold**, *italic*, [link text](https://…), lists with “-” at "
            "the start of a line, an empty line between paragraphs."
        ),
        render_kw={"rows": 8},
    )
    format = RadioField(
        _l("Format"),
        choices=options(
            [
                (EventFormat.IN_PERSON, _l("In person")),
                (EventFormat.ONLINE, _l("Online")),
                (EventFormat.HYBRID, _l("Hybrid (in person and online)")),
            ]
        ),
        default=EventFormat.IN_PERSON,
        validate_choice=False,
    )
    venue = StringField(_l("Venue"), description=_l("For example “Rathaus, Sitzungssaal”."))
    address = StringField(_l("Address"), description=_l("Street, postcode and town."))
    join_url = StringField(
        _l("Join link"),
        description=_l(
            "For online and hybrid events, starting with https://. Only confirmed "
            "participants see it (everyone, when there is no registration)."
        ),
        render_kw={"type": "url"},
    )
    all_day = BooleanField(_l("All day (no times)"))
    start_day = _day(_l("First day"))
    start_time = _time(_l("Start time"))
    end_day = _day(
        _l("Last day"), description=_l("Leave empty when the event ends on its first day.")
    )
    end_time = _time(_l("End time"))
    organizer_name = StringField(_l("Organiser"))
    organizer_email = StringField(
        _l("Organiser's e-mail address"),
        description=_l("Calendars show it as the organiser; empty: the office's sender address."),
        render_kw={"type": "email"},
    )
    audience = StringField(_l("Audience"), description=_l("Who the event is for."))
    cost_note = StringField(_l("Costs"), description=_l("For example “free of charge”."))
    registration_mode = RadioField(
        _l("Registration"),
        choices=options(
            [
                (RegistrationMode.OPEN, _l("Open to anyone")),
                (RegistrationMode.INVITATION, _l("By invitation only")),
                (RegistrationMode.NONE, _l("No registration (people just come or join)")),
            ]
        ),
        default=RegistrationMode.OPEN,
        validate_choice=False,
    )
    capacity = IntegerField(
        _l("Seats"),
        validators=[Optional()],
        description=_l("Empty: no limit. When all seats are taken, people join a waiting list."),
        render_kw={"inputmode": "numeric"},
    )
    capacity_online = IntegerField(
        _l("Online seats (hybrid events only)"),
        validators=[Optional()],
        description=_l(
            "Only for hybrid events, whose participants choose on site or online: the seats "
            "above are then those on site, these the online ones, each with its own waiting "
            "list. Empty: no limit online."
        ),
        render_kw={"inputmode": "numeric"},
    )
    deadline_day = _day(
        _l("Registration deadline"), description=_l("Empty: registration closes at the start.")
    )
    deadline_time = _time(
        _l("Deadline time"), description=_l("Empty: the end of the deadline day.")
    )
    reminder_hours = IntegerField(
        _l("Reminder (hours before the start)"),
        validators=[Optional()],
        default=24,
        description=_l("Confirmed participants get a reminder; empty: no reminder."),
        render_kw={"inputmode": "numeric"},
    )
    retention_months = IntegerField(
        _l("Keep participants' data (months after the last date)"),
        validators=[Optional()],
        description=_l("Then names, addresses and answers are anonymised; empty: the default."),
        render_kw={"inputmode": "numeric"},
    )
    series_id = SelectField(
        _l("Series"),
        coerce=int,
        validate_choice=False,
        description=_l("The dates of one training belong to one series."),
    )

    def event_input(self) -> EventInput:
        """What was typed, for :func:`events.operations.create_event` / `update_event`."""
        return EventInput(
            kind_id=self.kind_id.data or None,
            title=self.title.data or "",
            summary=self.summary.data or "",
            description=self.description.data or "",
            format=self.format.data or "",
            venue=self.venue.data or "",
            address=self.address.data or "",
            join_url=self.join_url.data or "",
            all_day=bool(self.all_day.data),
            start_day=self.start_day.data,
            start_time=self.start_time.data,
            end_day=self.end_day.data,
            end_time=self.end_time.data,
            organizer_name=self.organizer_name.data or "",
            organizer_email=self.organizer_email.data or "",
            audience=self.audience.data or "",
            cost_note=self.cost_note.data or "",
            registration_mode=self.registration_mode.data or "",
            capacity=self.capacity.data,
            capacity_online=self.capacity_online.data,
            deadline_day=self.deadline_day.data,
            deadline_time=self.deadline_time.data,
            reminder_hours=self.reminder_hours.data,
            retention_months=self.retention_months.data,
            series_id=self.series_id.data or None,
        )


class CopyForm(FlaskForm):
    """“Add another date”: the same event on another day."""

    #: not "start_day": the editor's page shows it beside the event's own fields
    copy_day = DateField(
        _l("Date of the new date"),
        validators=[InputRequired(_l("Please choose a date."))],
    )


class ParticipantForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=200)], render_kw={"autocomplete": "off"})
    email = StringField(
        _l("E-mail address"),
        validators=[Length(max=320)],
        render_kw={"type": "email", "autocomplete": "off"},
    )
    organisation = StringField(
        _l("Organisation (optional)"),
        validators=[Length(max=200)],
        render_kw={"autocomplete": "off"},
    )
    over_capacity = BooleanField(
        _l("Even if fully booked"),
        description=_l("Gives a seat beyond the limit instead of a place on the waiting list."),
    )
    #: hybrid events only: which seats the person takes
    participation = SelectField(
        _l("Takes part"),
        choices=options(
            [
                ("", _l("Please choose")),
                (Participation.ON_SITE, _l("On site")),
                (Participation.ONLINE, _l("Online")),
            ]
        ),
        validate_choice=False,
    )


class MoveForm(FlaskForm):
    """Another date of a series of one of several dates (:mod:`events.moving`)."""

    to_event_id = SelectField(_l("New date"), coerce=int, validate_choice=False)


class InviteForm(FlaskForm):
    list_id = SelectField(_l("Mailing list"), coerce=int, validate_choice=False)


class MessageForm(FlaskForm):
    """A message to selected participants; the rules are :func:`events.bulk.message_problems`."""

    subject = StringField(_l("Subject"), render_kw={"autocomplete": "off", "maxlength": 200})
    text = TextAreaField(
        _l("Message"),
        description=_l(
            "Markdown: **bold**, *italic*, lists with “-”, links as [text](https://…). "
            "The mail adds a greeting, the event's date and place and the link to the "
            "registration."
        ),
        render_kw={"rows": 10},
    )


class KindForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=120)])
    name_en = StringField(
        _l("English name (optional)"),
        validators=[Length(max=120)],
        description=_l("Shown on the English pages; empty: the German name."),
    )


class SeriesForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Length(max=200)])
    description = TextAreaField(
        _l("Description"),
        description=_l("Markdown, shown on the series' public page."),
        render_kw={"rows": 6},
    )


class QuestionForm(FlaskForm):
    """A registration question (:func:`events.questions.save_question` checks it)."""

    kind = SelectField(
        _l("Kind of answer"),
        choices=options(
            [
                ("short_text", _l("Short text")),
                ("long_text", _l("Long text")),
                ("one_choice", _l("One choice")),
                ("choices", _l("Several choices")),
                ("yes_no", _l("Yes or no")),
            ]
        ),
        validate_choice=False,
    )
    label = StringField(_l("Question"), validators=[Length(max=300)])
    label_en = StringField(_l("Question in English (optional)"), validators=[Length(max=300)])
    help = StringField(_l("Hint below the question (optional)"), validators=[Length(max=500)])
    choices = TextAreaField(
        _l("Choices"),
        description=_l("Only for one or several choices: one choice per line."),
        render_kw={"rows": 4},
    )
    required = BooleanField(_l("An answer is required"))
    #: "" or "<question id>:<value>"
    shown_if = SelectField(_l("Show this question"), validate_choice=False)


class ConsentOfferForm(FlaskForm):
    """An optional consent (:func:`events.questions.save_consent` checks it)."""

    text = TextAreaField(
        _l("Text people agree to"), validators=[Length(max=2000)], render_kw={"rows": 3}
    )
    text_en = TextAreaField(
        _l("Text in English (optional)"), validators=[Length(max=2000)], render_kw={"rows": 3}
    )


def _whole(label, description=None) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional()],
        description=description,
        render_kw={"inputmode": "numeric"},
    )


class SeriesSettingsForm(SeriesForm):
    """The series' page: title and description, and how it is booked and certified
    (:mod:`events.series_settings`)."""

    registration_scope = RadioField(
        _l("How people register"),
        choices=options(
            [
                (RegistrationScope.DATES, _l("Each date on its own")),
                (
                    RegistrationScope.COURSE,
                    _l("The whole course at once (one booking for all dates)"),
                ),
                (
                    RegistrationScope.ONE_OF,
                    _l("One of several dates (the same event offered more than once)"),
                ),
            ]
        ),
        default=RegistrationScope.DATES,
        validate_choice=False,
    )
    capacity = _whole(
        _l("Seats of the course"),
        _l("Whole course only. Empty: no limit; when all are taken, people join a waiting list."),
    )
    capacity_online = _whole(
        _l("Online seats of the course"),
        _l(
            "Whole course with hybrid dates only: the seats above are on site, these online, "
            "each with its own waiting list. Empty: no limit."
        ),
    )
    deadline_day = _day(
        _l("Booking deadline"), description=_l("Empty: booking closes when the first date starts.")
    )
    deadline_time = _time(
        _l("Deadline time"), description=_l("Empty: the end of the deadline day.")
    )
    certificate_share = _whole(
        _l("Share of dates for a certificate (%)"),
        _l("Participants who attended at least this share of the dates get a certificate."),
    )
    teaching_units = BooleanField(_l("Certificates count teaching units of 45 minutes"))
    certificate_summary = TextAreaField(
        _l("Content summary for the certificate"), render_kw={"rows": 4}
    )
    signer_name = StringField(_l("Signed by (name)"), validators=[Length(max=200)])
    signer_role = StringField(_l("Signer's role"), validators=[Length(max=200)])
    retention_months = _whole(
        _l("Keep registrations for (months after the last date)"),
        _l("Empty: the office's default. Then names and addresses are removed."),
    )
