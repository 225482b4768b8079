"""The demo's whole course: "Sicherheitsaudits in der Kommune planen" in four online
dates (the seeds' newsletter announces such a series), free, six seats booked as one
course with a deadline, a required question and an optional consent; six people booked
by the office with their answers, one more on the waiting list. And a course that took
place last term (:func:`seed_past_course`): attendance marked, certificates issued, so
that every editor's page of a course has something to show.

Written for this product in the shape of a KKP office's material; nothing copied.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from events import attendance, certificates
from events.answers import consent_field, record_consents, save_answers
from events.courses import add_booking
from events.models import (
    AttendanceStatus,
    Event,
    EventFormat,
    RegistrationMode,
    RegistrationScope,
    RegistrationStatus,
)
from events.operations import EventInput, create_event, publish_event, save_series
from events.questions import QuestionInput, save_consent, save_question
from events.series_settings import SeriesSettings, berlin_deadline, save_settings
from people.models import ConsentSource

COURSE = {
    "title": "Fortbildung: Sicherheitsaudits in der Kommune planen",
    "summary": (
        "Vier Online-Termine: vom Auftakt über Befragungen und Begehungen bis zum "
        "Maßnahmenplan. Eine Buchung gilt für alle vier Termine."
    ),
    "format": EventFormat.ONLINE,
    "join_url": "https://meet.example.org/kkp-sicherheitsaudit",
    "audience": "Beschäftigte aus Verwaltung, Polizei und freien Trägern",
    "cost_note": "kostenfrei",
    "registration_mode": RegistrationMode.OPEN,
    "organizer_name": "Geschäftsstelle Kommunale Kriminalprävention",
    "organizer_email": "geschaeftsstelle@example.org",
}

#: the four dates' topics
TOPICS = (
    "Grundlagen und Rollen im Audit",
    "Daten, Befragungen und Begehungen",
    "Bürgerinnen und Bürger beteiligen",
    "Vom Befund zum Maßnahmenplan",
)

#: (name, organisation) of those booked; the last one waits
BOOKED = (
    ("Jana Oberländer", "Stadt Weinsheim, Ordnungsamt"),
    ("Mehmet Arslan", "Landratsamt Talkreis"),
    ("Aylin Krüger", "Staatliches Schulamt Weinsheim"),
    ("Tobias Wendling", "Kreisjugendring Talkreis"),
    ("Sabine Roth", "Gemeinde Lindach"),
    ("Jonas Petersen", "Polizeipräsidium Nordhafen"),
    ("Marta Nowak", "Stadt Bergfeld, Jugendamt"),
)


#: the course's own question (required) and its optional consent
QUESTION = QuestionInput(
    kind="short_text",
    label="Für welche Kommune planen Sie ein Audit?",
    label_en="For which municipality are you planning an audit?",
    required=True,
)
CONSENT = (
    "Mein Name und meine Organisation dürfen auf der Teilnehmerliste stehen, die alle "
    "Teilnehmenden erhalten.",
    "My name and organisation may be on the participant list handed to all participants.",
)

#: an article of the draft issue that announces the course through its event block
#: (its first date: when, the link to book); the seats and the deadline are the course's
ANNOUNCEMENT = {
    "title": "Noch einmal: Sicherheitsaudits in der Kommune planen",
    "body": (
        "Die Online-Reihe zu kommunalen Sicherheitsaudits beginnt in Kürze. Eine Buchung "
        "gilt für alle vier Termine; ist die Reihe ausgebucht, kommen Sie auf die "
        "Warteliste und rücken nach, sobald jemand absagt."
    ),
    "links": "",
    "event": "course",
}

#: the course of last term: its title, and how many of its four dates each came to
PAST_TITLE = "Fortbildung: Kriminalprävention im Quartier"
PAST_CAME = (4, 3, 4, 1)


def _address(name: str) -> str:
    local = name.lower().replace(" ", ".")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        local = local.replace(umlaut, plain)
    return f"{local}@example.org"


def seed_course(kind_id: int, first: date) -> Event:
    """The course with its four weekly dates from `first` (9:30 to 12:30) and its
    bookings; returns the first date."""
    series = save_series(
        None,
        title=COURSE["title"],
        description=(
            "Wie läuft ein kommunales Sicherheitsaudit ab? Die vierteilige Reihe richtet "
            "sich an alle, die ein Audit in ihrer Kommune vorbereiten:\n\n"
            + "\n".join(f"{n}. {topic}" for n, topic in enumerate(TOPICS, start=1))
            + "\n\nDie Teilnahme ist kostenfrei; eine Buchung gilt für alle vier Termine."
        ),
    )
    dates = []
    for n, topic in enumerate(TOPICS):
        event = create_event(
            EventInput(
                kind_id=kind_id,
                start_day=first + timedelta(weeks=n),
                start_time=time(9, 30),
                end_time=time(12, 30),
                series_id=series.id,
                description=f"Termin {n + 1} von 4: {topic}",
                **COURSE,
            )
        )
        publish_event(event)
        dates.append(event)
    errors: dict = {}
    save_settings(
        series,
        SeriesSettings(
            registration_scope=RegistrationScope.COURSE,
            capacity=len(BOOKED) - 1,
            registration_deadline=berlin_deadline(first - timedelta(days=7), None, errors),
            teaching_units=True,
            certificate_summary="Ablauf eines Sicherheitsaudits, Befragungen, Begehungen, "
            "Beteiligung, Maßnahmenplan",
            signer_name="Dr. Katrin Vogt",
            signer_role="Leiterin der Geschäftsstelle",
        ),
    )
    question = save_question(series, None, QUESTION)
    offer = save_consent(series, None, *CONSENT)
    for n, (name, organisation) in enumerate(BOOKED):
        booking, _outcome = add_booking(
            series.id, name=name, email=_address(name), organisation=organisation
        )
        save_answers({question.id: organisation.split(",")[0]}, booking=booking)
        if n % 2 == 0:
            record_consents(
                [offer],
                {consent_field(offer): "yes"},
                booking=booking,
                locale="de",
                source=ConsentSource.EDITOR,
            )
    return dates[0]


def seed_past_course(kind_id: int, first: date, weeks_ago: int) -> Event:
    """A course like the one above, its four dates moved `weeks_ago` weeks back once
    booked (as if the term had passed): attendance marked, certificates issued to those
    who came to three dates or more. Returns its first date."""
    series = save_series(
        None,
        title=PAST_TITLE,
        description="Vier Termine im letzten Halbjahr; die Teilnahmebescheinigungen sind "
        "ausgestellt.",
    )
    dates = []
    for n in range(4):
        event = create_event(
            EventInput(
                kind_id=kind_id,
                start_day=first + timedelta(weeks=n),
                start_time=time(9, 30),
                end_time=time(12, 30),
                series_id=series.id,
                description=f"Termin {n + 1} von 4",
                **{**COURSE, "title": PAST_TITLE},
            )
        )
        publish_event(event)
        dates.append(event)
    save_settings(
        series,
        SeriesSettings(
            registration_scope=RegistrationScope.COURSE,
            capacity=len(PAST_CAME),
            registration_deadline=None,
            teaching_units=True,
            certificate_summary="Lagebild im Quartier, Netzwerke, Beteiligung",
            signer_name="Dr. Katrin Vogt",
            signer_role="Leiterin der Geschäftsstelle",
        ),
    )
    bookings = [
        add_booking(series.id, name=name, email=_address(name), organisation=organisation)[0]
        for name, organisation in BOOKED[: len(PAST_CAME)]
    ]
    back = timedelta(weeks=weeks_ago)
    for event in dates:
        event.starts_at, event.ends_at = event.starts_at - back, event.ends_at - back
    now = dates[-1].ends_at + timedelta(hours=1)
    for booking, came in zip(bookings, PAST_CAME, strict=True):
        for n, registration in enumerate(sorted(booking.registrations, key=_day_of)):
            if registration.status == RegistrationStatus.CONFIRMED:
                status = AttendanceStatus.PRESENT if n < came else AttendanceStatus.ABSENT
                attendance.mark(registration.id, status, now)
        if came >= 3:
            certificates.issue(booking.id)
    return dates[0]


def _day_of(registration) -> object:
    return registration.event.starts_at
