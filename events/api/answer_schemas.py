"""What the events API answers, as the schemas that describe it in the document:
events, series, kinds and registrations. The JSON itself is built in
:mod:`events.api.answers`.

Times of events are Europe/Berlin with their offset ("2026-05-12T10:00:00+02:00"),
all-day events dates; other instants UTC.
"""

from __future__ import annotations

import marshmallow as ma

from events.api.questions import ConsentOfferSchema, QuestionSchema, given_fields
from events.models import (
    EVENT_STATUSES,
    FORMATS,
    PARTICIPATIONS,
    REGISTRATION_MODES,
    REGISTRATION_SCOPES,
    REGISTRATION_SOURCES,
    REGISTRATION_STATUSES,
)
from kkp.api_fields import AnswerSchema, answer, page_of

_DAY_OR_TIME = {
    "anyOf": [{"format": "date-time"}, {"format": "date"}],
    "description": "German time with its offset; for all-day events a date.",
}


class EventKindSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer(description="Used as `kind` in events.")
    name = answer(description="German.")
    name_en = answer(description="English; empty: the German one.")
    position = answer(ma.fields.Integer)
    calendar_url = answer(format="uri")


class EventKindListSchema(AnswerSchema):
    items = answer(ma.fields.List, ma.fields.Nested(EventKindSchema))


class SeriesDateSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer()
    title = answer()
    start = answer(**_DAY_OR_TIME)
    status = answer(enum=list(EVENT_STATUSES))


class EventSeriesSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer()
    title = answer()
    description = answer(description="Markdown.")
    url = answer(format="uri", description="The public page.")
    events = answer(
        ma.fields.List,
        ma.fields.Nested(SeriesDateSchema),
        description="The dates of the series, earliest first.",
    )
    created_at = answer(ma.fields.DateTime)
    registration_scope = answer(enum=list(REGISTRATION_SCOPES))
    capacity = answer(ma.fields.Integer, nullable=True, description="The course's seats.")
    registration_deadline = answer(ma.fields.DateTime, nullable=True, description="UTC.")
    certificate_share = answer(ma.fields.Integer, description="Percent of the dates.")
    teaching_units = answer(ma.fields.Boolean)
    certificate_summary = answer()
    signer_name = answer()
    signer_role = answer()
    retention_months = answer(ma.fields.Integer, nullable=True)


EventSeriesPageSchema = page_of(EventSeriesSchema, "EventSeriesPageSchema")


class OrganizerSchema(AnswerSchema):
    name = answer()
    email = answer()


class SeatsSchema(AnswerSchema):
    mode = answer(enum=list(REGISTRATION_MODES))
    capacity = answer(
        ma.fields.Integer, nullable=True, description="Of a hybrid event: on site. null: no limit."
    )
    capacity_online = answer(
        ma.fields.Integer,
        nullable=True,
        description="Hybrid events: the online seats, counted apart; null: no limit (or not "
        "hybrid).",
    )
    deadline = answer(
        ma.fields.DateTime,
        nullable=True,
        description="German time with its offset; null: the start.",
    )
    confirmed = answer(ma.fields.Integer)
    pending = answer(
        ma.fields.Integer,
        description="Seats held for people who registered on the website and have yet to "
        "click the link in their mail.",
    )
    waiting = answer(ma.fields.Integer)
    seats_left = answer(
        ma.fields.Integer,
        nullable=True,
        description="Capacity less confirmed and pending (of a hybrid event: on site); "
        "null: no limit.",
    )
    seats_left_online = answer(
        ma.fields.Integer,
        nullable=True,
        description="Hybrid events: the online seats left; null: no limit (or not hybrid).",
    )


class EventSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    slug = answer(description="The public address's last part; kept.")
    uid = answer(description="The iCalendar UID; never changes.")
    url = answer(format="uri", description="The public page.")
    ics_url = answer(format="uri", description="The event as .ics.")
    kind = answer(description="The kind's slug.")
    series_id = answer(ma.fields.Integer, nullable=True)
    title = answer()
    summary = answer()
    description = answer(description="Markdown.")
    format = answer(enum=list(FORMATS))
    venue = answer()
    address = answer()
    join_url = answer()
    all_day = answer(ma.fields.Boolean)
    start = answer(**_DAY_OR_TIME)
    end = answer(**{**_DAY_OR_TIME, "description": _DAY_OR_TIME["description"] + " (last day)"})
    timezone = answer(enum=["Europe/Berlin"])
    organizer = answer(ma.fields.Nested, OrganizerSchema)
    audience = answer()
    cost_note = answer()
    registration = answer(ma.fields.Nested, SeatsSchema)
    reminder_hours = answer(ma.fields.Integer, nullable=True)
    retention_months = answer(ma.fields.Integer, nullable=True)
    anonymised_at = answer(
        ma.fields.DateTime, nullable=True, description="When the registrations were anonymised."
    )
    status = answer(
        enum=list(EVENT_STATUSES),
        description="draft → published → cancelled; drafts can be deleted.",
    )
    sequence = answer(
        ma.fields.Integer,
        description="iCalendar SEQUENCE; rises when time, place or link change.",
    )
    updated_at = answer(ma.fields.DateTime, description="UTC.")
    questions = answer(
        ma.fields.List,
        ma.fields.Nested(QuestionSchema),
        description="The editor's questions of the registration form, in order.",
    )
    consents = answer(
        ma.fields.List,
        ma.fields.Nested(ConsentOfferSchema),
        description="The optional consents the registration form offers.",
    )
    notes = ma.fields.List(
        ma.fields.String(),
        metadata={
            "description": (
                "Only in answers to POST and PATCH: hints that are not errors, e.g. a "
                "time that occurs twice when the clocks go back."
            )
        },
    )


EventPageSchema = page_of(EventSchema, "EventPageSchema")


class InvitationResultSchema(AnswerSchema):
    invited = answer(
        ma.fields.Integer,
        description="Confirmed members of the list invited now (not those known).",
    )


class RegistrationSchema(AnswerSchema):
    id = answer(ma.fields.Integer)
    event_id = answer(ma.fields.Integer)
    name = answer()
    email = answer()
    organisation = answer()
    status = answer(enum=list(REGISTRATION_STATUSES))
    participation = answer(
        enum=["", *PARTICIPATIONS],
        description="Hybrid events: on site or online (each kind has its own seats and "
        "waiting list); empty for others.",
    )
    waiting_place = answer(
        ma.fields.Integer,
        nullable=True,
        description="1 for the first on the waiting list; null when not waiting.",
    )
    source = answer(enum=list(REGISTRATION_SOURCES))
    created_at = answer(ma.fields.DateTime, description="UTC.")
    confirmed_at = answer(ma.fields.DateTime, nullable=True)
    cancelled_at = answer(ma.fields.DateTime, nullable=True)
    hold_until = answer(
        ma.fields.DateTime,
        nullable=True,
        description="pending, pending_waiting: lapses then unless the person clicks the link "
        "in the mail (UTC); otherwise null.",
    )
    answers, consents = given_fields().values()


RegistrationPageSchema = page_of(RegistrationSchema, "RegistrationPageSchema")
