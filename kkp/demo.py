"""Demo content for a first `make run`: lists, the consent text, subscribers.

Written for this product in the shape of a KKP office's material; nothing copied.
"""

from __future__ import annotations

import sqlalchemy as sa

from kkp.db import utcnow
from kkp.extensions import db
from newsletter.models import ConsentEvent, MailingList, Subscriber, Subscription

CONSENT_TEXT = (
    "Die Geschäftsstelle für Kommunale Kriminalprävention verarbeitet Ihre E-Mail-Adresse "
    "sowie freiwillig angegebenen Namen und Ihre Organisation, um Ihnen die gewählten "
    "Informationen per E-Mail zu senden. Rechtsgrundlage ist Ihre Einwilligung "
    "(Art. 6 Abs. 1 lit. a DSGVO). Sie können sie jederzeit über den Abmeldelink in jeder "
    "E-Mail widerrufen. Unbestätigte Anmeldungen löschen wir nach wenigen Tagen."
)

LISTS = [
    (
        "kkp-kompakt",
        "KKP Kompakt",
        "Der Newsletter der Geschäftsstelle: Berichte, Projekte, Termine aus den Netzwerken.",
    ),
    (
        "fortbildungen",
        "Fortbildungen",
        "Einladungen zu Schulungen und Qualifizierungsreihen, sobald die Anmeldung öffnet.",
    ),
    (
        "netzwerktreffen",
        "Netzwerktreffen",
        "Einladungen zu Netzwerktreffen, Sitzungen der Lenkungsgruppe und Fachtagen.",
    ),
]

PEOPLE = [
    ("Jana Oberländer", "Stadt Weinsheim, Ordnungsamt"),
    ("Mehmet Arslan", "Landratsamt Talkreis, Kriminalpräventiver Rat"),
    ("Birgit Schäfer-Lüdemann", "Polizeipräsidium Nordhafen, Referat Prävention"),
    ("Tobias Wendling", "Kreisjugendring Talkreis"),
    ("Aylin Krüger", "Staatliches Schulamt Weinsheim"),
    ("Henrike Voß", "Seniorenrat der Stadt Bergfeld"),
    ("Dr. Konstantin Möller", "Hochschule für öffentliche Verwaltung"),
    ("Sabine Großkopf", "Suchtberatung Am Markt e. V."),
]


def seed() -> str:
    """Add the demo content unless lists exist already; returns what it did."""
    from newsletter.operations import publish_consent_text

    if db.session.scalar(sa.select(sa.func.count(MailingList.id))):
        return "demo content exists already"
    lists = []
    for position, (slug, name, description) in enumerate(LISTS):
        mailing_list = MailingList(slug=slug, name=name, description=description, position=position)
        db.session.add(mailing_list)
        lists.append(mailing_list)
    consent = publish_consent_text(CONSENT_TEXT)
    now = utcnow()
    for index, (name, organisation) in enumerate(PEOPLE):
        local = name.lower().replace("dr. ", "").replace(" ", ".").replace("-", "")
        local = local.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
        subscriber = Subscriber(
            email=f"{local}@example.org",
            name=name,
            organisation=organisation,
            status="confirmed",
            source="import",
            confirmed_at=now,
        )
        chosen = (
            [lists[0]]
            + ([lists[1]] if index % 2 == 0 else [])
            + ([lists[2]] if index % 3 == 0 else [])
        )
        for mailing_list in chosen:
            subscriber.subscriptions.append(
                Subscription(mailing_list=mailing_list, status="confirmed", confirmed_at=now)
            )
        subscriber.consent_events.append(
            ConsentEvent(
                action="added",
                lists=[m.name for m in chosen],
                source="import",
                consent_version=consent.version,
                details={"evidence": "Demo-Daten: Anmeldeliste des Netzwerktreffens"},
            )
        )
        db.session.add(subscriber)
    db.session.commit()
    return f"demo content added: {len(lists)} lists, {len(PEOPLE)} subscribers"
