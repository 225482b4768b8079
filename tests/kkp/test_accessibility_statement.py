"""The accessibility statement (/barrierefreiheit, BITV 2.0): a general text until the
office writes its own in the settings, a link in every page's footer, and a form that
brings a reported barrier to the office by mail."""

from __future__ import annotations

import sqlalchemy as sa

from kkp.extensions import db
from kkp.mail.models import Delivery
from tests.helpers import csrf_token, parse_mail, post_form, text_of
from tests.kkp.test_legal_pages import save_settings

URL = "/barrierefreiheit"


def report(client, **data):
    return post_form(client, URL, data)


def test_the_general_statement_until_the_office_writes_its_own(client, logged_in, lists):
    html = client.get(URL).get_data(as_text=True)
    assert "<h1>Erklärung zur Barrierefreiheit</h1>" in html
    assert "Stand der Vereinbarkeit mit den Anforderungen" in html
    assert "Schlichtungsstelle nach § 16" in html
    assert 'href="https://www.schlichtungsstelle-bgg.de"' in html
    assert 'name="message"' in html and 'name="csrf_token"' in html

    response = save_settings(
        logged_in,
        accessibility_text="## Unsere Erklärung\n\nStand: **März 2026**\n\n<script>x</script>",
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    html = client.get(URL).get_data(as_text=True)
    assert "<h2>Unsere Erklärung</h2>" in html and "<strong>März 2026</strong>" in html
    assert "<script>x" not in html
    assert "Stand der Vereinbarkeit" not in html
    assert 'name="message"' in html  # the form stays


def test_the_settings_page_has_the_field(logged_in, lists):
    html = logged_in.get("/admin/settings").get_data(as_text=True)
    assert 'name="accessibility_text"' in html
    assert "Erklärung zur Barrierefreiheit" in html


def test_every_page_links_it_in_the_footer(client, lists):
    for url in ("/", "/events/", "/newsletter/", "/impressum", URL):
        html = client.get(url).get_data(as_text=True)
        footer = html.split('class="site-footer"', 1)[1]
        assert '<a href="/barrierefreiheit">Barrierefreiheit</a>' in footer
    client.set_cookie("kkp_lang", "en")
    html = client.get("/").get_data(as_text=True)
    assert '<a href="/barrierefreiheit">Accessibility</a>' in html
    assert "Accessibility statement" in client.get(URL).get_data(as_text=True)


def test_all_errors_at_once_and_the_input_kept(client, lists):
    response = report(client, name="Lea Fuchs", email="kaputt@", message="   ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte korrigieren Sie die markierten Felder." in html
    assert "Bitte beschreiben Sie die Barriere" in html
    assert 'id="email-error"' in html and 'id="message-error"' in html
    assert 'value="Lea Fuchs"' in html and 'value="kaputt@"' in html

    response = report(client, message="x" * 5001)
    assert response.status_code == 422
    assert "Bitte höchstens 5000 Zeichen." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_without_the_csrf_token_nothing_is_sent(client, lists):
    response = client.post(URL, data={"message": "Bitte prüfen"})
    assert response.status_code in (400, 422)
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_a_report_reaches_the_office_with_reply_to(client, logged_in, lists, mail, drain):
    save_settings(logged_in, contact_email="kkp@musterstadt.example")
    response = report(
        client,
        name="Lea Fuchs",
        email="Lea@Example.org",
        message="Der Kalender-Link ist mit dem Screenreader nicht lesbar.\r\nZweite Zeile <b>",
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/barrierefreiheit/danke")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vielen Dank für Ihre Meldung" in thanks

    drain()
    (received,) = mail.wait_for(1)
    assert received["to"] == ["kkp@musterstadt.example"]
    msg = parse_mail(received["data"])
    assert msg["Subject"] == "Barriere auf der Website gemeldet"
    assert msg["Reply-To"] == "Lea Fuchs <lea@example.org>"
    text = text_of(msg)
    assert "Name: Lea Fuchs" in text
    assert "mit dem Screenreader nicht lesbar." in text and "Zweite Zeile <b>" in text
    html = msg.get_body(("html",)).get_content()
    assert "Zweite Zeile &lt;b&gt;" in html


def test_without_an_address_it_goes_to_the_sender_and_has_no_reply_to(
    app, client, lists, mail, drain
):
    app.config["KKP_MAIL_FROM"] = "KKP Kompakt <newsletter@kkp.test>"
    assert report(client, message="Kontrast zu schwach").status_code == 303
    drain()
    (received,) = mail.wait_for(1)
    assert received["to"] == ["newsletter@kkp.test"]
    msg = parse_mail(received["data"])
    assert msg["Reply-To"] is None
    assert "Name: nicht angegeben" in text_of(msg)


def test_line_breaks_in_the_name_are_refused_and_never_reach_a_header(client, lists, mail):
    response = report(
        client, name="Lea\r\nBcc: opfer@example.org", email="lea@example.org", message="Hallo"
    )
    assert response.status_code == 422
    assert "Zeilenumbrüche" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 0


def test_the_name_cannot_add_a_header_even_if_stored(app, lists, mail):
    from kkp.mail.operations import deliver
    from service.accessibility import queue_feedback

    delivery = queue_feedback(
        name="Lea\r\nBcc: opfer@example.org", email="lea@example.org", message="Hallo"
    )
    db.session.commit()
    assert deliver(delivery.id) == "sent"
    (received,) = mail.wait_for(1)
    assert "opfer@example.org" not in received["to"]
    msg = parse_mail(received["data"])
    assert msg["Bcc"] is None and "\n" not in msg["Reply-To"]


def test_the_form_is_rate_limited(app, client, lists):
    app.config["KKP_PUBLIC_FORM_LIMIT"] = "3 per minute"
    try:
        html = client.get(URL).get_data(as_text=True)
        token = csrf_token(html)
        statuses = [
            client.post(URL, data={"message": f"Meldung {i}", "csrf_token": token}).status_code
            for i in range(4)
        ]
    finally:
        app.config["KKP_PUBLIC_FORM_LIMIT"] = "20 per minute;200 per hour"
    assert statuses == [303, 303, 303, 429]
    assert db.session.scalar(sa.select(sa.func.count(Delivery.id))) == 3


def test_the_report_mail_matches_its_snapshot(app, lists, mail):
    from kkp.mail.operations import deliver
    from service.accessibility import queue_feedback
    from tests.mail_snapshots import assert_snapshot

    delivery = queue_feedback(
        name="Lea Fuchs",
        email="lea@example.org",
        message="Der Kalender-Link ist mit dem Screenreader nicht lesbar.\nBitte prüfen.",
    )
    db.session.commit()
    assert deliver(delivery.id) == "sent"
    (received,) = mail.wait_for(1)
    assert_snapshot("accessibility_feedback.de", parse_mail(received["data"]))
