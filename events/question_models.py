"""The editor's own questions for a registration (or a feedback form), the answers,
and optional consents with what each person agreed to."""

from __future__ import annotations

import enum

import sqlalchemy as sa

from kkp.db import UTCDateTime, utcnow
from kkp.extensions import db
from people.models import ConsentSource


class QuestionKind(enum.StrEnum):
    """The database stores the value."""

    SHORT_TEXT = "short_text"
    LONG_TEXT = "long_text"
    ONE_CHOICE = "one_choice"
    CHOICES = "choices"
    YES_NO = "yes_no"


class QuestionPurpose(enum.StrEnum):
    """Asked when registering (answers belong to the registration) or in the
    anonymous feedback after the event (answers belong to nobody)."""

    REGISTRATION = "registration"
    FEEDBACK = "feedback"


QUESTION_KINDS = tuple(kind.value for kind in QuestionKind)


class Question(db.Model):
    """One question of an event (each date's registration) or of a series (the course
    booking); exactly one of `event_id`, `series_id` is set."""

    __tablename__ = "registration_question"
    __table_args__ = (
        sa.CheckConstraint(
            "(event_id IS NULL) <> (series_id IS NULL)", name="ck_question_one_owner"
        ),
        sa.Index("ix_question_owner", "event_id", "series_id", "purpose", "position"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="CASCADE"))
    series_id = sa.Column(sa.ForeignKey("event_series.id", ondelete="CASCADE"))
    #: a :class:`QuestionPurpose`
    purpose = sa.Column(sa.String(20), nullable=False, default=QuestionPurpose.REGISTRATION)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    #: a :class:`QuestionKind`
    kind = sa.Column(sa.String(20), nullable=False)
    label = sa.Column(sa.String(300), nullable=False)
    label_en = sa.Column(sa.String(300), nullable=False, default="")
    help = sa.Column(sa.String(500), nullable=False, default="")
    #: the choices of `one_choice` and `choices`, in order
    choices = sa.Column(sa.JSON, nullable=False, default=list)
    required = sa.Column(sa.Boolean, nullable=False, default=False)
    #: shown (and required) only when that question's answer is `shown_if_value`
    shown_if_question_id = sa.Column(sa.ForeignKey("registration_question.id", ondelete="SET NULL"))
    shown_if_value = sa.Column(sa.String(200), nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    shown_if = db.relationship("Question", remote_side=[id])

    def text(self, locale: str = "de") -> str:
        return (self.label_en or self.label) if locale == "en" else self.label


def _answered_at(context):
    """Now, for a registration's or a booking's answer; nothing for feedback (its time
    could tell whose it is)."""
    row = context.get_current_parameters()
    if row.get("registration_id") is None and row.get("booking_id") is None:
        return None
    return utcnow()


class Answer(db.Model):
    """One answer: to a registration's or a booking's question (exactly one of the two
    set), or, for feedback, to nobody's. `value` is a string, a list of strings
    (`choices`) or a boolean (`yes_no`)."""

    __tablename__ = "registration_answer"
    __table_args__ = (
        sa.UniqueConstraint("question_id", "registration_id", name="uq_answer_registration"),
        sa.UniqueConstraint("question_id", "booking_id", name="uq_answer_booking"),
        sa.Index("ix_answer_registration", "registration_id"),
        sa.Index("ix_answer_booking", "booking_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    question_id = sa.Column(
        sa.ForeignKey("registration_question.id", ondelete="CASCADE"), nullable=False
    )
    registration_id = sa.Column(sa.ForeignKey("registration.id", ondelete="CASCADE"))
    booking_id = sa.Column(sa.ForeignKey("course_booking.id", ondelete="CASCADE"))
    value = sa.Column(sa.JSON)
    #: NULL for feedback: an answer's time could tell whose it is
    created_at = sa.Column(UTCDateTime, default=_answered_at)

    question = db.relationship(Question)


class ConsentOffer(db.Model):
    """An optional consent the editor offers with the registration of an event or a
    course (e.g. "my name may be on the list handed out", "photos")."""

    __tablename__ = "event_consent"
    __table_args__ = (
        sa.CheckConstraint(
            "(event_id IS NULL) <> (series_id IS NULL)", name="ck_event_consent_one_owner"
        ),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    event_id = sa.Column(sa.ForeignKey("event.id", ondelete="CASCADE"), index=True)
    series_id = sa.Column(sa.ForeignKey("event_series.id", ondelete="CASCADE"), index=True)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    text = sa.Column(sa.Text, nullable=False)
    text_en = sa.Column(sa.Text, nullable=False, default="")
    created_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)

    def label(self, locale: str = "de") -> str:
        return (self.text_en or self.text) if locale == "en" else self.text


class ConsentRecord(db.Model):
    """That one person agreed to one offered consent: when, how (`source`, `ip`) and
    the very words shown (kept even if the editor changes the offer), recorded like the
    newsletter's :class:`people.models.ConsentEvent`. Withdrawn: `withdrawn_at`, and
    how (`withdrawn_source`, `withdrawn_ip`)."""

    __tablename__ = "event_consent_record"
    __table_args__ = (
        sa.Index("ix_event_consent_record_registration", "registration_id"),
        sa.Index("ix_event_consent_record_booking", "booking_id"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    consent_id = sa.Column(sa.ForeignKey("event_consent.id", ondelete="SET NULL"))
    registration_id = sa.Column(sa.ForeignKey("registration.id", ondelete="CASCADE"))
    booking_id = sa.Column(sa.ForeignKey("course_booking.id", ondelete="CASCADE"))
    text = sa.Column(sa.Text, nullable=False)
    given_at = sa.Column(UTCDateTime, nullable=False, default=utcnow)
    #: a :class:`people.models.ConsentSource` through which she gave it: `form` (the
    #: public registration or booking form), `editor`, `api`
    source = sa.Column(
        sa.String(20), nullable=False, default=ConsentSource.FORM, server_default="form"
    )
    #: client address when she gave it herself, only when KKP_RECORD_IP=1
    ip = sa.Column(sa.String(45))
    withdrawn_at = sa.Column(UTCDateTime)
    #: a :class:`people.models.ConsentSource` through which it was withdrawn:
    #: `preferences` (her own page, by the signed link in her mail), `api`, `editor`
    withdrawn_source = sa.Column(sa.String(20))
    #: client address when she withdrew it herself, only when KKP_RECORD_IP=1
    withdrawn_ip = sa.Column(sa.String(45))

    offer = db.relationship(ConsentOffer)
