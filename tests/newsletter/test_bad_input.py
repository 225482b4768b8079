"""Bad input on the public pages: a clear message, a fitting status, nothing stored."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from kkp.extensions import db
from newsletter import operations
from newsletter.models import ConsentEvent, Subscriber
from tests.helpers import csrf_token
from tests.newsletter.test_signup_flow import subscribe


def nothing_stored():
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 0


@pytest.mark.parametrize(
    "email, message",
    [
        ("", "Bitte geben Sie Ihre E-Mail-Adresse ein."),
        ("keine-adresse", "Das ist keine gültige E-Mail-Adresse."),
        ("a@b", "Das ist keine gültige E-Mail-Adresse."),
        (
            "x" * 250 + "@example.org",
            "Der Teil vor dem @-Zeichen ist zu lang: höchstens 64 Zeichen.",
        ),
        ("anna@example.org\r\nBcc: opfer@example.org", "Das ist keine gültige E-Mail-Adresse."),
    ],
)
def test_bad_addresses(client, lists, email, message):
    response = subscribe(client, email=email, lists=[lists["kkp-kompakt"]])
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    nothing_stored()


def test_input_is_kept_on_error(client, lists):
    response = subscribe(
        client,
        email="kaputt",
        name="Jörg Überall",
        organisation="Landratsamt Süd",
        lists=[lists["fortbildungen"]],
    )
    html = response.get_data(as_text=True)
    assert 'value="Jörg Überall"' in html and 'value="Landratsamt Süd"' in html
    assert 'value="kaputt"' in html
    assert (
        f'checked id="lists-1" name="lists" type="checkbox" value="{lists["fortbildungen"]}"'
        in html
        or ("checked" in html.split(f'value="{lists["fortbildungen"]}"')[0].rsplit("<input", 1)[1])
    )


@pytest.mark.parametrize("field", ["name", "organisation"])
def test_line_breaks_in_names_are_refused(client, lists, field):
    response = subscribe(
        client, lists=[lists["kkp-kompakt"]], **{field: "Anna\r\nBcc: opfer@example.org"}
    )
    assert response.status_code == 400
    assert "Zeilenumbrüche und Steuerzeichen sind nicht erlaubt." in response.get_data(as_text=True)
    nothing_stored()


def test_no_list_and_no_consent(client, lists):
    response = subscribe(client, lists=[])
    assert response.status_code == 400
    assert "Bitte wählen Sie mindestens eine Liste aus." in response.get_data(as_text=True)
    response = subscribe(client, lists=[lists["kkp-kompakt"]], consent="")
    assert response.status_code == 400
    assert "Bitte stimmen Sie der Datenschutzerklärung zu." in response.get_data(as_text=True)
    nothing_stored()


def test_missing_csrf_token(client, lists):
    response = client.post(
        "/subscribe",
        data={"email": "a@example.org", "consent": "y", "lists": [lists["kkp-kompakt"]]},
    )
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)
    nothing_stored()


def test_english_when_asked(client, lists):
    client.get("/lang/en")
    response = subscribe(client, email="kaputt", lists=[lists["kkp-kompakt"]])
    assert "This is not a valid e-mail address." in response.get_data(as_text=True)
    assert '<html lang="en">' in response.get_data(as_text=True)


def test_rate_limit_on_the_form(app, client, lists):
    app.config["KKP_PUBLIC_FORM_LIMIT"] = "3 per minute"
    try:
        statuses = [
            subscribe(client, email=f"p{i}@example.org", lists=[lists["kkp-kompakt"]]).status_code
            for i in range(4)
        ]
        response = subscribe(client, email="p9@example.org", lists=[lists["kkp-kompakt"]])
    finally:
        app.config["KKP_PUBLIC_FORM_LIMIT"] = "20 per minute;200 per hour"
    assert statuses == [303, 303, 303, 429]
    assert response.status_code == 429
    assert "Zu viele Anfragen" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 3


class TestTokens:
    def test_forged(self, client, lists):
        for url in ("/subscribe/confirm/abc.def.ghi", "/preferences/xyz", "/unsubscribe/nope"):
            response = client.get(url)
            assert response.status_code == 404
            assert "Dieser Link ist ungültig" in response.get_data(as_text=True)
        assert client.post("/unsubscribe/nope").status_code == 404

    def test_wrong_purpose(self, client, lists):
        subscriber, _ = operations.add_subscriber(
            email="t@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="x"
        )
        db.session.commit()
        preferences = operations.subscriber_token(subscriber, "preferences")
        assert client.get(f"/unsubscribe/{preferences}").status_code == 404
        assert client.post(f"/unsubscribe/{preferences}").status_code == 404
        unsubscribe = operations.subscriber_token(subscriber, "unsubscribe")
        assert client.get(f"/preferences/{unsubscribe}").status_code == 404
        assert client.get(f"/subscribe/confirm/{unsubscribe}").status_code == 404
        assert db.session.scalar(sa.select(sa.func.count(Subscriber.id))) == 1

    def test_expired_confirmation(self, app, client, lists, monkeypatch):
        import time

        from kkp.tokens import make_token

        subscriber, _ = operations.add_subscriber(
            email="t@example.org", list_ids=[lists["kkp-kompakt"]]
        )
        db.session.commit()
        real_time = time.time
        days = app.config["KKP_UNCONFIRMED_RETENTION_DAYS"]
        monkeypatch.setattr(time, "time", lambda: real_time() - (days + 1) * 86400)
        old = make_token("confirm", operations.token_payload(subscriber, l=[lists["kkp-kompakt"]]))
        monkeypatch.setattr(time, "time", real_time)
        response = client.get(f"/subscribe/confirm/{old}")
        assert response.status_code == 404
        assert "abgelaufen" in response.get_data(as_text=True)

    def test_token_of_a_deleted_subscriber_does_not_open_a_new_one(self, client, lists):
        first, _ = operations.add_subscriber(
            email="erst@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="x"
        )
        db.session.commit()
        token = operations.subscriber_token(first, "preferences")
        first_id = first.id
        operations.delete_subscriber(first)
        db.session.commit()
        # SQLite may hand the freed id to the next row.
        second, _ = operations.add_subscriber(
            email="zweit@example.org", list_ids=[lists["kkp-kompakt"]], consent_evidence="x"
        )
        db.session.commit()
        assert second.id in (first_id, first_id + 1)
        response = client.get(f"/preferences/{token}")
        assert response.status_code == 404
        assert "zweit@example.org" not in response.get_data(as_text=True)


def test_no_addresses_in_logs(client, lists, drain, mail, caplog):
    caplog.set_level(logging.DEBUG)
    subscribe(client, email="geheim.person@example.org", lists=[lists["kkp-kompakt"]])
    drain()
    received = mail.wait_for(1)
    from tests.newsletter.test_signup_flow import confirmation_link

    link = confirmation_link(received[0]["data"])
    client.post(link, data={"csrf_token": csrf_token(client.get(link).get_data(as_text=True))})
    subscriber = db.session.scalar(sa.select(Subscriber))
    operations.unsubscribe(subscriber)
    db.session.commit()
    # Everything but the test's own SMTP server (aiosmtpd logs the conversation).
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any(r.name.startswith(("kkp", "newsletter")) for r in ours), "nothing logged"
    assert not [r.getMessage() for r in ours if "geheim.person" in r.getMessage()]
