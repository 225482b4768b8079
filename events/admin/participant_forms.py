"""The forms of the export of participants and of a message to a group of them."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from events.admin.forms import MessageForm
from events.participant_export import ExportFormat
from events.participant_groups import ParticipantGroup
from kkp.forms import options

GROUP_WORDS = {
    ParticipantGroup.ALL: _l(
        "Everyone registered (also the waiting list, invited and unconfirmed)"
    ),
    ParticipantGroup.CONFIRMED: _l("Confirmed"),
    ParticipantGroup.WAITING: _l("On the waiting list"),
    ParticipantGroup.ATTENDED: _l("Attended (of a course: present on at least one date)"),
    ParticipantGroup.ABSENT: _l("Absent or excused (of a course: on at least one date)"),
}
FORMAT_WORDS = {
    ExportFormat.XLSX: _l("Excel (XLSX)"),
    ExportFormat.CSV: _l("CSV"),
    ExportFormat.PDF: _l("PDF list"),
    ExportFormat.BADGES: _l("Name badges (PDF, A4 sheet of 2 × 5 labels)"),
}


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        # columns that went away meanwhile are named by the view, in words people understand
        pass


def _group() -> RadioField:
    return RadioField(
        _l("Who"), choices=options(GROUP_WORDS.items()), default=ParticipantGroup.CONFIRMED
    )


class ExportForm(FlaskForm):
    """The columns to choose come from the date or the course
    (:func:`events.participant_files.columns_of`)."""

    group = _group()
    columns = MultiCheckboxField(_l("Columns"))
    export_format = RadioField(
        _l("Format"), choices=options(FORMAT_WORDS.items()), default=ExportFormat.XLSX
    )


class GroupMessageForm(MessageForm):
    group = _group()
