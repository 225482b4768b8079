"""The words the editors' subscriber pages show for statuses, sources and kinds of mail."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext_l

from events.consents import SOURCE_WORDS as CONSENT_SOURCE_WORDS
from events.models import AttendanceStatus, EventMailKind, RegistrationStatus
from kkp.i18n import berlin
from kkp.mail.models import DeliveryStatus
from newsletter.models import (
    ConsentAction,
    ConsentSource,
    DeliveryKind,
    SubscriberSource,
    SubscriberStatus,
)

STATUS_WORDS = {
    SubscriberStatus.PENDING: _l("Waiting for confirmation"),
    SubscriberStatus.CONFIRMED: _l("Confirmed"),
}
ACTION_WORDS = {
    ConsentAction.REQUESTED: _l("Signed up"),
    ConsentAction.CONFIRMATION_SENT: _l("Confirmation mail sent"),
    ConsentAction.CONFIRMED: _l("Confirmed"),
    ConsentAction.LISTS_CHANGED: _l("Lists changed"),
    ConsentAction.ADDED: _l("Added by the office"),
    ConsentAction.IMPORTED: _l("Imported"),
    ConsentAction.LIST_REMOVED: _l("Removed from lists"),
    ConsentAction.DETAILS_CHANGED: _l("Details changed"),
    ConsentAction.IMPORT_SKIPPED: _l("Not added again by an import"),
}
SOURCE_WORDS = {
    SubscriberSource.FORM: _l("Sign-up form"),
    SubscriberSource.EDITOR: _l("Editor"),
    SubscriberSource.API: _l("API"),
    SubscriberSource.IMPORT: _l("CSV import"),
    ConsentSource.PREFERENCES: _l("Preference page"),
    ConsentSource.UNSUBSCRIBE: _l("Unsubscribe link"),
    ConsentSource.ONE_CLICK: _l("One-click unsubscribe in the mail program"),
}
DELIVERY_WORDS = {
    DeliveryStatus.QUEUED: _l("queued"),
    DeliveryStatus.SENDING: _l("being sent"),
    DeliveryStatus.SUBMITTING: _l("being handed to the mail server"),
    DeliveryStatus.SENT: _l("sent"),
    DeliveryStatus.FAILED: _l("failed"),
    DeliveryStatus.CANCELLED: _l("cancelled"),
}
#: what a delivery is (`Delivery.kind`); every kind of mail has words (a test checks)
KIND_WORDS = {
    DeliveryKind.SUBSCRIPTION_CONFIRMATION: _l("Confirmation mail"),
    DeliveryKind.PREFERENCES_LINK: _l("Link to the newsletter settings"),
    DeliveryKind.ISSUE: _l("Newsletter issue"),
    DeliveryKind.ISSUE_TEST: _l("Test mail of an issue"),
    # service.accessibility's report of a barrier (the top floor, not imported here)
    "accessibility_feedback": _l("Report of a barrier"),
    EventMailKind.REGISTRATION_REQUEST: _l("Request to confirm a registration"),
    EventMailKind.CONFIRMATION: _l("Registration confirmed"),
    EventMailKind.PROMOTED: _l("Moved up from the waiting list"),
    EventMailKind.UPDATE: _l("Change of an event"),
    EventMailKind.INVITATION: _l("Invitation to an event"),
    EventMailKind.WAITING: _l("On the waiting list"),
    EventMailKind.REMINDER: _l("Reminder of an event"),
    EventMailKind.REGISTRATION_LINK: _l("Link to the registration"),
    EventMailKind.CANCELLED: _l("Event called off"),
    EventMailKind.REGISTRATION_CANCELLED: _l("Registration cancelled"),
    EventMailKind.MESSAGE: _l("Message to participants"),
    EventMailKind.MOVED: _l("Moved to another date"),
    EventMailKind.MOVED_AWAY: _l("Calendar entry of the date left"),
    EventMailKind.CERTIFICATE: _l("Certificate of attendance"),
    EventMailKind.FEEDBACK: _l("Invitation to give feedback"),
    EventMailKind.COURSE_REQUEST: _l("Request to confirm a course booking"),
    EventMailKind.COURSE_LINK: _l("Link to the course booking"),
    EventMailKind.COURSE_CONFIRMATION: _l("Course booking confirmed"),
    EventMailKind.COURSE_WAITING: _l("On a course's waiting list"),
    EventMailKind.COURSE_PROMOTED: _l("Moved up on a course's waiting list"),
    EventMailKind.COURSE_CANCELLED: _l("Course booking cancelled"),
    EventMailKind.FOLLOW_UP: _l("Materials after an event"),
    EventMailKind.COURSE_DATE: _l("Calendar entry for a course date"),
    EventMailKind.COURSE_DATE_CANCELLED: _l("Course date removed from the calendar"),
}
#: a registration's or course booking's status (`events.models.RegistrationStatus`), for
#: the data subject requests' pages
REGISTRATION_WORDS = {
    RegistrationStatus.PENDING: _l("Not confirmed yet (seat held)"),
    RegistrationStatus.PENDING_WAITING: _l("Not confirmed yet (waiting list)"),
    RegistrationStatus.INVITED: _l("Invited"),
    RegistrationStatus.CONFIRMED: _l("Registered"),
    RegistrationStatus.WAITING: _l("Waiting list"),
    RegistrationStatus.CANCELLED: pgettext_l("registration", "Cancelled"),
    RegistrationStatus.DECLINED: _l("Declined"),
    RegistrationStatus.EXPIRED: _l("Not confirmed (lapsed)"),
}
ATTENDANCE_WORDS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}


def personal_data_words() -> dict:
    """What templates/_personal_data.html needs: the words for the codes in an export,
    and its times (ISO text) shown in Berlin."""
    return {
        "words": {
            "subscriber": STATUS_WORDS,
            "source": SOURCE_WORDS,
            "consent_source": CONSENT_SOURCE_WORDS,
            "action": ACTION_WORDS,
            "registration": REGISTRATION_WORDS,
            "attendance": ATTENDANCE_WORDS,
            "kind": KIND_WORDS,
            "delivery": DELIVERY_WORDS,
        },
        "berlin_iso": lambda text: berlin(datetime.fromisoformat(text)),
    }
