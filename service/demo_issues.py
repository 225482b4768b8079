"""Demo issues for a first `make run`: two sent ones for the archive and its feeds, and
a draft to try the composer on (seeded by :mod:`service.demo`).

Written for this product in the shape of a KKP office's material; nothing copied.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from PIL import Image, ImageDraw, ImageFont

from events.models import Event
from kkp.db import utcnow
from kkp.i18n import BERLIN
from service.demo_course import ANNOUNCEMENT as COURSE_ANNOUNCEMENT
from service.demo_course import TOPICS
from service.demo_events import ANNOUNCEMENT
from service.demo_events import next_weekday as _next

WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")


def day_text(day: date) -> str:
    """The day as a German invitation names it: "Dienstag, 14.10.2026"."""
    return f"{WEEKDAYS[day.weekday()]}, {day:%d.%m.%Y}"


def morning(days_ago: int) -> datetime:
    """9:00 in Berlin, `days_ago` days before today, as UTC."""
    day = utcnow().astimezone(BERLIN).date() - timedelta(days=days_ago)
    return datetime.combine(day, time(9, 0), BERLIN).astimezone(UTC)


def chart_png() -> bytes:
    """A bar chart, "before" 48 % and "after" 71 %; its alternative text says the same."""
    picture = Image.new("RGB", (640, 340), "white")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=24)
    base, scale = 280, 240  # the axis, and the height of 100 %
    for share in (20, 40, 60, 80, 100):
        y = base - scale * share // 100
        draw.line((62, y, 600, y), fill=(220, 226, 232), width=1)
    draw.line((60, base, 600, base), fill=(74, 85, 98), width=3)
    draw.line((60, base - scale, 60, base), fill=(74, 85, 98), width=3)
    for x, share, colour, label in (
        (150, 48, (154, 173, 196), "vorher"),
        (370, 71, (11, 79, 138), "nachher"),
    ):
        top = base - scale * share // 100
        draw.rectangle((x, top, x + 140, base - 2), fill=colour)
        draw.text((x + 70, top - 8), f"{share} %", fill=(27, 31, 36), font=font, anchor="ms")
        draw.text((x + 70, base + 12), label, fill=(27, 31, 36), font=font, anchor="mt")
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def course_article(first: Event) -> dict:
    """The invitation to the bookable demo course (:mod:`service.demo_course`), written
    from the course itself: its title, dates and times, seats, deadline and page."""
    series = first.series
    start, end = (t.astimezone(BERLIN) for t in (first.starts_at, first.ends_at))
    hours = f"{start.hour}:{start:%M} bis {end.hour}:{end:%M}"
    dates = "".join(
        f"- {day_text(event.starts_at.astimezone(BERLIN).date())}: {topic}\n"
        for event, topic in zip(series.events, TOPICS, strict=True)
    )
    deadline = series.registration_deadline.astimezone(BERLIN)
    return {
        "title": series.title,
        "body": (
            "Wie läuft ein kommunales Sicherheitsaudit ab – von der Auftaktsitzung "
            "über Ortsbegehungen bis zum Maßnahmenplan? Die vierteilige Reihe richtet "
            f"sich an {first.audience}, die ein Audit in ihrer Kommune vorbereiten.\n\n"
            f"**Termine** (online, jeweils von {hours} Uhr):\n\n"
            f"{dates}\n"
            f"Die Teilnahme ist {first.cost_note}; es gibt {series.capacity} Plätze, die in "
            "der Reihenfolge der Buchungen vergeben werden. Eine Buchung gilt für alle vier "
            f"Termine. Anmeldeschluss ist der **{deadline:%d.%m.%Y}**."
        ),
        "links": "Programm und Anmeldung | "
        f"{current_app.config['KKP_BASE_URL']}/events/series/{series.slug}",
    }


def issue_one(course: Event) -> dict:
    """The first sent issue; `course`: the first date of the bookable course, which it
    invites to."""
    return {
        "title": "Sicherheit im öffentlichen Raum",
        "intro": (
            "Liebe Kolleginnen und Kollegen in den kommunalen Präventionsnetzwerken,\n\n"
            "in dieser Ausgabe blicken wir auf unser digitales Netzwerktreffen zurück, "
            "laden zu einer neuen Fortbildungsreihe ein und stellen ein Beleuchtungsprojekt "
            "aus Weinsheim vor. Zum Schluss gibt es einen Lesetipp für alle, die eine eigene "
            "Sicherheitsbefragung planen.\n\n"
            "Eine anregende Lektüre wünscht Ihnen Ihre Geschäftsstelle"
        ),
        "articles": [
            {
                "title": "Rückblick: Digitales Netzwerktreffen der Ansprechpersonen",
                "body": (
                    "Rund 60 Ansprechpersonen aus Städten, Gemeinden und Landkreisen haben "
                    "sich beim digitalen Netzwerktreffen der Geschäftsstelle ausgetauscht. Im "
                    "Mittelpunkt stand die Frage, wie Kommunen ihre Präventionsarbeit auf ein "
                    "belastbares Lagebild stützen können.\n\n"
                    "Das Ordnungsamt der Stadt Weinsheim zeigte, wie es Beschwerden aus der "
                    "Bürgerschaft, Zahlen der Polizei und die Ergebnisse von "
                    "Stadtteilbegehungen zusammenführt. In Kleingruppen ging es anschließend "
                    "um **Datenschutz bei Befragungen**, die Beteiligung Jugendlicher und die "
                    "Zusammenarbeit mit den örtlichen Polizeirevieren.\n\n"
                    "Die Präsentationen stehen den Netzwerkmitgliedern im internen Bereich "
                    "bereit. Das nächste Treffen findet in Präsenz statt."
                ),
                "links": "Präsentationen im internen Bereich | "
                "https://www.example.org/kkp/netzwerk/praesentationen",
            },
            course_article(course),
            {
                "title": "Projektbericht: „Helle Wege“ im Weinsheimer Nordviertel",
                "body": (
                    "Dunkle Unterführungen, zugewachsene Fußwege, schlecht beleuchtete "
                    "Haltestellen: Bei einer Stadtteilbegehung nannten Anwohnerinnen und "
                    "Anwohner vor allem solche Orte, an denen sie sich abends unwohl fühlen. "
                    "Das Ordnungsamt startete daraufhin mit den Stadtwerken, dem "
                    "Grünflächenamt und dem Seniorenrat das Projekt „Helle Wege“.\n\n"
                    "Innerhalb eines Jahres wurden 14 Stellen neu beleuchtet oder "
                    "freigeschnitten. Eine zweite Befragung zeigt, dass sich deutlich mehr "
                    "Menschen abends auf dem Weg zur Haltestelle sicher fühlen.\n\n"
                    "> Oft bewirken kleine Maßnahmen viel – entscheidend war, dass wir die "
                    "Menschen vor Ort gefragt haben.\n\n"
                    "Die Stadt gibt ihre Checkliste für Begehungen gern an andere Kommunen "
                    "weiter."
                ),
                "links": "Checkliste für Stadtteilbegehungen (PDF) | "
                "https://www.example.org/weinsheim/helle-wege/checkliste.pdf",
                "image": chart_png,
                "image_alt": (
                    "Balkendiagramm: Von den Befragten im Nordviertel fühlten sich abends auf "
                    "dem Weg zur Haltestelle vor dem Projekt 48 Prozent sicher, danach "
                    "71 Prozent."
                ),
            },
            {
                "title": "Lesetipp: Leitfaden für kommunale Sicherheitsbefragungen",
                "body": (
                    "Wer eine eigene Befragung zum Sicherheitsgefühl plant, findet im neuen "
                    "Leitfaden der Hochschule für öffentliche Verwaltung praktische Hinweise – "
                    "von der Stichprobe über den Fragebogen bis zur Veröffentlichung der "
                    "Ergebnisse. Ein eigenes Kapitel widmet sich kleinen Gemeinden, die eine "
                    "Befragung am besten gemeinsam mit Nachbarkommunen angehen.\n\n"
                    "Außerdem empfehlen wir die Materialsammlung des Netzwerks zu "
                    "Nachbarschaftshilfe und Prävention im Alter."
                ),
                "links": (
                    "Leitfaden Sicherheitsbefragung (PDF) | "
                    "https://www.example.org/hoev/leitfaden-sicherheitsbefragung.pdf\n"
                    "Materialsammlung Prävention im Alter | "
                    "https://www.example.org/kkp/material/praevention-im-alter"
                ),
            },
        ],
    }


def issue_two(sent: datetime) -> dict:
    info = _next(2, sent.date() + timedelta(days=10))  # a Wednesday
    return {
        "title": "Netzwerke stärken, Ideen fördern",
        "intro": (
            "Liebe Netzwerkpartnerinnen und Netzwerkpartner,\n\n"
            "die Lenkungsgruppe hat ihr Arbeitsprogramm beschlossen – die wichtigsten Punkte "
            "lesen Sie im ersten Beitrag. Außerdem laden wir zu einer digitalen "
            "Infoveranstaltung über unser Förderprogramm ein und berichten aus dem Talkreis, "
            "wo ehrenamtliche Sicherheitsberaterinnen und -berater für ältere Menschen "
            "unterwegs sind."
        ),
        "articles": [
            {
                "title": "Lenkungsgruppe beschließt Arbeitsprogramm",
                "body": (
                    "In ihrer Sitzung hat die Lenkungsgruppe drei Schwerpunkte für die "
                    "kommenden Monate festgelegt:\n\n"
                    "1. **Prävention im digitalen Raum:** Mit den Trägern der Jugendhilfe "
                    "entsteht ein Baukasten für Elternabende zu Cybergrooming und Betrug in "
                    "sozialen Netzwerken.\n"
                    "2. **Sicherheit im Alter:** Die Sicherheitsberatung für Seniorinnen und "
                    "Senioren soll in weitere Landkreise wachsen.\n"
                    "3. **Neue Präventionsräte:** Kommunen, die ein Gremium gründen wollen, "
                    "begleitet die Geschäftsstelle von der ersten Lenkungssitzung bis zur "
                    "konstituierenden Sitzung.\n\n"
                    "Die Einladung zur Jahrestagung folgt mit der nächsten Ausgabe."
                ),
                "links": "",
            },
            {
                "title": "Digitale Infoveranstaltung: Förderprogramm für kleine Projekte",
                "body": (
                    "Auch in diesem Jahr fördert die Geschäftsstelle kleine "
                    "Präventionsprojekte von Kommunen und Vereinen mit bis zu 3.000 Euro. In "
                    "einer Online-Infoveranstaltung erklären wir, welche Vorhaben gefördert "
                    "werden können, wie der Antrag aussieht und worauf die Jury achtet.\n\n"
                    f"**{day_text(info)}, von 14 bis 15 Uhr, online**\n\n"
                    "Eine Anmeldung ist nicht nötig: Wählen Sie sich einfach über den Link "
                    "ein. Fragen können Sie uns vorab per E-Mail schicken."
                ),
                "links": (
                    "Zur Online-Veranstaltung | https://meet.example.org/kkp-foerderung-info\n"
                    "Förderrichtlinie und Antragsformular | "
                    "https://www.example.org/kkp/foerderung/kleinprojekte"
                ),
            },
            {
                "title": "Aus den Netzwerken: Sicherheitsberatung für Ältere im Talkreis",
                "body": (
                    "Falsche Polizeibeamte am Telefon, angebliche Handwerker an der Tür, "
                    "Schockanrufe: Ältere Menschen werden immer wieder gezielt getäuscht. Im "
                    "Talkreis geben inzwischen 22 ehrenamtliche Sicherheitsberaterinnen und "
                    "-berater ihr Wissen in Seniorentreffs, Kirchengemeinden und "
                    "Sportvereinen weiter.\n\n"
                    "Ausgebildet wurden sie vom Kriminalpräventiven Rat gemeinsam mit der "
                    "Polizei und dem Seniorenrat. Viele Ältere erzählen Gleichaltrigen eher "
                    "von einem verdächtigen Anruf als einer Behörde – genau darauf baut das "
                    "Projekt. Eine zweite Schulungsrunde ist geplant."
                ),
                "links": "Projektbeschreibung | "
                "https://www.example.org/talkreis/sicherheitsberatung-senioren",
            },
            {
                "title": "Neu in der Mediathek: Arbeitshilfe „Einen Präventionsrat gründen“",
                "body": (
                    "Die überarbeitete Arbeitshilfe führt Schritt für Schritt durch die "
                    "Gründung eines kommunalen Präventionsrats: Wer gehört in die "
                    "Lenkungsgruppe? Wie findet man Themen für die Arbeitsgruppen? Wie "
                    "bereitet man die konstituierende Sitzung vor? Musterschreiben und eine "
                    "Vorlage für die Geschäftsordnung erleichtern den Start.\n\n"
                    "*Tipp:* Auch bestehende Gremien können damit ihre Arbeitsweise "
                    "überprüfen."
                ),
                "links": "Arbeitshilfe (PDF) | "
                "https://www.example.org/kkp/mediathek/praeventionsrat-gruenden.pdf",
            },
        ],
    }


DRAFT = {
    "title": "Einladung zur Jahrestagung",
    "intro": (
        "Liebe Kolleginnen und Kollegen,\n\n"
        "mit dieser Ausgabe laden wir Sie herzlich zu unserer Jahrestagung ein."
    ),
    "articles": [
        {
            "title": "Jahrestagung „Sicherheit in der Kommune“",
            "body": (
                "Einen Tag lang tauschen sich Verwaltung, Polizei, Zivilgesellschaft und "
                "Wissenschaft über Prävention vor Ort aus. *Programm, Ort und Anmeldung bitte "
                "vor dem Versand ergänzen.*"
            ),
            "links": "",
        },
        ANNOUNCEMENT,
        COURSE_ANNOUNCEMENT,
        {
            "title": "Termine im Überblick",
            "body": "- Netzwerktreffen (online)\n- Sitzung der Lenkungsgruppe\n- Jahrestagung",
            "links": "",
        },
    ],
}
