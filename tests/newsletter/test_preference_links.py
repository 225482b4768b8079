"""Links to the preference centre and the data export expire (KKP_PREFERENCES_LINK_DAYS,
default 30); an expired one leads to a form that mails a fresh link, without telling
anybody whether an address is subscribed. Unsubscribe links work for ever."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from kkp.extensions import db
from newsletter import operations
from newsletter.models import Subscriber
from tests.helpers import links, parse_mail, post_form, text_of

DAY = 86400


@contextmanager
def days_ago(days: float, monkeypatch):
    """Tokens made inside are signed as if `days` ago (itsdangerous reads time.time)."""
    real = time.time
    with monkeypatch.context() as m:
        m.setattr("itsdangerous.timed.time.time", lambda: real() - days * DAY)
        yield


def confirmed(lists, email="olga@example.org"):
    subscriber, _created = operations.add_subscriber(
        email=email, name="Olga", list_ids=[lists["kkp-kompakt"]], consent_evidence="Liste"
    )
    db.session.commit()
    return subscriber


def test_a_recent_link_opens_the_preference_centre_and_the_export(client, lists, monkeypatch):
    subscriber = confirmed(lists)
    with days_ago(29, monkeypatch):
        token = operations.subscriber_token(subscriber, "preferences")
    assert "olga@example.org" in client.get(f"/preferences/{token}").get_data(as_text=True)
    assert client.get(f"/preferences/{token}/data.json").status_code == 200


@pytest.mark.parametrize("page", ["", "/data.json", "/delete"])
def test_an_old_link_has_expired_and_offers_a_fresh_one(client, lists, monkeypatch, page):
    subscriber = confirmed(lists)
    with days_ago(31, monkeypatch):
        token = operations.subscriber_token(subscriber, "preferences")
    response = client.get(f"/preferences/{token}{page}")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Dieser Link ist abgelaufen" in html
    assert "olga@example.org" not in html
    assert 'action="/preferences"' in html  # the form for a fresh link


def test_unsubscribe_links_work_for_ever(client, lists, monkeypatch):
    subscriber = confirmed(lists)
    with days_ago(3650, monkeypatch):
        token = operations.subscriber_token(subscriber, "unsubscribe", l=lists["kkp-kompakt"])
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_the_form_mails_a_fresh_link_that_works(client, lists, mail, drain):
    confirmed(lists)
    response = post_form(client, "/preferences", {"email": "Olga@Example.org"})
    assert response.status_code == 303
    sent_page = client.get(response.headers["Location"]).get_data(as_text=True)
    drain()
    [received] = mail.wait_for(1)
    assert received["to"] == ["olga@example.org"]
    msg = parse_mail(received["data"])
    assert msg["Subject"] == "Ihr Link zu Ihren Newsletter-Einstellungen"
    [link] = links(text_of(msg), "/preferences/")
    page = client.get(link.removeprefix("http://kkp.test"))
    assert page.status_code == 200 and "olga@example.org" in page.get_data(as_text=True)
    # an unknown address gets the same answer, and no mail
    other = post_form(client, "/preferences", {"email": "niemand@example.org"})
    assert other.status_code == 303 and other.headers["Location"] == response.headers["Location"]
    assert client.get(other.headers["Location"]).get_data(as_text=True) == sent_page
    drain()
    assert len(mail.messages) == 1


def test_fresh_links_are_limited_per_address(app, client, lists, mail, drain):
    confirmed(lists)
    for n in range(6):
        client.environ_base["REMOTE_ADDR"] = f"192.0.2.{n}"  # whatever the IP
        assert post_form(client, "/preferences", {"email": "olga@example.org"}).status_code == 303
    drain()
    assert len(mail.messages) == app.config["KKP_CONFIRMATION_MAILS_PER_DAY"]


def test_a_suppressed_address_gets_no_link(client, lists, mail, drain):
    operations.suppress("weg@example.org", "unsubscribed")
    db.session.commit()
    assert post_form(client, "/preferences", {"email": "weg@example.org"}).status_code == 303
    drain()
    assert mail.messages == []


@pytest.mark.parametrize(
    "email, message",
    [("", "Bitte geben Sie Ihre E-Mail-Adresse ein."), ("kein-at", "keine gültige E-Mail")],
)
def test_the_form_says_what_is_wrong(client, lists, email, message):
    response = post_form(client, "/preferences", {"email": email})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
