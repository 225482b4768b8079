"""The editors' subscriber pages: list, search, adding, editing, leaving, through HTTP,
with mail going through Redis, the Dramatiq worker and a real SMTP server."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from kkp.auth.models import AuditEntry
from kkp.extensions import db
from kkp.mail.models import Delivery
from newsletter.models import ConsentEvent, Subscriber, Subscription, Suppression
from newsletter.operations import add_subscriber, email_hash, suppress
from tests.helpers import csrf_token, parse_mail, post_form, text_of

ROW_IDS = re.compile(r'<a href="/admin/subscribers/(\d+)">')


def ids_on(response) -> list[int]:
    return [int(i) for i in ROW_IDS.findall(response.get_data(as_text=True))]


@pytest.fixture
def english(logged_in):
    """Messages are checked in English: the German catalog is filled in separately."""
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def add(email, lists, *, name="", organisation="", evidence="Anmeldebogen Fachtag"):
    subscriber, _created = add_subscriber(
        email=email,
        name=name,
        organisation=organisation,
        list_ids=lists,
        consent_evidence=evidence or None,
    )
    db.session.commit()
    return subscriber.id


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_pages_need_a_login(client, lists, ctx):
    subscriber_id = add("anna@example.org", [lists["kkp-kompakt"]])
    for url in (
        "/admin/subscribers",
        "/admin/subscribers/new",
        f"/admin/subscribers/{subscriber_id}",
        f"/admin/subscribers/{subscriber_id}/delete",
        "/admin/subscribers/export.csv",
        "/admin/lists",
        f"/admin/lists/{lists['intern']}",
        "/admin/import",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/admin/login"), url
    # Without a login (and so without a valid form token) nothing is removed.
    response = client.post(f"/admin/subscribers/{subscriber_id}/delete")
    assert response.status_code in (302, 400)
    assert count(Subscriber) == 1


def test_search_filter_and_paging(logged_in, lists):
    kkp, fortbildungen = lists["kkp-kompakt"], lists["fortbildungen"]
    ids = [add(f"person{i:03d}@example.org", [kkp], name=f"Person {i}") for i in range(1, 121)]
    oertel = add(
        "h.oertel@stadt.example",
        [fortbildungen],
        name="Hanna Örtel",
        organisation="Kriminalpräventiver Rat",
        evidence="",
    )
    mayer = add(
        "mayer@verein.example",
        [kkp, fortbildungen],
        name="Mayer",
        organisation="Verein Sicheres Wohnen",
    )

    first = logged_in.get("/admin/subscribers")
    assert first.status_code == 200
    html = first.get_data(as_text=True)
    assert ids_on(first) == [mayer, oertel, *reversed(ids[-48:])]
    assert "122" in html
    assert "Örtel" in html and "Kriminalpräventiver Rat" in html
    second = logged_in.get(f"/admin/subscribers?before={ids[-48]}")
    assert ids_on(second) == list(reversed(ids[-98:-48]))
    third = logged_in.get(f"/admin/subscribers?before={ids[-98]}")
    assert ids_on(third) == list(reversed(ids[:22]))
    assert "before=" not in third.get_data(as_text=True)
    last = logged_in.get("/admin/subscribers?after=0")
    assert ids_on(last) == list(reversed(ids[:50]))
    newer = logged_in.get(f"/admin/subscribers?after={ids[49]}")
    assert ids_on(newer) == list(reversed(ids[50:100]))

    # Search: substring, case-insensitive, in address, name and organisation.
    assert ids_on(logged_in.get("/admin/subscribers?q=%C3%B6rtel")) == [oertel]
    assert ids_on(logged_in.get("/admin/subscribers?q=KRIMINALPR")) == [oertel]
    assert ids_on(logged_in.get("/admin/subscribers?q=VEREIN.example")) == [mayer]
    assert ids_on(logged_in.get("/admin/subscribers?q=person11")) == list(reversed(ids[109:119]))
    assert ids_on(logged_in.get("/admin/subscribers?q=100%25")) == []  # % is no wildcard
    # Lists and status, alone and together.
    assert ids_on(logged_in.get(f"/admin/subscribers?list={fortbildungen}")) == [mayer, oertel]
    pending = logged_in.get(f"/admin/subscribers?list={fortbildungen}&status=pending")
    assert ids_on(pending) == [oertel]
    assert ids_on(logged_in.get("/admin/subscribers?status=pending")) == [oertel]
    filtered = logged_in.get(f"/admin/subscribers?list={kkp}&q=person&before={ids[60]}")
    assert ids_on(filtered) == list(reversed(ids[10:60]))
    html = filtered.get_data(as_text=True)
    assert f"after={ids[59]}" in html and f"list={kkp}" in html and "q=person" in html
    # The export link carries the filter.
    assert f"/admin/subscribers/export.csv?q=person&amp;list={kkp}" in html
    # Nonsense in the query string is ignored, not an error.
    assert logged_in.get("/admin/subscribers?list=abc&status=x&after=y").status_code == 200


def test_a_large_lists_total_is_kept_a_minute_and_the_page_says_so(
    app, logged_in, lists, monkeypatch
):
    """From `kkp.kept.LARGE` subscribers on, each process counts everyone once a minute (the
    page is what an editor keeps open during a send), and shows the last count while it
    counts again; a filter is counted for every view, and so is a smaller list."""
    from kkp import kept
    from newsletter import search

    kkp = lists["kkp-kompakt"]
    for i in range(3):
        add(f"gross{i}@example.org", [kkp])
    html = logged_in.get("/admin/subscribers").get_data(as_text=True)
    assert "3 Abonnent/innen insgesamt" in html and "Gezählt um" not in html

    monkeypatch.setattr(kept, "LARGE", 3)
    now = [1000.0]
    with app.test_request_context():
        everyone = search.SubscriberFilter()
        assert search.total(everyone, clock=lambda: now[0])[0] == 3
        add("gross3@example.org", [kkp])
        now[0] += kept.LARGE_SECONDS - 1
        total, counted_at = search.total(everyone, clock=lambda: now[0])
        assert total == 3 and counted_at is not None
        assert search.total(search.SubscriberFilter(list_id=kkp), clock=lambda: now[0]) == (
            4,
            None,
        )
        now[0] += 2  # the last count once more, while a thread counts again
        assert search.total(everyone, clock=lambda: now[0]) == (total, counted_at)
        kept.settle()
        total, counted_again = search.total(everyone, clock=lambda: now[0])
        assert total == 4 and counted_again > counted_at
    html = logged_in.get("/admin/subscribers").get_data(as_text=True)
    assert "4 Abonnent/innen insgesamt" in html
    assert "Gezählt um" in html and "einmal pro Minute" in html


def test_add_without_evidence_sends_the_confirmation_mail(logged_in, lists, mail, drain):
    response = post_form(
        logged_in,
        "/admin/subscribers/new",
        {
            "email": "Kurt.Beispiel@Example.org",
            "name": "Kurt Beispiel",
            "organisation": "Polizeirevier Süd",
            "lists": [lists["kkp-kompakt"], lists["intern"]],
            "consent_evidence": "",
        },
    )
    assert response.status_code == 303
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert response.headers["Location"] == f"/admin/subscribers/{subscriber.id}"
    assert subscriber.email == "kurt.beispiel@example.org"
    assert subscriber.status == "pending" and subscriber.source == "editor"
    assert {s.status for s in subscriber.subscriptions} == {"pending"}
    drain()
    [received] = mail.wait_for(1)
    assert received["to"] == ["kurt.beispiel@example.org"]
    body = text_of(parse_mail(received["data"]))
    assert "KKP Kompakt" in body and "Lenkungsgruppe intern" in body
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "subscriber.create"))
    assert entry.object_id == subscriber.id and "example.org" not in str(entry.details)
    page = logged_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "kurt.beispiel@example.org" in page and "Polizeirevier Süd" in page


def test_add_with_evidence_is_confirmed_without_mail(logged_in, lists, mail, drain):
    response = post_form(
        logged_in,
        "/admin/subscribers/new",
        {
            "email": "ute@example.org",
            "lists": [lists["fortbildungen"]],
            "consent_evidence": "Papierformular Netzwerktreffen 12.03.2026",
        },
    )
    assert response.status_code == 303
    drain()
    assert mail.messages == []
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.status == "confirmed"
    [event] = subscriber.consent_events
    assert event.action == "added" and event.source == "editor"
    assert event.details["evidence"] == "Papierformular Netzwerktreffen 12.03.2026"


@pytest.mark.parametrize(
    "data, field",
    [
        ({"email": "kein-at-zeichen", "name": "Eva Muster"}, "email"),
        ({"email": "eva@example.org", "name": "Eva\u0007 Muster"}, "name"),
        ({"email": "eva@example.org", "name": "Eva Muster", "lists": []}, "lists"),
    ],
)
def test_add_refuses_bad_input_and_keeps_it(logged_in, lists, data, field):
    data = {"organisation": "Jugendamt", "lists": [lists["kkp-kompakt"]], **data}
    response = post_form(logged_in, "/admin/subscribers/new", data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert 'value="Jugendamt"' in html and 'value="' + data["email"] + '"' in html
    assert count(Subscriber) == 0 and count(ConsentEvent) == 0


def test_add_refuses_a_suppressed_address(english, lists, mail, drain):
    suppress("weg@example.org", "unsubscribed")
    db.session.commit()
    response = post_form(
        english,
        "/admin/subscribers/new",
        {
            "email": "Weg@example.org",
            "name": "Wieder Da",
            "lists": [lists["kkp-kompakt"]],
            "consent_evidence": "Telefonat",
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This address has unsubscribed or was deleted" in html
    assert 'value="Wieder Da"' in html
    drain()
    assert count(Subscriber) == 0 and mail.messages == []


def test_edit_details_and_lists(logged_in, lists, mail, drain):
    subscriber_id = add(
        "lea@example.org",
        [lists["kkp-kompakt"], lists["fortbildungen"]],
        name="Lea",
        organisation="Alt",
    )
    url = f"/admin/subscribers/{subscriber_id}"
    page = logged_in.get(url).get_data(as_text=True)
    assert 'value="Lea"' in page
    response = logged_in.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "name": "Lea Neumann",
            "organisation": "Stadt Neustadt",
            "lists": [lists["kkp-kompakt"], lists["netzwerktreffen"]],
        },
    )
    assert response.status_code == 303
    db.session.expire_all()
    subscriber = db.session.get(Subscriber, subscriber_id)
    assert (subscriber.name, subscriber.organisation) == ("Lea Neumann", "Stadt Neustadt")
    assert {s.mailing_list.slug: s.status for s in subscriber.subscriptions} == {
        "kkp-kompakt": "confirmed",
        "netzwerktreffen": "pending",
    }
    drain()
    [received] = mail.wait_for(1)
    assert "Netzwerktreffen" in text_of(parse_mail(received["data"]))
    assert db.session.scalar(
        sa.select(AuditEntry.action).where(
            AuditEntry.action == "subscriber.update", AuditEntry.object_id == subscriber_id
        )
    )

    # A refused change keeps the input and stores nothing.
    response = logged_in.post(
        url,
        data={
            "csrf_token": csrf_token(page),
            "name": "x" * 201,
            "organisation": "Neu",
            "lists": [lists["kkp-kompakt"]],
        },
    )
    assert response.status_code == 400
    assert 'value="Neu"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Subscriber, subscriber_id).organisation == "Stadt Neustadt"


def test_detail_page_shows_history_and_deliveries(logged_in, lists, mail, drain):
    from tests.newsletter.test_signup_flow import subscribe

    subscribe(logged_in, email="paul@example.org", lists=[lists["kkp-kompakt"]])
    drain()
    mail.wait_for(1)
    subscriber = db.session.scalar(sa.select(Subscriber))
    html = logged_in.get(f"/admin/subscribers/{subscriber.id}").get_data(as_text=True)
    assert "paul@example.org" in html
    assert "<details>" in html and "Einwilligungstext, Version 1." in html
    delivery = db.session.scalar(sa.select(Delivery))
    assert delivery.status == "sent"
    assert f"<td>{delivery.id}</td>" in html


@pytest.mark.parametrize("action, reason", [("unsubscribe", "unsubscribed"), ("delete", "deleted")])
def test_unsubscribe_and_delete_need_confirmation(logged_in, lists, action, reason):
    subscriber_id = add("tim@example.org", [lists["kkp-kompakt"]], evidence="")
    url = f"/admin/subscribers/{subscriber_id}/{action}"
    page = logged_in.get(url)
    assert page.status_code == 200
    assert "tim@example.org" in page.get_data(as_text=True)
    assert count(Subscriber) == 1  # looking changes nothing
    assert logged_in.post(url, data={}).status_code == 400  # no form token
    assert count(Subscriber) == 1

    response = logged_in.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert response.status_code == 303
    assert response.headers["Location"] == "/admin/subscribers"
    assert count(Subscriber) == 0 and count(Subscription) == 0 and count(ConsentEvent) == 0
    assert db.session.get(Suppression, email_hash("tim@example.org")).reason == reason
    assert db.session.scalar(sa.select(Delivery.recipient)) == ""
    assert (
        db.session.scalar(
            sa.select(AuditEntry).where(AuditEntry.action == "subscriber.delete")
        ).details["reason"]
        == reason
    )
    assert logged_in.get(f"/admin/subscribers/{subscriber_id}").status_code == 404


def test_every_kind_of_mail_has_words(app):
    from kkp.mail.operations import _BUILDERS
    from newsletter.admin.subscribers import KIND_WORDS

    assert set(_BUILDERS) <= set(KIND_WORDS)


def test_deliveries_are_named_in_words(logged_in, lists, compose, mail, drain):
    from newsletter import sending
    from newsletter.models import Issue
    from tests.newsletter.conftest import add_confirmed

    (person,) = add_confirmed([lists["kkp-kompakt"]], 1)
    issue_id = compose()
    sending.start_sending(db.session.get(Issue, issue_id))
    db.session.commit()
    mail.wait_for(1)
    drain()
    page = logged_in.get(f"/admin/subscribers/{person}").get_data(as_text=True)
    deliveries = page.split("<h2>E-Mails an diese Person</h2>", 1)[1].split("<h2>", 1)[0]
    assert "<td>Newsletter-Ausgabe</td><td>gesendet</td>" in deliveries, deliveries
    assert "<td>issue</td>" not in deliveries


@pytest.mark.parametrize("channel", ["editor", "api"])
def test_a_list_she_left_herself_is_not_confirmed_by_an_editor(
    app, logged_in, editor, lists, mail, drain, channel
):
    """Her own choice outranks the editor's evidence: she gets the mail to confirm the
    list again, and stays off it until she does."""
    from newsletter.operations import add_subscriber, subscriber_token
    from tests.api_client import Api, api_token

    olga, _created = add_subscriber(
        email="olga@example.org",
        list_ids=[lists["kkp-kompakt"], lists["fortbildungen"]],
        consent_evidence="Teilnehmerliste",
    )
    db.session.commit()
    token = subscriber_token(olga, "unsubscribe", l=lists["fortbildungen"])
    app.test_client().post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    data = {"email": "olga@example.org", "consent_evidence": "Papierformular"}
    wanted = [lists["fortbildungen"], lists["netzwerktreffen"]]
    if channel == "editor":
        response = post_form(logged_in, "/admin/subscribers/new", {**data, "lists": wanted})
        assert response.status_code == 303
    else:
        response = Api(logged_in, api_token(editor["id"]))(
            "POST", "/subscribers", json={**data, "lists": wanted}
        )
        assert response.status_code in (200, 201), response.get_data(as_text=True)
    db.session.expire_all()
    olga = db.session.scalar(sa.select(Subscriber))
    status = {s.mailing_list.slug: s.status for s in olga.subscriptions}
    assert status == {
        "kkp-kompakt": "confirmed",
        "fortbildungen": "pending",  # she left it herself: only her click brings her back
        "netzwerktreffen": "confirmed",
    }
    drain()
    [received] = mail.wait_for(1)
    assert received["to"] == ["olga@example.org"]
    assert "Fortbildungen" in text_of(parse_mail(received["data"]))
