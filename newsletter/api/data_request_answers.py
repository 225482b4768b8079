"""What the data request API answers: everything stored about one address, as the
editors' page exports it (:func:`newsletter.data_requests.export`), and what an
erasure removed; as the schemas that describe it."""

from __future__ import annotations

import marshmallow as ma

from kkp.api_fields import AnswerSchema, answer
from newsletter.data_requests import Erasure


class PersonalListSchema(AnswerSchema):
    name = answer()
    status = answer(description="pending until the person confirmed this list")
    requested_at = answer(ma.fields.DateTime)
    confirmed_at = answer(ma.fields.DateTime, nullable=True)


class PersonalConsentHistorySchema(AnswerSchema):
    at = answer(ma.fields.DateTime)
    action = answer()
    lists = answer(ma.fields.List, ma.fields.String(), description="The lists, at the time.")
    source = answer()
    consent_text_version = answer(ma.fields.Integer, nullable=True)
    consent_text = answer(nullable=True, description="The words the person agreed to.")
    ip = answer(nullable=True)


class PersonalNewsletterSchema(AnswerSchema):
    email = answer()
    name = answer()
    organisation = answer()
    status = answer()
    source = answer()
    language = answer()
    created_at = answer(ma.fields.DateTime)
    confirmed_at = answer(ma.fields.DateTime, nullable=True)
    lists = answer(ma.fields.List, ma.fields.Nested(PersonalListSchema))
    consent_history = answer(ma.fields.List, ma.fields.Nested(PersonalConsentHistorySchema))


class PersonalAnswerSchema(AnswerSchema):
    question = answer()
    answer = answer(ma.fields.Raw, description="A string, a list of strings or a boolean.")


class PersonalConsentSchema(AnswerSchema):
    text = answer(description="The very words shown.")
    given_at = answer(ma.fields.DateTime)
    source = answer(description="Through what it was given: form, editor or api.")
    ip = answer(nullable=True, description="The client address, when it was recorded.")
    withdrawn_at = answer(ma.fields.DateTime, nullable=True)
    withdrawn_source = answer(
        nullable=True, description="Through what it was withdrawn: preferences, editor or api."
    )
    withdrawn_ip = answer(nullable=True, description="The client address, when it was recorded.")


class PersonalFeedbackSchema(AnswerSchema):
    invited_at = answer(ma.fields.DateTime, nullable=True)
    given_on = answer(ma.fields.Date, nullable=True, description="Only that; never what.")


class _PersonalRegistered(AnswerSchema):
    """What a registration and a course booking both hold."""

    email = answer()
    name = answer()
    organisation = answer()
    status = answer()
    participation = answer(nullable=True, description="on_site or online (hybrid events)")
    registered_at = answer(ma.fields.DateTime)
    confirmed_at = answer(ma.fields.DateTime, nullable=True)
    cancelled_at = answer(ma.fields.DateTime, nullable=True)
    consent_at = answer(ma.fields.DateTime, nullable=True)
    consent_text_version = answer(ma.fields.Integer, nullable=True)
    answers = answer(ma.fields.List, ma.fields.Nested(PersonalAnswerSchema))
    consents = answer(ma.fields.List, ma.fields.Nested(PersonalConsentSchema))
    feedback = answer(ma.fields.Nested, PersonalFeedbackSchema, nullable=True)


class PersonalRegistrationSchema(_PersonalRegistered):
    event = answer(description="The event's title.")
    starts_at = answer(ma.fields.DateTime)
    ends_at = answer(ma.fields.DateTime)
    source = answer()
    language = answer()
    attendance = answer(nullable=True)
    course_booking = answer(ma.fields.Integer, nullable=True, description="The booking's id.")


class PersonalBookingSchema(_PersonalRegistered):
    id = answer(ma.fields.Integer)
    course = answer(description="The series' title.")


class PersonalCertificateSchema(AnswerSchema):
    number = answer()
    holder_name = answer()
    title = answer()
    dates = answer(ma.fields.List, ma.fields.Dict(), description="The dates it certifies.")
    issued_at = answer(ma.fields.DateTime)
    sent_at = answer(ma.fields.DateTime, nullable=True)


class PersonalMailSchema(AnswerSchema):
    kind = answer()
    status = answer()
    created_at = answer(ma.fields.DateTime)
    sent_at = answer(ma.fields.DateTime, nullable=True)


class PersonDataSchema(AnswerSchema):
    email = answer(description="The address as looked up.")
    exported_at = answer(ma.fields.DateTime)
    newsletter = answer(
        ma.fields.Nested, PersonalNewsletterSchema, nullable=True, description="null: no subscriber"
    )
    on_suppression_list = answer(
        ma.fields.Boolean, description="The address left or was erased before."
    )
    registrations = answer(ma.fields.List, ma.fields.Nested(PersonalRegistrationSchema))
    course_bookings = answer(ma.fields.List, ma.fields.Nested(PersonalBookingSchema))
    certificates = answer(ma.fields.List, ma.fields.Nested(PersonalCertificateSchema))
    mails = answer(
        ma.fields.List, ma.fields.Nested(PersonalMailSchema), description="Newest first."
    )


class PersonalDataErasureSchema(AnswerSchema):
    subscriber_deleted = answer(
        ma.fields.Boolean,
        description="The subscriber was deleted; the address's fingerprint stays suppressed.",
    )
    registrations = answer(ma.fields.Integer, description="Registrations anonymised.")
    course_bookings = answer(ma.fields.Integer, description="Course bookings anonymised.")
    answers = answer(ma.fields.Integer, description="Answers removed.")
    consents = answer(ma.fields.Integer, description="Consent records removed.")
    certificates = answer(
        ma.fields.Integer, description="Certificates without the name; numbers stay verifiable."
    )
    mails = answer(ma.fields.Integer, description="Mails that lost the address.")


def erasure_json(erasure: Erasure) -> dict:
    counts = erasure.erased.counts
    return {
        "subscriber_deleted": erasure.subscriber_id is not None,
        "registrations": counts.registrations,
        "course_bookings": counts.bookings,
        "answers": counts.answers,
        "consents": counts.consents,
        "certificates": counts.certificates,
        "mails": erasure.mails,
    }
