"""Sign-up, double opt-in, preferences and unsubscribe, through the HTTP interface,
with mail going through Redis, the Dramatiq worker and a real SMTP server."""

from __future__ import annotations

import json

import sqlalchemy as sa

from kkp.extensions import db
from newsletter.models import ConsentEvent, Subscriber, Subscription, Suppression
from tests.helpers import csrf_token, links, parse_mail, text_of


def subscribe(client, email="anna.beispiel@example.org", lists=(), **extra):
    data = {
        "email": email,
        "name": extra.pop("name", "Anna Beispiel"),
        "organisation": extra.pop("organisation", "Stadt Musterstadt"),
        "lists": list(lists),
        "consent": "y",
        **extra,
    }
    page = client.get("/subscribe").get_data(as_text=True)
    version = page.split('name="consent_version" type="hidden" value="')[1].split('"')[0]
    data.setdefault("consent_version", version)
    return client.post("/subscribe", data={**data, "csrf_token": csrf_token(page)})


def confirmation_link(raw: bytes) -> str:
    msg = parse_mail(raw)
    found = links(text_of(msg), "/subscribe/confirm/")
    assert found, text_of(msg)
    return found[0]


def test_full_flow(client, lists, mail, drain):
    response = subscribe(client, lists=[lists["kkp-kompakt"], lists["fortbildungen"]])
    assert response.status_code == 303
    assert client.get(response.headers["Location"]).status_code == 200
    drain()
    [received] = mail.wait_for(1)
    assert received["to"] == ["anna.beispiel@example.org"]
    msg = parse_mail(received["data"])
    assert msg["Subject"] == "Bitte bestätigen Sie Ihr Abonnement"
    assert "Anna Beispiel" in msg["To"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["Message-ID"] and msg["Date"]
    assert "KKP Kompakt" in text_of(msg) and "Fortbildungen" in text_of(msg)
    assert all(len(line) <= 998 for line in received["data"].split(b"\r\n"))

    link = confirmation_link(received["data"])
    # A link scanner's GET changes nothing.
    page = client.get(link)
    assert page.status_code == 200
    assert "Abonnement bestätigen" in page.get_data(as_text=True)
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.status == "pending"

    done = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
    assert done.status_code == 200
    assert "bestätigt" in done.get_data(as_text=True)
    db.session.expire_all()
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.status == "confirmed"
    assert {s.status for s in subscriber.subscriptions} == {"confirmed"}
    actions = [e.action for e in subscriber.consent_events]
    assert actions == ["requested", "confirmation_sent", "confirmed"]
    assert subscriber.consent_events[0].consent_version == 1

    preferences = links(
        done.get_data(as_text=True).replace('href="', 'href="http://kkp.test'), "/preferences/"
    )[0]
    page = client.get(preferences)
    assert page.status_code == 200
    assert "anna.beispiel@example.org" in page.get_data(as_text=True)
    changed = client.post(
        preferences,
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "lists": [lists["netzwerktreffen"]],
            "name": "Anna B.",
            "organisation": "",
        },
    )
    assert changed.status_code == 200
    db.session.expire_all()
    subscriber = db.session.get(Subscriber, subscriber.id)
    assert [s.mailing_list.slug for s in subscriber.subscriptions] == ["netzwerktreffen"]
    assert subscriber.name == "Anna B."

    exported = client.get(preferences + "/data.json")
    assert exported.status_code == 200
    data = json.loads(exported.get_data(as_text=True))
    assert data["email"] == "anna.beispiel@example.org"
    assert data["consent_history"][0]["consent_text"] == "Einwilligungstext, Version 1."

    from newsletter.operations import subscriber_token

    unsubscribe = "/unsubscribe/" + subscriber_token(subscriber, "unsubscribe")
    db.session.rollback()
    assert client.get(unsubscribe).status_code == 200
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 1
    left = client.post(unsubscribe, data={"scope": "all"})
    assert left.status_code == 200
    assert "abgemeldet" in left.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 0
    assert db.session.scalar(sa.select(Suppression.reason)) == "unsubscribed"
    # The old preference link now tells the person it is gone.
    assert client.get(preferences).status_code == 404


def test_resubmitting_never_downgrades_a_confirmed_subscriber(client, lists, mail, drain):
    from newsletter.operations import add_subscriber

    add_subscriber(
        email="kurt@example.org",
        name="Kurt",
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Papierliste Netzwerktreffen",
    )
    db.session.commit()
    response = subscribe(
        client, email="Kurt@Example.org", name="Fremder Name", lists=[lists["kkp-kompakt"]]
    )
    assert response.status_code == 303
    drain()
    assert mail.messages == []
    db.session.expire_all()
    subscriber = db.session.scalar(sa.select(Subscriber))
    assert subscriber.name == "Kurt"
    assert [(s.list_id, s.status) for s in subscriber.subscriptions] == [
        (lists["kkp-kompakt"], "confirmed")
    ]


def test_existing_subscriber_confirms_only_the_new_list(client, lists, mail, drain):
    from newsletter.operations import add_subscriber

    add_subscriber(
        email="ute@example.org",
        list_ids=[lists["kkp-kompakt"]],
        consent_evidence="Formular Fachtag",
    )
    db.session.commit()
    subscribe(client, email="ute@example.org", lists=[lists["kkp-kompakt"], lists["fortbildungen"]])
    drain()
    [received] = mail.wait_for(1)
    body = text_of(parse_mail(received["data"]))
    assert "Fortbildungen" in body and "KKP Kompakt" not in body
    db.session.expire_all()
    statuses = {
        s.mailing_list.slug: s.status
        for s in db.session.scalar(sa.select(Subscriber)).subscriptions
    }
    assert statuses == {"kkp-kompakt": "confirmed", "fortbildungen": "pending"}
    client.post(
        confirmation_link(received["data"]),
        data={
            "csrf_token": csrf_token(
                client.get(confirmation_link(received["data"])).get_data(as_text=True)
            )
        },
    )
    db.session.expire_all()
    statuses = {
        s.mailing_list.slug: s.status
        for s in db.session.scalar(sa.select(Subscriber)).subscriptions
    }
    assert statuses == {"kkp-kompakt": "confirmed", "fortbildungen": "confirmed"}


def test_repeated_signups_do_not_flood_the_address(client, lists, mail, drain, app):
    for _ in range(8):
        assert (
            subscribe(client, email="ziel@example.org", lists=[lists["kkp-kompakt"]]).status_code
            == 303
        )
    drain()
    mail.wait_for(1)
    assert len(mail.messages) == 1
    # Asking for further lists sends a new mail, up to the daily limit.
    for slug in ("fortbildungen", "netzwerktreffen"):
        subscribe(client, email="ziel@example.org", lists=[lists[slug]])
    drain()
    assert len(mail.wait_for(3)) == 3
    limit = app.config["KKP_CONFIRMATION_MAILS_PER_DAY"]
    assert len(mail.messages) <= limit


def test_subscribe_form_cannot_unsubscribe_anyone(client, lists, mail, drain):
    from newsletter.operations import add_subscriber

    add_subscriber(
        email="eva@example.org",
        list_ids=[lists["kkp-kompakt"], lists["fortbildungen"]],
        consent_evidence="Anmeldebogen",
    )
    db.session.commit()
    subscribe(client, email="eva@example.org", lists=[lists["netzwerktreffen"]])
    db.session.expire_all()
    subscriber = db.session.scalar(sa.select(Subscriber))
    confirmed = sorted(
        s.mailing_list.slug for s in subscriber.subscriptions if s.status == "confirmed"
    )
    assert confirmed == ["fortbildungen", "kkp-kompakt"]


def test_hidden_lists_are_not_offered_and_not_accepted(client, lists):
    page = client.get("/subscribe").get_data(as_text=True)
    assert "Lenkungsgruppe intern" not in page
    response = subscribe(client, lists=[lists["intern"]])
    assert response.status_code == 400
    assert "Bitte wählen Sie aus den angezeigten Listen" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0


def test_subscription_table_uses_one_row_per_list(client, lists, drain):
    subscribe(client, lists=[lists["kkp-kompakt"]])
    subscribe(client, lists=[lists["kkp-kompakt"]])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscription)) == 1


def _error_of(page: str, field_id: str) -> str | None:
    """The message shown at a field (`<p class="error" id="<field>-error">`)."""
    marker = f'id="{field_id}-error">'
    return page.split(marker, 1)[1].split("<", 1)[0] if marker in page else None


def test_every_fault_is_shown_at_once_at_its_field(client, lists, mail):
    page = client.get("/subscribe").get_data(as_text=True)
    token = csrf_token(page)
    # a bad address, no list, no consent, a name with a line break: one post
    response = client.post(
        "/subscribe",
        data={
            "email": "anna@@beispiel",
            "name": "Anna\nBeispiel",
            "organisation": "Stadt Musterstadt",
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _error_of(html, "email") == "Das ist keine gültige E-Mail-Adresse."
    assert _error_of(html, "name") == "Zeilenumbrüche und Steuerzeichen sind nicht erlaubt."
    assert _error_of(html, "lists") == "Bitte wählen Sie mindestens eine Liste aus."
    assert _error_of(html, "consent") == "Bitte stimmen Sie der Datenschutzerklärung zu."
    # a summary above the form names each, linked to its field
    summary = html.split('id="problems"', 1)[1].split("</div>", 1)[0]
    for target in ("#email", "#name", "#lists-0", "#consent"):
        assert f'href="{target}"' in summary, target
    # what was typed is still there
    assert 'value="anna@@beispiel"' in html and 'value="Stadt Musterstadt"' in html
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0

    # an empty form: the address, the list and the consent, together
    empty = client.post("/subscribe", data={"csrf_token": token})
    assert empty.status_code == 400
    html = empty.get_data(as_text=True)
    assert _error_of(html, "email") == "Bitte geben Sie Ihre E-Mail-Adresse ein."
    assert _error_of(html, "lists") == "Bitte wählen Sie mindestens eine Liste aus."
    assert _error_of(html, "consent") == "Bitte stimmen Sie der Datenschutzerklärung zu."


def test_a_fault_keeps_the_other_choices(client, lists):
    page = client.get("/subscribe").get_data(as_text=True)
    response = client.post(
        "/subscribe",
        data={
            "email": "",
            "lists": [lists["fortbildungen"]],
            "consent": "y",
            "consent_version": page.split('name="consent_version" type="hidden" value="')[1].split(
                '"'
            )[0],
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert _error_of(html, "email") == "Bitte geben Sie Ihre E-Mail-Adresse ein."
    assert _error_of(html, "lists") is None and _error_of(html, "consent") is None
    checked = [tag for tag in html.split("<input")[1:] if "checked" in tag.split(">", 1)[0]]
    assert len(checked) == 2  # the list and the consent
    assert any(f'value="{lists["fortbildungen"]}"' in tag for tag in checked)


def test_the_sign_ups_client_address_is_kept_only_with_kkp_record_ip(
    app, client, lists, monkeypatch
):
    """The same rule as the events' consents (people.lists.recorded_ip)."""
    client.environ_base["REMOTE_ADDR"] = "203.0.113.9"  # a documentation address
    for record, email, kept in (
        (False, "ohne@example.org", None),
        (True, "mit@example.org", "203.0.113.9"),
    ):
        monkeypatch.setitem(app.config, "KKP_RECORD_IP", record)
        assert subscribe(client, email=email, lists=[lists["kkp-kompakt"]]).status_code == 303
        events = db.session.scalars(
            sa.select(ConsentEvent).join(Subscriber).where(Subscriber.email == email)
        ).all()
        # her request (the confirmation mail after it is the worker's, from no address)
        assert {e.action: e.ip for e in events}["requested"] == kept
