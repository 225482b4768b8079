"""Each purpose has its own text: the newsletter's consent, and the privacy notice for
event registration; both versioned, and a registration keeps the version shown."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from events.models import Registration
from kkp.extensions import db
from tests.helpers import csrf_token, post_form

NEWSLETTER_TEXT = "Ich willige ein, den Newsletter KKP Kompakt per E-Mail zu erhalten."
EVENT_TEXT = "Ihre Angaben verwenden wir nur, um diese Veranstaltung zu organisieren."
EVENT_TEXT_2 = "Neue Fassung: Ihre Angaben löschen wir drei Monate nach der Veranstaltung."


@pytest.fixture
def texts(ctx):
    """The newsletter's consent text (version 1), the events' notice (version 2)."""
    from newsletter.operations import publish_consent_text

    newsletter = publish_consent_text(NEWSLETTER_TEXT)
    events = publish_consent_text(EVENT_TEXT, "event_registration")
    db.session.commit()
    return {"newsletter": newsletter.version, "events": events.version}


def shown_version(html: str) -> str:
    return re.search(r'name="consent_version" type="hidden" value="([^"]*)"', html).group(1)


def register(client, event, email: str, version: str | None = None):
    page = client.get(f"/events/{event.slug}").get_data(as_text=True)
    data = {
        "name": "Anna Berger",
        "email": email,
        "consent": "y",
        "consent_version": shown_version(page) if version is None else version,
        "csrf_token": csrf_token(page),
    }
    return client.post(f"/events/{event.slug}", data=data)


def stored_version(email: str) -> int | None:
    db.session.expire_all()
    return db.session.scalar(
        sa.select(Registration.consent_version).where(Registration.email == email)
    )


def test_the_registration_form_shows_the_events_text_not_the_newsletters(
    client, lists, make_event, texts
):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert EVENT_TEXT in html
    # the newsletter's text only in the optional, separate newsletter box
    box = html.index('class="field check newsletter-box"')
    assert NEWSLETTER_TEXT not in html[:box]
    assert html.count(NEWSLETTER_TEXT) == 1 and html.index(NEWSLETTER_TEXT) > box
    assert shown_version(html) == str(texts["events"])
    # and the other way round
    subscribe = client.get("/subscribe").get_data(as_text=True)
    assert NEWSLETTER_TEXT in subscribe and EVENT_TEXT not in subscribe


def test_a_registration_keeps_the_version_shown_and_a_new_one_changes_nothing_old(
    client, logged_in, make_event, texts
):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    assert register(client, event, "anna@example.org").status_code == 303
    assert stored_version("anna@example.org") == texts["events"]
    stale_page = client.get(f"/events/{event.slug}").get_data(as_text=True)

    # an editor publishes a new version in the settings
    page = logged_in.get("/admin/consent/events").get_data(as_text=True)
    assert EVENT_TEXT in page
    response = logged_in.post(
        "/admin/consent/events", data={"text": EVENT_TEXT_2, "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 303
    page = logged_in.get("/admin/consent/events").get_data(as_text=True)
    assert EVENT_TEXT in page and EVENT_TEXT_2 in page  # the old version is kept
    assert NEWSLETTER_TEXT not in page

    html = client.get(f"/events/{event.slug}").get_data(as_text=True)
    assert EVENT_TEXT_2 in html and EVENT_TEXT not in html
    new_version = int(shown_version(html))
    assert new_version not in texts.values()
    assert register(client, event, "ben@example.org").status_code == 303
    assert stored_version("ben@example.org") == new_version
    assert stored_version("anna@example.org") == texts["events"]  # unchanged
    # someone whose page still showed the old version agreed to that one
    assert register(client, event, "cem@example.org", shown_version(stale_page)).status_code == 303
    assert stored_version("cem@example.org") == texts["events"]
    # the newsletter's text is untouched
    from newsletter.operations import current_consent_text

    assert current_consent_text().version == texts["newsletter"]


@pytest.mark.parametrize("posted", ["newsletter", "999", "x", ""])
def test_a_version_not_of_the_events_text_shows_the_current_one_again(
    client, make_event, texts, posted
):
    event = make_event("Netzwerktreffen Nord", capacity=5)
    version = str(texts["newsletter"]) if posted == "newsletter" else posted
    response = register(client, event, "anna@example.org", version)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert EVENT_TEXT in html and shown_version(html) == str(texts["events"])
    assert 'id="consent-error"' in html
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_the_newsletter_takes_no_events_text_version(client, lists, texts):
    page = client.get("/subscribe").get_data(as_text=True)
    response = client.post(
        "/subscribe",
        data={
            "email": "anna@example.org",
            "lists": [str(lists["kkp-kompakt"])],
            "consent": "y",
            "consent_version": str(texts["events"]),
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 400
    assert "Please agree to the privacy notice." in response.get_data(as_text=True) or (
        "Bitte stimmen Sie" in response.get_data(as_text=True)
    )
    from newsletter.models import Subscriber

    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_the_consent_page_names_both_texts(logged_in, texts):
    html = logged_in.get("/admin/consent").get_data(as_text=True)
    assert NEWSLETTER_TEXT in html and EVENT_TEXT not in html
    assert 'href="/admin/consent/events"' in html
    response = post_form(logged_in, "/admin/consent/events", {"text": "zu kurz"})
    assert response.status_code == 400
