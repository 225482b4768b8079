"""Each audited action as a sentence: who did what to which object, e.g. "Anna Schmidt
hat die Ausgabe 3/2026 versendet".

The templates take `%(who)s` (the editor's name, or who acted without an account) and
`%(object)s` (the object's name, a link where it has a page); a translation may leave
either out. Every action in :data:`kkp.auth.audit_log.ACTIONS` has one (a test checks).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SENTENCES = {
    "api_token.create": _l("%(who)s created the API token %(object)s"),
    "api_token.revoke": _l("%(who)s revoked the API token %(object)s"),
    "subscriber.bulk_add": _l("%(who)s added subscribers to the list %(object)s"),
    "subscriber.bulk_remove": _l("%(who)s removed subscribers from the list %(object)s"),
    "subscriber.bulk_delete": _l("%(who)s deleted subscribers"),
    "certificate.issue": _l("%(who)s issued a certificate of attendance for %(object)s"),
    "certificate.send": _l("%(who)s sent a certificate of attendance for %(object)s"),
    "certificate.send_all": _l(
        "%(who)s sent the certificates of attendance for %(object)s to everyone eligible"
    ),
    "event.feedback_invite": _l(
        "%(who)s invited the participants of the event %(object)s to give feedback"
    ),
    "event_series.feedback_invite": _l(
        "%(who)s invited the participants of the series %(object)s to give feedback"
    ),
    "consent_text.publish": _l("%(who)s published a new consent text"),
    "editor.create": _l("%(who)s created the editor account %(object)s"),
    "editor.password_change": _l("%(who)s changed the password of %(object)s"),
    "event.create": _l("%(who)s created the event %(object)s"),
    "event.update": _l("%(who)s changed the event %(object)s"),
    "event.questions": _l("%(who)s changed the registration questions of the event %(object)s"),
    "event_series.questions": _l(
        "%(who)s changed the registration questions of the series %(object)s"
    ),
    "event.materials": _l("%(who)s changed the materials of the event %(object)s"),
    "event_series.materials": _l("%(who)s changed the materials of the series %(object)s"),
    "event.follow_up": _l("%(who)s sent the follow-up mail of the event %(object)s"),
    "event_series.follow_up": _l("%(who)s sent the follow-up mail of the series %(object)s"),
    "event.publish": _l("%(who)s published the event %(object)s"),
    "event.cancel": _l("%(who)s called off the event %(object)s"),
    "event.delete": _l("%(who)s deleted the event %(object)s"),
    "event.anonymise": _l("The participants' data of %(object)s was anonymised"),
    "data_request.find": _l("%(who)s looked up everything about a person (data subject request)"),
    "data_request.export": _l("%(who)s exported a person's data (data subject request)"),
    "data_request.erase": _l("%(who)s erased a person's data (data subject request)"),
    "event.invite_list": _l("%(who)s invited a list to the event %(object)s"),
    "event_kind.create": _l("%(who)s created the kind of event %(object)s"),
    "event_series.save": _l("%(who)s saved the series %(object)s"),
    "event_series.settings": _l("%(who)s changed how the series %(object)s is booked"),
    "course_booking.add": _l("%(who)s booked someone for the course %(object)s"),
    "course_booking.remove": _l("%(who)s removed a participant from the course %(object)s"),
    "course_booking.move_up": _l("%(who)s moved someone up on the course %(object)s"),
    "course_booking.consent_withdraw": _l(
        "%(who)s withdrew a consent of a participant of the course %(object)s at their request"
    ),
    "import.upload": _l("%(who)s uploaded the file for the CSV import %(object)s"),
    "import.create": _l("%(who)s started the CSV import %(object)s"),
    "import.fail": _l("The CSV import %(object)s failed"),
    "import.finish": _l("The CSV import %(object)s finished"),
    "issue.create": _l("%(who)s created the issue %(object)s"),
    "issue.delete": _l("%(who)s deleted the issue %(object)s"),
    "issue.send": _l("%(who)s sent the issue %(object)s"),
    "issue.schedule": _l("%(who)s scheduled the issue %(object)s for sending"),
    "issue.unschedule": _l("%(who)s withdrew the scheduled sending of the issue %(object)s"),
    "issue.pause": _l("%(who)s paused sending the issue %(object)s"),
    "issue.resume": _l("%(who)s resumed sending the issue %(object)s"),
    "issue.cancel": _l("%(who)s cancelled sending the issue %(object)s"),
    "issue.template_set": _l("%(who)s made the issue %(object)s the template for new issues"),
    "issue.template_clear": _l("%(who)s stopped using the issue %(object)s as the template"),
    "issue.resend_interrupted": _l(
        "%(who)s sent the interrupted deliveries of the issue %(object)s again"
    ),
    "issue.test_send": _l("%(who)s sent a test mail of the issue %(object)s"),
    "list.create": _l("%(who)s created the list %(object)s"),
    "list.update": _l("%(who)s changed the list %(object)s"),
    "registration.add": _l("%(who)s added a registration for %(object)s"),
    "registration.remove": _l("%(who)s removed a participant from %(object)s"),
    "registration.move_up": _l(
        "%(who)s moved a registration for %(object)s up from the waiting list"
    ),
    "registration.move": _l("%(who)s moved a registration to another date: %(object)s"),
    "registration.consent_withdraw": _l(
        "%(who)s withdrew a consent of a participant of %(object)s at their request"
    ),
    "registration.bulk_confirm": _l("%(who)s confirmed registrations for %(object)s"),
    "registration.bulk_move_up": _l(
        "%(who)s moved registrations for %(object)s up from the waiting list"
    ),
    "registration.message": _l("%(who)s sent a message to participants of %(object)s"),
    "registration.export": _l("%(who)s exported participants of %(object)s"),
    "registration.attendance": _l("%(who)s marked the attendance of a participant of %(object)s"),
    "attendance_scan.upload": _l(
        "%(who)s uploaded a scan of the signed sign-in sheet of %(object)s"
    ),
    "attendance_scan.delete": _l(
        "%(who)s deleted a scan of the signed sign-in sheet of %(object)s"
    ),
    "settings.change": _l("%(who)s changed the settings"),
    "subscriber.create": _l("%(who)s added the subscriber %(object)s"),
    "subscriber.update": _l("%(who)s changed the subscriber %(object)s"),
    "subscriber.delete": _l("%(who)s deleted a subscriber"),
    "suppression.release": _l("%(who)s released the address of %(object)s from the blocked ones"),
    "subscriber.export": _l("%(who)s exported subscribers"),
    "subscriber.unsubscribe": _l("%(who)s unsubscribed the subscriber %(object)s from a list"),
}

#: who acted when no editor did, by `AuditEntry.channel`
NOBODY = {
    "public": _l("Someone on the public pages"),
    "cli": _l("Someone on the command line"),
    "api": _l("An API client"),
}
#: anyone else without an account: the background jobs
SYSTEM = _l("The system")
