"""Demo events for a first `make run`: a training in three dates, an online info event,
a hybrid network meeting and a committee session, all in the coming weeks and published;
and a course of four dates booked as a whole, plus last term's course with attendance
and certificates (:mod:`service.demo_course`).

Written for this product in the shape of a KKP office's material; nothing copied.
"""

from __future__ import annotations

from datetime import date, time, timedelta

from events.models import Event, EventFormat, RegistrationMode
from events.operations import (
    EventInput,
    copy_event,
    create_event,
    ensure_default_kinds,
    kinds,
    publish_event,
)
from kkp.db import utcnow
from kkp.i18n import BERLIN
from service.demo_course import seed_course, seed_past_course

ORGANIZER = {
    "organizer_name": "Geschäftsstelle Kommunale Kriminalprävention",
    "organizer_email": "geschaeftsstelle@example.org",
}

TRAINING = {
    "title": "Fortbildung: Kommunale Lagebilder erstellen",
    "summary": (
        "Drei Präsenztermine für alle, die in ihrer Kommune ein Lagebild zur Sicherheit "
        "aufbauen wollen – von der Datensammlung bis zur Vorstellung im Gemeinderat."
    ),
    "description": (
        "Ein gutes Lagebild verbindet Zahlen der Polizei, Beobachtungen der Verwaltung und "
        "die Sicht der Menschen im Stadtteil. In drei aufeinander aufbauenden Terminen "
        "erarbeiten die Teilnehmenden Schritt für Schritt ein Lagebild für ihre eigene "
        "Kommune:\n\n"
        "1. **Quellen erschließen:** Welche Daten gibt es, wer hat sie, was darf man nutzen?\n"
        "2. **Auswerten und verorten:** Karten, Zeitreihen und Ortsbegehungen\n"
        "3. **Ergebnisse vermitteln:** Vom Befund zur Vorlage für Rat und Lenkungsgruppe\n\n"
        "Bitte melden Sie sich für jeden Termin einzeln an; die Teilnahme an allen drei "
        "Terminen wird empfohlen."
    ),
    "format": EventFormat.IN_PERSON,
    "venue": "Bildungszentrum der Landesverwaltung, Seminarraum 2",
    "address": "Am Schlossgarten 12, 70173 Stuttgart",
    "audience": "Beschäftigte aus Verwaltung, Polizei und freien Trägern",
    "cost_note": "kostenfrei",
    "registration_mode": RegistrationMode.OPEN,
    "capacity": 16,
}

INFO = {
    "title": "Online-Infoveranstaltung: Förderaufruf Nachbarschaftsprojekte",
    "summary": (
        "Eine Stunde zum neuen Förderaufruf: was gefördert wird, wie der Antrag aussieht, "
        "Zeit für Fragen. Ohne Anmeldung – einfach über den Link einwählen."
    ),
    "description": (
        "Vereine, Initiativen und Kommunen können für Nachbarschaftsprojekte zur "
        "Prävention eine Förderung beantragen. Wir stellen den Aufruf vor, zeigen "
        "gelungene Beispiele aus dem vergangenen Jahr und beantworten Ihre Fragen.\n\n"
        "Fragen können Sie uns gern auch vorab per E-Mail schicken."
    ),
    "format": EventFormat.ONLINE,
    "join_url": "https://meet.example.org/kkp-foerderaufruf-nachbarschaft",
    "audience": "Vereine, Initiativen und Kommunen",
    "cost_note": "kostenfrei",
    "registration_mode": RegistrationMode.NONE,
}

NETWORK = {
    "title": "Netzwerktreffen: Sicherheit im Bahnhofsumfeld",
    "summary": (
        "Austausch der Ansprechpersonen über Bahnhöfe und Haltestellen als Angsträume – "
        "vor Ort in Bergfeld oder online zugeschaltet."
    ),
    "description": (
        "Bahnhofsvorplätze und Haltestellen beschäftigen viele Kommunen. Die Stadt Bergfeld "
        "berichtet, wie Ordnungsamt, Verkehrsbetriebe, Sozialarbeit und Polizei dort "
        "gemeinsam auftreten. Danach tauschen wir uns in kleinen Runden über Erfahrungen "
        "mit Beleuchtung, Aufenthaltsqualität und aufsuchender Arbeit aus.\n\n"
        "Wer nicht anreisen kann, wählt sich online ein; den Link erhalten Sie mit der "
        "Anmeldebestätigung."
    ),
    "format": EventFormat.HYBRID,
    "venue": "Rathaus Bergfeld, Großer Sitzungssaal",
    "address": "Rathausplatz 1, 79100 Bergfeld",
    "join_url": "https://meet.example.org/kkp-netzwerktreffen-bahnhof",
    "audience": "Ansprechpersonen der kommunalen Präventionsnetzwerke",
    "cost_note": "kostenfrei; Reisekosten werden nicht erstattet",
    "registration_mode": RegistrationMode.OPEN,
}

COMMITTEE = {
    "title": "Sitzung der Lenkungsgruppe",
    "summary": "Die Lenkungsgruppe berät über die Förderentscheidungen und die Jahrestagung.",
    "description": (
        "Tagesordnung:\n\n"
        "1. Bericht der Geschäftsstelle\n"
        "2. Entscheidung über die eingegangenen Förderanträge\n"
        "3. Programm der Jahrestagung\n"
        "4. Verschiedenes\n\n"
        "Die Unterlagen gehen den Mitgliedern eine Woche vor der Sitzung zu."
    ),
    "format": EventFormat.IN_PERSON,
    "venue": "Geschäftsstelle, Besprechungsraum 3. OG",
    "address": "Königstraße 40, 70173 Stuttgart",
    "audience": "Mitglieder der Lenkungsgruppe",
    "registration_mode": RegistrationMode.INVITATION,
}

#: an article of the draft issue that announces the network meeting
ANNOUNCEMENT = {
    "title": "Netzwerktreffen: Sicherheit im Bahnhofsumfeld",
    "body": (
        "Wie gelingt es, Bahnhofsvorplätze und Haltestellen zu Orten zu machen, an "
        "denen sich alle sicher fühlen? Beim nächsten Netzwerktreffen berichtet die "
        "Stadt Bergfeld von ihren Erfahrungen. Sie können vor Ort oder online "
        "teilnehmen."
    ),
    "links": "",
    "event": "network",
}

#: (role, kind, content, weekday (0 = Monday), at least this many days ahead, start, end)
OTHERS = (
    ("info", "infoveranstaltung", INFO, 2, 9, (14, 0), (15, 0)),
    ("network", "netzwerktreffen", NETWORK, 3, 28, (10, 0), (15, 30)),
    ("committee", "gremiensitzung", COMMITTEE, 0, 35, (13, 0), (16, 0)),
)


def next_weekday(weekday: int, after: date) -> date:
    """The first `weekday` (0 = Monday) on or after `after`."""
    return after + timedelta(days=(weekday - after.weekday()) % 7)


def _input(kind_ids: dict[str, int], kind: str, content: dict, day: date, start, end):
    return EventInput(
        kind_id=kind_ids[kind],
        start_day=day,
        start_time=time(*start),
        end_time=time(*end),
        **ORGANIZER,
        **content,
    )


def seed_events() -> dict[str, Event]:
    """The demo events, published; returns them by role ("training" is the first date)."""
    ensure_default_kinds()
    kind_ids = {kind.slug: kind.id for kind in kinds()}
    today = utcnow().astimezone(BERLIN).date()

    first = next_weekday(1, today + timedelta(days=21))  # Tuesdays, from three weeks on
    data = _input(kind_ids, "fortbildung", TRAINING, first, (9, 30), (16, 0))
    data.deadline_day = first - timedelta(days=7)
    training = create_event(data)
    dates = [training] + [
        copy_event(training, start_day=first + timedelta(weeks=n)) for n in (1, 2)
    ]

    created = {"training": training}
    for role, kind, content, weekday, days, start, end in OTHERS:
        day = next_weekday(weekday, today + timedelta(days=days))
        created[role] = create_event(_input(kind_ids, kind, content, day, start, end))
    for event in dates + [created[role] for role, *_rest in OTHERS]:
        publish_event(event)
    course_start = next_weekday(1, today + timedelta(days=17))  # Tuesdays
    created["course"] = seed_course(kind_ids["fortbildung"], course_start)
    # booked while it was still to come, then moved 20 weeks back: last term's course
    created["past_course"] = seed_past_course(kind_ids["fortbildung"], course_start, 20)
    return created
