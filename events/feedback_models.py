"""The one trace a feedback leaves about a person: THAT she was asked and THAT she
answered (the day only), never what. The answers themselves are
:class:`events.question_models.Answer` rows that belong to nobody."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.db import UTCDateTime
from kkp.extensions import db


class FeedbackReceipt(db.Model):
    """One per registration (a single date) or per course booking: the feedback
    invitation went (`invited_at`, so nobody is asked twice) and the form was sent
    (`given_on`, a date in Europe/Berlin, so nobody answers twice). Exactly one of
    `registration_id`, `booking_id` is set."""

    __tablename__ = "feedback_receipt"
    __table_args__ = (
        sa.CheckConstraint(
            "(registration_id IS NULL) <> (booking_id IS NULL)",
            name="ck_feedback_receipt_one_owner",
        ),
        sa.UniqueConstraint("registration_id", name="uq_feedback_receipt_registration"),
        sa.UniqueConstraint("booking_id", name="uq_feedback_receipt_booking"),
    )

    id = sa.Column(sa.Integer, primary_key=True)
    registration_id = sa.Column(sa.ForeignKey("registration.id", ondelete="CASCADE"))
    booking_id = sa.Column(sa.ForeignKey("course_booking.id", ondelete="CASCADE"))
    #: when the invitation mail was queued; NULL: never invited (a link given otherwise)
    invited_at = sa.Column(UTCDateTime)
    #: the day (Berlin) the feedback came; NULL: not yet
    given_on = sa.Column(sa.Date)
