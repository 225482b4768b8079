"""The editors' pages of the events, on the blueprint ``events_admin`` (/admin/events),
a module each:

- :mod:`.events`: the events themselves; :mod:`.series`: series and courses, a whole
  course's participants in :mod:`.course_participants`;
- :mod:`.participants`: a date's participants, with the bulk actions on a selection in
  :mod:`.participant_bulk` and moving one to another date in :mod:`.participant_moving`;
  :mod:`.registrations`: every registration across them;
- :mod:`.participant_groups`: the export and the message to a group of a date's or a
  course's participants (their forms in :mod:`.participant_forms`);
- :mod:`.questions`: the registration questions and consents of an event or a series;
- :mod:`.attendance`: who came to a date, its scanned sheets and its sign-in sheet;
- :mod:`.certificates`: the certificates of attendance of a course or of a date;
- :mod:`.materials`: an event's or a course's materials and the follow-up mail;
- :mod:`.feedback`: the feedback questions, invitations and summary of an event or a course;
- :mod:`.forms`: the forms; :mod:`.dashboard`: their section of the start page;
  :mod:`.audit`: how events read in the audit log.
"""

from events.admin import (  # noqa: F401  (their routes join bp)
    attendance,
    audit,
    certificates,
    course_participants,
    dashboard,
    feedback,
    materials,
    participant_bulk,
    participant_groups,
    participant_moving,
    participants,
    questions,
    registrations,
    series,
)
from events.admin.events import bp

__all__ = ["bp"]
