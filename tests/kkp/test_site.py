"""Health check, language switch, error pages."""

from __future__ import annotations


def test_healthz_reports_database_and_broker(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_fails_when_the_broker_is_gone(app, broker, database_url, smtp_server):
    from kkp.tasks import init_broker
    from service.app import create_app
    from tests.conftest import test_config
    from tests.services import free_port

    broken = create_app(
        test_config(database_url, f"redis://127.0.0.1:{free_port()}/0", smtp_server.port)
    )
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body["database"] == "ok" and body["broker"].startswith("error")
    finally:
        init_broker(app, broker)  # actors are process-wide: bind them back


def test_german_by_default_english_on_request(client, lists):
    assert "Newsletter abonnieren" in client.get("/").get_data(as_text=True)
    # An English browser still gets German: the office's language is the default.
    english_browser = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Newsletter abonnieren" in english_browser.get_data(as_text=True)
    assert "Subscribe to the newsletter" in client.get("/?lang=en").get_data(as_text=True)
    client.get("/lang/en?next=/subscribe")
    assert "Subscribe to KKP Kompakt" in client.get("/subscribe").get_data(as_text=True)
    client.get("/lang/de")
    assert "KKP Kompakt abonnieren" in client.get("/subscribe").get_data(as_text=True)


def test_language_switch_does_not_redirect_elsewhere(client):
    response = client.get("/lang/en?next=https://evil.example/")
    assert response.headers["Location"] == "/"


def test_not_found_page_is_german(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    assert "Diese Seite gibt es nicht" in response.get_data(as_text=True)
    assert "Impressum" in response.get_data(as_text=True)


def test_every_page_links_impressum_and_privacy(client, lists):
    for url in ("/", "/subscribe", "/subscribe/sent", "/impressum", "/datenschutz"):
        html = client.get(url).get_data(as_text=True)
        assert 'href="/impressum"' in html and 'href="/datenschutz"' in html, url


def test_method_not_allowed_names_the_allowed_methods(client):
    response = client.put("/subscribe")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"] and "POST" in response.headers["Allow"]
    assert "Diese Aktion ist hier nicht möglich." in response.get_data(as_text=True)
    api = client.put("/api/v1/openapi.json")
    assert api.status_code == 405 and "GET" in api.headers["Allow"]
