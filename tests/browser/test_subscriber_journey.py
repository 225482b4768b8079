"""A person signs up, confirms by mail, changes preferences, leaves: in Chromium."""

from __future__ import annotations

import re

import sqlalchemy as sa
from playwright.sync_api import expect

from kkp.extensions import db
from newsletter.models import Subscriber
from tests.browser.conftest import assert_accessible
from tests.helpers import links, parse_mail, text_of


def test_sign_up_confirm_preferences_unsubscribe(page, lists, mail, drain, live_server):
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Abonnieren").first.click()
    expect(page.get_by_role("heading", name="KKP Kompakt abonnieren")).to_be_visible()
    assert_accessible(page)

    # A mistake first: the form keeps the input and says what is wrong.
    page.get_by_label("E-Mail-Adresse").fill("maria.vogt@example")
    page.get_by_label("Name (optional)").fill("Maria Vogt")
    page.get_by_label("Organisation (optional)").fill("Gemeinde Bachtal – Ordnungsamt")
    page.get_by_label("Fortbildungen").check()
    page.get_by_label(re.compile("Ich willige in die oben beschriebene")).check()
    page.get_by_role("button", name="Abonnieren").click()
    # at the field, and in the list of faults above the form, linked to the field
    expect(page.locator("#email-error")).to_have_text("Das ist keine gültige E-Mail-Adresse.")
    expect(page.locator("#problems a[href='#email']")).to_have_text("E-Mail-Adresse")
    assert page.get_by_label("Name (optional)").input_value() == "Maria Vogt"
    assert page.get_by_label("Fortbildungen").is_checked()
    assert_accessible(page)

    page.get_by_label("E-Mail-Adresse").fill("maria.vogt@example.org")
    page.get_by_label("KKP Kompakt").check()
    page.get_by_label(re.compile("Ich willige in die oben beschriebene")).check()
    page.get_by_role("button", name="Abonnieren").click()
    expect(page.get_by_role("heading", name=re.compile("Fast geschafft"))).to_be_visible()
    assert_accessible(page)

    drain()
    [received] = mail.wait_for(1)
    msg = parse_mail(received["data"])
    assert msg["Subject"] == "Bitte bestätigen Sie Ihr Abonnement"
    confirm = links(text_of(msg), "/subscribe/confirm/")[0]

    page.goto(confirm)
    assert_accessible(page)
    assert db.session.scalar(sa.select(Subscriber.status)) == "pending"
    page.get_by_role("button", name="Ja, Abonnement bestätigen").click()
    confirmed = page.get_by_role("heading", name=re.compile("Ihr Abonnement ist bestätigt"))
    expect(confirmed).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(Subscriber.status)) == "confirmed"

    page.get_by_role("link", name="Abonnement verwalten").click()
    expect(page.get_by_text("Angemeldet mit maria.vogt@example.org")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Fortbildungen").uncheck()
    page.get_by_label("Netzwerktreffen").check()
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Ihre Einstellungen wurden gespeichert.")).to_be_visible()
    db.session.expire_all()
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert sorted(s.mailing_list.slug for s in subscriber.subscriptions) == [
        "kkp-kompakt",
        "netzwerktreffen",
    ]

    with page.expect_download() as download:
        page.get_by_role(
            "link", name=re.compile("Alle über Sie gespeicherten Daten herunterladen")
        ).click()
    assert "maria.vogt@example.org" in download.value.path().read_text(encoding="utf-8")

    from newsletter.operations import subscriber_token

    unsubscribe = subscriber_token(subscriber, "unsubscribe", l=lists["kkp-kompakt"])
    db.session.rollback()
    page.goto(f"/unsubscribe/{unsubscribe}")
    assert_accessible(page)
    page.get_by_role("button", name="Von allem abmelden").click()
    expect(page.get_by_role("heading", name="Sie sind abgemeldet")).to_be_visible()
    assert_accessible(page)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_delete_own_data_from_the_preference_centre(page, lists):
    from newsletter.operations import add_subscriber, subscriber_token

    subscriber, _ = add_subscriber(
        email="kai@example.org",
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Teilnehmerliste Fachtag",
    )
    db.session.commit()
    page.goto(f"/preferences/{subscriber_token(subscriber, 'preferences')}")
    page.get_by_role("link", name="Von allem abmelden und alles über mich löschen").click()
    assert_accessible(page)
    page.get_by_role("button", name="Ja, meine Daten löschen").click()
    expect(page.get_by_role("heading", name="Ihre Daten wurden gelöscht")).to_be_visible()
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_english_pages_are_accessible_too(page, lists):
    page.goto("/lang/en?next=/subscribe")
    expect(page.get_by_role("heading", name="Subscribe to KKP Kompakt")).to_be_visible()
    assert_accessible(page)
