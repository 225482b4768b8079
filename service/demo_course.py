"""The demo's whole course: "Sicherheitsaudits in der Kommune planen" in four online
dates (the seeds' newsletter announces such a series), free, six seats booked as one
course with a deadline; six people booked by the office, one more on the waiting list.

Written for this product in the shape of a KKP office's material; nothing copied.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from events.courses import add_booking
from events.models import Event, EventFormat, RegistrationMode, RegistrationScope
from events.operations import EventInput, create_event, publish_event, save_series
from events.series_settings import SeriesSettings, berlin_deadline, save_settings

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
    for name, organisation in BOOKED:
        add_booking(series.id, name=name, email=_address(name), organisation=organisation)
    return dates[0]
