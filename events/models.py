"""Events, their kinds and series, and the people registered for them."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN


class EventStatus(enum.StrEnum):
    """draft → published → cancelled (a draft may be cancelled too). The database
    stores the value."""

    DRAFT = "draft"
    PUBLISHED = "published"
    CANCELLED = "cancelled"


class EventFormat(enum.StrEnum):
    """Where it happens: online (join link), in person (venue, address), or both."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class RegistrationMode(enum.StrEnum):
    """Who registers: nobody (just come or join), anyone, or only those invited."""

    NONE = "none"
    OPEN = "open"
    INVITATION = "invitation"


class RegistrationStatus(enum.StrEnum):
    """A registration through the public form waits for its owner to click the link in
    the mail: pending holds a seat until `hold_until`, pending_waiting asked when the
    event was full and joins the waiting list once confirmed; unconfirmed at
    `hold_until`, either becomes expired (and a held seat goes to the waiting list).
    invited (no answer yet) → confirmed | waiting | declined; waiting → confirmed
    (moved up); confirmed | waiting → cancelled. The database stores the value."""

    PENDING = "pending"
    PENDING_WAITING = "pending_waiting"
    INVITED = "invited"
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"
    DECLINED = "declined"
    EXPIRED = "expired"


class RegistrationScope(enum.StrEnum):
    """How people register for the dates of a series: each date on its own (the
    default), the whole course at once (one registration, seats and waiting list per
    course), or one of several dates offering the same event."""

    DATES = "dates"
    COURSE = "course"
    ONE_OF = "one_of"


class Participation(enum.StrEnum):
    """How a participant of a hybrid event takes part; on-site and online seats are
    counted apart. Empty for events that are only one or the other."""

    ON_SITE = "on_site"
    ONLINE = "online"


class AttendanceStatus(enum.StrEnum):
    """What the editor marked for one participant on one date; NULL: not marked."""

    PRESENT = "present"
    ABSENT = "absent"
    EXCUSED = "excused"


class RegistrationSource(enum.StrEnum):
    """How a registration came about; the database stores the value."""

    FORM = "form"
    EDITOR = "editor"
    INVITATION = "invitation"
    API = "api"


class EventMailKind(enum.StrEnum):
    """The kinds of :class:`kkp.mail.models.Delivery` events write (one builder each in
    :mod:`events.mails`); the database stores the value."""

    CONFIRMATION = "event_confirmation"
    PROMOTED = "event_promoted"
    UPDATE = "event_update"
    INVITATION = "event_invitation"
    WAITING = "event_waiting"
    REMINDER = "event_reminder"
    REGISTRATION_LINK = "registration_link"
    REGISTRATION_REQUEST = "registration_request"
    CANCELLED = "event_cancelled"
    REGISTRATION_CANCELLED = "registration_cancelled"
    #: a message an editor wrote to the participants she selected
    MESSAGE = "event_message"
    #: one of several dates: her registration moved to another date (REQUEST for it)
    MOVED = "event_moved"
    #: ... and the CANCEL for the date she left
    MOVED_AWAY = "event_moved_away"
    #: a certificate of attendance, the PDF attached (events.certificate_mail)
    CERTIFICATE = "certificate"
    #: a whole course (:mod:`events.course_mails`): asking to confirm a booking, the
    #: booking's link for a known address, confirmed (every date listed), waiting,
    #: moved up, cancelled; and per date its calendar entry or its removal
    COURSE_REQUEST = "course_request"
    COURSE_LINK = "course_link"
    COURSE_CONFIRMATION = "course_confirmation"
    COURSE_WAITING = "course_waiting"
    COURSE_PROMOTED = "course_promoted"
    COURSE_CANCELLED = "course_cancelled"
    #: the invitation to the anonymous feedback (events.feedback_mail)
    FEEDBACK = "event_feedback"
    COURSE_DATE = "course_date"
    COURSE_DATE_CANCELLED = "course_date_cancelled"
    #: after an event or a course: its materials listed, with the link to her page
    #: (:mod:`events.follow_up`), once per registration or booking
    FOLLOW_UP = "event_follow_up"


#: the values, for the API's choices
EVENT_STATUSES = tuple(status.value for status in EventStatus)
FORMATS = tuple(format.value for format in EventFormat)
REGISTRATION_MODES = tuple(mode.value for mode in RegistrationMode)
REGISTRATION_STATUSES = tuple(status.value for status in RegistrationStatus)
REGISTRATION_SOURCES = tuple(source.value for source in RegistrationSource)
REGISTRATION_SCOPES = tuple(scope.value for scope in RegistrationScope)
PARTICIPATIONS = tuple(participation.value for participation in Participation)
ATTENDANCE_STATUSES = tuple(status.value for status in AttendanceStatus)
#: the statuses that hold (or wait for) a seat with a confirmed address
ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING)
#: the statuses that take a seat: counted against the capacity
SEATED = (RegistrationStatus.CONFIRMED, RegistrationStatus.PENDING)
#: registrations whose address is not confirmed yet
UNCONFIRMED = (RegistrationStatus.PENDING, RegistrationStatus.PENDING_WAITING)
#: who an editor's message reaches: confirmed addresses that still take part, and
#: members of a list who were invited (never an address nobody confirmed)
MESSAGED = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING, RegistrationStatus.INVITED)


class EventKind(db.Model):
    """Network meeting, training, info event, committee session, or one an editor added."""

    __tablename__ = "event_kind"

    id = sa.Column(sa.Integer, primary_key=True)
    #: the calendar address, /calendar/<slug>.ics
    slug = sa.Column(sa.String(80), nullable=False, unique=True)
    name = sa.Column(sa.String(120), nullable=False)
    #: the English name; empty: the German one is shown
    name_en = sa.Column(sa.String(120), nullable=False, default="")
    position = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    def label(self, locale: str = "de") -> str:
        return (self.name_en or self.name) if locale == "en" else self.name


class EventSeries(db.Model):
    """One training in several dates, each an event of its own. `registration_scope`
    says how people register: per date (each date's own seats), for the whole course
    (a :class:`events.course_models.CourseBooking`; seats and waiting list here), or for
    one of the dates."""

    __tablename__ = "event_series"

    id = sa.Column(sa.Integer, primary_key=True)
    #: the public page, /events/series/<slug>
    slug = sa.Column(sa.String(120), nullable=False, unique=True)
    title = sa.Column(sa.String(200), nullable=False)
    #: Markdown, sanitised on output
    description = sa.Column(sa.Text, nullable=False, default="")
    #: a :class:`RegistrationScope`
    registration_scope = sa.Column(
        sa.String(20), nullable=False, default=RegistrationScope.DATES, server_default="dates"
    )
    #: seats of the whole course (of a hybrid course: on site); NULL: no limit (only for
    #: the course scope)
    capacity = sa.Column(sa.Integer)
    #: a hybrid course's online seats, counted apart; NULL: no limit
    capacity_online = sa.Column(sa.Integer)
    #: booking the course closes at this instant; NULL: at the first date's start
    registration_deadline = sa.Column(UTCDateTime)
    #: the share of dates (percent) a participant must attend for a certificate
    certificate_share = sa.Column(sa.Integer, nullable=False, default=75, server_default="75")
    #: certificates count teaching units of 45 minutes beside the hours
    teaching_units = sa.Column(sa.Boolean, nullable=False, default=False, server_default=sa.false())
    #: what the course covered, a few lines on the certificate
    certificate_summary = sa.Column(sa.Text, nullable=False, default="", server_default="")
    #: who signs the certificates, and in which role
    signer_name = sa.Column(sa.String(200), nullable=False, default="", server_default="")
    signer_role = sa.Column(sa.String(200), nullable=False, default="", server_default="")
    #: months after the last date until registrations are anonymised; NULL: the default
    #: (`KKP_RETENTION_MONTHS`)
    retention_months = sa.Column(sa.Integer)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    events = db.relationship("Event", back_populates="series", order_by="Event.starts_at")


class Event(db.Model):
    """A meeting, training date or info event.

    Times are stored in UTC. An all-day event starts at midnight (Berlin) of its first
    day and `ends_at` is midnight (Berlin) after its last day.
    """

    __tablename__ = "event"
    __table_args__ = (
        sa.Index("ix_event_status_starts", "status", "starts_at"),
        # what the scheduler looks for
        sa.Index("ix_event_reminder_due", "reminder_due_at"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    #: the public address, /events/<slug>; kept when the title changes
    slug = sa.Column(sa.String(120), nullable=False, unique=True)
    #: the iCalendar UID, the same in every invitation, update and cancellation
    uid = sa.Column(sa.String(200), nullable=False, unique=True)
    kind_id = sa.Column(sa.ForeignKey("event_kind.id", ondelete="RESTRICT"), nullable=False)
    series_id = sa.Column(sa.ForeignKey("event_series.id", ondelete="SET NULL"), index=True)
    title = sa.Column(sa.String(200), nullable=False)
    #: one or two sentences for lists and feeds
    summary = sa.Column(sa.Text, nullable=False, default="")
    #: Markdown, sanitised on output
    description = sa.Column(sa.Text, nullable=False, default="")
    #: an :class:`EventFormat`
    format = sa.Column(sa.String(20), nullable=False, default=EventFormat.IN_PERSON)
    venue = sa.Column(sa.String(200), nullable=False, default="")
    address = sa.Column(sa.String(300), nullable=False, default="")
    #: http(s) only; shown to confirmed participants and, without registration, to all
    join_url = sa.Column(sa.String(1000), nullable=False, default="")
    all_day = sa.Column(sa.Boolean, nullable=False, default=False)
    starts_at = sa.Column(UTCDateTime, nullable=False)
    ends_at = sa.Column(UTCDateTime, nullable=False)
    organizer_name = sa.Column(sa.String(200), nullable=False, default="")
    organizer_email = sa.Column(sa.String(254), nullable=False, default="")
    #: e.g. "Netzwerkkoordinatorinnen und -koordinatoren"
    audience = sa.Column(sa.String(300), nullable=False, default="")
    #: e.g. "kostenfrei"
    cost_note = sa.Column(sa.String(300), nullable=False, default="")

    #: a :class:`RegistrationMode`
    registration_mode = sa.Column(sa.String(20), nullable=False, default=RegistrationMode.OPEN)
    #: seats (of a hybrid event: on site); NULL: no limit
    capacity = sa.Column(sa.Integer)
    #: a hybrid event's online seats, counted apart; NULL: no limit
    capacity_online = sa.Column(sa.Integer)
    #: registration closes at this instant; NULL: at the start
    registration_deadline = sa.Column(UTCDateTime)
    #: an :class:`EventStatus`
    status = sa.Column(sa.String(20), nullable=False, default=EventStatus.DRAFT)

    #: hours before the start that participants are reminded; NULL: no reminder
    reminder_hours = sa.Column(sa.Integer, default=24)
    #: when the reminder is due (start minus `reminder_hours`); NULL once it went out
    reminder_due_at = sa.Column(UTCDateTime)
    reminder_sent_at = sa.Column(UTCDateTime)

    #: the iCalendar SEQUENCE: raised when start, end, place, join link or status change
    sequence = sa.Column(sa.Integer, nullable=False, default=0)
    #: the last change calendars see (DTSTAMP, LAST-MODIFIED); not every edit
    changed_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    published_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)
    #: months after the event (or its series' last date) until its registrations are
    #: anonymised; NULL: the series' or the default (`KKP_RETENTION_MONTHS`)
    retention_months = sa.Column(sa.Integer)
    #: when the nightly job anonymised its registrations; NULL: not yet
    anonymised_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)

    kind = db.relationship(EventKind)
    series = db.relationship(EventSeries, back_populates="events")

    @property
    def first_day(self) -> date:
        return self.starts_at.astimezone(BERLIN).date()

    @property
    def last_day(self) -> date:
        """The last day it takes place (for all-day events: the day before `ends_at`)."""
        end = self.ends_at.astimezone(BERLIN)
        if self.all_day:
            return (end - timedelta(days=1)).date()
        return end.date()

    @property
    def is_online(self) -> bool:
        return self.format in (EventFormat.ONLINE, EventFormat.HYBRID)

    @property
    def is_in_person(self) -> bool:
        return self.format in (EventFormat.IN_PERSON, EventFormat.HYBRID)

    @property
    def place(self) -> str:
        """Venue and address on one line, e.g. "Rathaus, Markt 1, 01067 Dresden"."""
        return ", ".join(p for p in (self.venue, self.address) if p)

    def registration_closes_at(self) -> datetime:
        return self.registration_deadline or self.starts_at


class Registration(db.Model):
    """One person for one event: invited, confirmed, waiting, cancelled or declined."""

    __tablename__ = "registration"
    __table_args__ = (
        # one person registers once per event
        sa.UniqueConstraint("event_id", "email", name="uq_registration_event_email"),
        sa.Index("ix_registration_event_status", "event_id", "status", "waiting_since", "id"),
        # what the scheduler's tick looks for: unconfirmed registrations past their hold
        sa.Index("ix_registration_hold_until", "hold_until"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="CASCADE"), nullable=False)
    #: normalised address (domain lower-cased)
    email = sa.Column(sa.String(254), nullable=False)
    name = sa.Column(sa.String(200), nullable=False, default="")
    organisation = sa.Column(sa.String(200), nullable=False, default="")
    #: a :class:`RegistrationStatus`
    status = sa.Column(sa.String(20), nullable=False)
    #: the order of the waiting list: earlier first
    waiting_since = sa.Column(UTCDateTime)
    #: an unconfirmed registration lapses at this instant (and a held seat is freed);
    #: NULL once confirmed or lapsed
    hold_until = sa.Column(UTCDateTime)
    #: random; part of the links in mail, so a link dies with its registration
    key = sa.Column(sa.String(32), nullable=False)
    #: a :class:`RegistrationSource`
    source = sa.Column(sa.String(20), nullable=False, default=RegistrationSource.FORM)
    #: language of the mail this person gets
    locale = sa.Column(sa.String(5), nullable=False, default="de")
    #: when consent to processing was given, and to which text version (the privacy
    #: notice for event registration the person saw; before there was one, the
    #: newsletter's consent text)
    consent_at = sa.Column(UTCDateTime)
    consent_version = sa.Column(sa.ForeignKey("consent_text.version"))
    #: the list an invitation went to, if any
    invited_from_list_id = sa.Column(sa.ForeignKey("mailing_list.id", ondelete="SET NULL"))
    #: the course booking this date belongs to (whole-course series): its status follows
    #: the booking's, and it is cancelled only with the booking
    booking_id = sa.Column(sa.ForeignKey("course_booking.id", ondelete="CASCADE"), index=True)
    #: a :class:`Participation` for hybrid events; empty otherwise
    participation = sa.Column(sa.String(10), nullable=False, default="", server_default="")
    #: an :class:`AttendanceStatus`; NULL: not marked
    attendance = sa.Column(sa.String(10))
    attendance_at = sa.Column(UTCDateTime)
    #: when name, address and answers were removed (retention or erasure); the row stays
    #: for the counts and the attendance statistics
    anonymised_at = sa.Column(UTCDateTime)
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = sa.Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)
    confirmed_at = sa.Column(UTCDateTime)
    cancelled_at = sa.Column(UTCDateTime)

    event = db.relationship(Event)
