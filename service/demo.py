"""Demo content for a first `make run`: lists, the consent text, the office's postal
address, subscribers, two sent issues for the archive and its feeds, a draft to try the
composer on, and upcoming events (`service.demo_events`). The first sent issue invites
to the bookable course (its dates, seats and deadline are the course's), and the draft
announces the network meeting and the course through their event blocks.

Written for this product in the shape of a KKP office's material; nothing copied.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from events.models import Event
from kkp.db import utcnow
from kkp.extensions import db
from kkp.i18n import BERLIN
from newsletter import issues
from newsletter.models import (
    ConsentEvent,
    Issue,
    IssueStatus,
    MailingList,
    Subscriber,
    Subscription,
)
from newsletter.operations import publish_consent_text
from newsletter.settings import save_settings
from people.models import ConsentAction, SubscriberSource, SubscriberStatus, SubscriptionStatus
from service.demo_events import seed_events
from service.demo_issues import DRAFT, issue_one, issue_two, morning

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

#: the sender's postal address that every newsletter's footer names (fictitious)
POSTAL_ADDRESS = "Geschäftsstelle Kommunale Kriminalprävention\nMusterstraße 12\n12345 Musterstadt"

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
    if any(
        db.session.scalar(sa.select(sa.func.count(model.id)))
        for model in (MailingList, Issue, Event)
    ):
        return "demo content exists already"
    lists = []
    for position, (slug, name, description) in enumerate(LISTS):
        mailing_list = MailingList(slug=slug, name=name, description=description, position=position)
        db.session.add(mailing_list)
        lists.append(mailing_list)
    consent = publish_consent_text(CONSENT_TEXT)
    save_settings({"postal_address": POSTAL_ADDRESS})
    now = utcnow()
    for index, (name, organisation) in enumerate(PEOPLE):
        local = name.lower().replace("dr. ", "").replace(" ", ".").replace("-", "")
        local = local.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
        subscriber = Subscriber(
            email=f"{local}@example.org",
            name=name,
            organisation=organisation,
            status=SubscriberStatus.CONFIRMED,
            source=SubscriberSource.IMPORT,
            confirmed_at=now,
        )
        chosen = (
            [lists[0]]
            + ([lists[1]] if index % 2 == 0 else [])
            + ([lists[2]] if index % 3 == 0 else [])
        )
        for mailing_list in chosen:
            subscriber.subscriptions.append(
                Subscription(
                    mailing_list=mailing_list, status=SubscriptionStatus.CONFIRMED, confirmed_at=now
                )
            )
        subscriber.consent_events.append(
            ConsentEvent(
                action=ConsentAction.ADDED,
                lists=[m.name for m in chosen],
                source=SubscriberSource.IMPORT,
                consent_version=consent.version,
                details={"evidence": "Demo-Daten: Anmeldeliste des Netzwerktreffens"},
            )
        )
        db.session.add(subscriber)
    db.session.flush()
    events = seed_events()
    issue_count = _seed_issues(lists[0], events)
    db.session.commit()
    return (
        f"demo content added: {len(lists)} lists, {len(PEOPLE)} subscribers, {issue_count} issues, "
        f"{db.session.scalar(sa.select(sa.func.count(Event.id)))} events"
    )


# -- issues ------------------------------------------------------------------------------


def _number(sent: datetime, count_in_year: dict[int, int]) -> str:
    year = sent.astimezone(BERLIN).year
    count_in_year[year] = count_in_year.get(year, 0) + 1
    return f"{count_in_year[year]}/{year}"


def _compose(
    number: str, content: dict, mailing_list: MailingList, events: dict[str, Event]
) -> Issue:
    issue = issues.create_issue(
        number=number,
        title=content["title"],
        intro=content["intro"],
        list_ids=[mailing_list.id],
    )
    for article in content["articles"]:
        make_image = article.get("image")
        issues.add_article(
            issue,
            title=article["title"],
            body=article["body"],
            links=article["links"],
            image=issues.store_image(make_image()) if make_image else None,
            image_alt=article.get("image_alt"),
            event_id=events[article["event"]].id if article.get("event") else None,
        )
    return issue


def _seed_issues(mailing_list: MailingList, events: dict[str, Event]) -> int:
    """Two issues marked as sent (never mailed: nobody has deliveries), and a draft
    that announces one of the demo events."""
    count_in_year: dict[int, int] = {}
    first, second = morning(37), morning(16)
    for sent, content in ((first, issue_one(events["course"])), (second, issue_two(second))):
        issue = _compose(_number(sent, count_in_year), content, mailing_list, events)
        issue.status = IssueStatus.SENT
        issue.started_at = sent
        issue.finished_at = sent + timedelta(minutes=4)
    _compose(_number(morning(0), count_in_year), DRAFT, mailing_list, events)
    db.session.flush()
    return 3
