"""The legal notice (/impressum) and the privacy notice (/datenschutz): set by editors in
the settings, as an address or a text; until then the dashboard warns and the public
pages say plainly that the office has not published them yet."""

from __future__ import annotations

import pytest

from tests.helpers import csrf_token, html_of, parse_mail, text_of

IMPRESSUM = (
    "## Angaben gemäß § 5 DDG\n\n**Stadt Musterstadt**, Markt 1\n\n"
    "<script>alert(1)</script>[Kontakt](javascript:alert(2))"
)
PRIVACY_URL = "https://www.musterstadt.example/datenschutz"


def settings_form(client) -> dict:
    """The settings as stored, ready to post back with the form's CSRF token."""
    from newsletter.settings import stored_settings

    html = client.get("/admin/settings").get_data(as_text=True)
    return {**stored_settings(), "csrf_token": csrf_token(html)}


def save_settings(client, **changes):
    return client.post("/admin/settings", data={**settings_form(client), **changes})


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_public_pages_show_nothing_developer_like(client, lists, language):
    client.set_cookie("kkp_lang", language)
    for url in ("/impressum", "/datenschutz"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "KKP_" not in html
        assert "Geschäftsstelle KKP" in html
        sentence = {
            ("de", "/impressum"): "Die Geschäftsstelle hat ihr Impressum hier noch nicht",
            ("de", "/datenschutz"): "Die Geschäftsstelle hat ihre Datenschutzerklärung hier",
            ("en", "/impressum"): "The office has not published its legal notice here yet.",
            ("en", "/datenschutz"): "The office has not published its privacy notice here yet.",
        }[language, url]
        assert sentence in html


def test_the_settings_give_a_text_or_an_address(logged_in, client, lists, mail, drain):
    response = save_settings(
        logged_in,
        impressum_text=IMPRESSUM,
        privacy_url=PRIVACY_URL,
        contact_email="kkp@musterstadt.example",
    )
    assert response.status_code == 303, response.get_data(as_text=True)

    public = client.application.test_client()
    html = public.get("/impressum").get_data(as_text=True)
    assert "<h2>Angaben gemäß § 5 DDG</h2>" in html
    assert "<strong>Stadt Musterstadt</strong>" in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert "noch nicht" not in html

    response = public.get("/datenschutz")
    assert response.status_code == 302 and response.headers["Location"] == PRIVACY_URL

    # every page's footer, and every mail's
    start = public.get("/").get_data(as_text=True)
    assert 'href="/impressum"' in start and f'href="{PRIVACY_URL}"' in start
    from tests.newsletter.test_signup_flow import subscribe

    assert subscribe(public, lists=[lists["kkp-kompakt"]]).status_code == 303
    drain()
    (received,) = mail.wait_for(1)
    msg = parse_mail(received["data"])
    assert f"Datenschutz: {PRIVACY_URL}\r\n" in text_of(msg)
    assert f'href="{PRIVACY_URL}"' in html_of(msg)
    assert "http://kkp.test/impressum" in text_of(msg)


def test_an_address_and_a_text_at_once_are_refused(logged_in, lists):
    response = save_settings(
        logged_in, impressum_url="https://a.example/impressum", impressum_text="Text"
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Bitte geben Sie entweder die Adresse der Seite oder den Text an" in html


def test_the_dashboard_warns_until_both_are_set(logged_in, lists):
    html = logged_in.get("/admin/").get_data(as_text=True)
    assert "Listen: 4" in html  # the newsletter's figures, registered with the dashboard
    assert "Impressum" in html and "Datenschutzerklärung fehlen" in html
    assert 'href="/admin/settings#legal"' in html

    save_settings(logged_in, impressum_text=IMPRESSUM)
    html = logged_in.get("/admin/").get_data(as_text=True)
    assert "Die Datenschutzerklärung fehlt." in html

    save_settings(logged_in, privacy_url=PRIVACY_URL)
    html = logged_in.get("/admin/").get_data(as_text=True)
    assert 'id="legal-warning"' not in html


def test_the_environment_gives_defaults_that_the_editors_text_overrides(
    app, logged_in, client, lists, monkeypatch
):
    monkeypatch.setitem(app.config, "KKP_IMPRESSUM_URL", "https://betrieb.example/impressum")
    response = client.get("/impressum")
    assert response.headers["Location"] == "https://betrieb.example/impressum"
    html = logged_in.get("/admin/").get_data(as_text=True)
    assert "Die Datenschutzerklärung fehlt." in html  # the Impressum counts as set

    save_settings(logged_in, impressum_text=IMPRESSUM)
    response = client.get("/impressum")
    assert response.status_code == 200
    assert "Stadt Musterstadt" in response.get_data(as_text=True)
