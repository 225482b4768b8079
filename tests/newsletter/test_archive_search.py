"""The archive's search: number, title, intro and articles of published issues."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.newsletter.test_archive import publish


@pytest.fixture
def issues(ctx, compose):
    from kkp.extensions import db
    from newsletter import issues as composing
    from newsletter.models import Issue

    ids = {
        "old": compose(number="1/2026", title="Sicherheit im Quartier"),
        "new": compose(number="2/2026", title="Netzwerke im Frühjahr"),
        "draft": compose(number="3/2026", title="Geheimer Entwurf Quartier"),
    }
    old = db.session.get(Issue, ids["old"])
    old.intro = "Diesmal: 100_% Einsatz für Übergänge"
    composing.add_article(
        db.session.get(Issue, ids["new"]), title="Fahrradstreife", body="Mehr Licht am Bahnhof."
    )
    db.session.commit()
    publish(ids["old"], datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    publish(ids["new"], datetime(2026, 5, 12, 7, 0, tzinfo=UTC))
    return ids


def titles(client, q: str | None = None) -> list[str]:
    response = client.get("/newsletter/", query_string={"q": q} if q is not None else None)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    listing = (
        html.split('class="archive-list"', 1)[1].split("</ul>", 1)[0]
        if "archive-list" in html
        else ""
    )
    return re.findall(r'<a href="/newsletter/[^"]+">([^<]+)</a>', listing)


def test_an_empty_search_shows_every_published_issue(client, issues):
    assert titles(client) == ["Netzwerke im Frühjahr", "Sicherheit im Quartier"]
    assert titles(client, "   ") == ["Netzwerke im Frühjahr", "Sicherheit im Quartier"]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("quartier", ["Sicherheit im Quartier"]),  # title, any case; drafts never
        ("2/2026", ["Netzwerke im Frühjahr"]),  # number
        ("EINSATZ", ["Sicherheit im Quartier"]),  # intro
        ("fahrradstreife", ["Netzwerke im Frühjahr"]),  # article title
        ("licht am", ["Netzwerke im Frühjahr"]),  # article text
        ("übergänge", ["Sicherheit im Quartier"]),  # umlauts, any case
        ("100_%", ["Sicherheit im Quartier"]),  # taken literally
        ("_", ["Sicherheit im Quartier"]),
        ("%", ["Sicherheit im Quartier"]),
        ("Geheimer", []),
    ],
)
def test_the_search_finds_issues_by_their_words(client, issues, q, found):
    assert titles(client, q) == found


def test_the_search_keeps_its_text_and_says_how_many_it_found(client, issues):
    client.set_cookie("kkp_lang", "en")
    html = client.get("/newsletter/?q=quartier").get_data(as_text=True)
    assert 'name="q" value="quartier"' in html
    assert "1 issue contains “quartier”." in html
    none = client.get("/newsletter/?q=%3Cnichts%3E").get_data(as_text=True)
    assert "0 issues contain “&lt;nichts&gt;”." in none
    assert 'href="/newsletter/">Show all issues' in none


def test_the_search_speaks_german_by_default(client, issues):
    html = client.get("/newsletter/?q=quartier").get_data(as_text=True)
    assert "Archiv durchsuchen" in html
    assert "1 Ausgabe enthält „quartier“." in html
