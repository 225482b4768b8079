"""Every registration across the events (/admin/events/registrations): searched by
person or event title, filtered by status, sorted, in numbered pages; each row leads to
its event's participants."""

from __future__ import annotations

import re

import pytest

from events import registration_table
from tests.events.test_admin_bulk import public_registration
from tests.events.test_admin_participants import add


@pytest.fixture
def english(logged_in):
    logged_in.set_cookie("kkp_lang", "en")
    return logged_in


def names(client, query: str = "") -> list[str]:
    page = client.get(f"/admin/events/registrations{query}").get_data(as_text=True)
    return re.findall(r"<tr>\s*<td[^>]*>([^<]+)</td>", page)


def test_who_registered_for_what(english, make_event, monkeypatch):
    training = make_event("Fortbildung Lagebilder", kind="fortbildung", capacity=1)
    meeting = make_event("Netzwerktreffen Süd", days=20)
    add(english, training.id, name="Anna Ahrens", email="anna@example.org")
    public_registration(training.id, "Ben")  # the one seat is taken: asks for the waiting list
    add(english, meeting.id, name="Cem Çelik", email="cem@example.org")

    page = english.get("/admin/events/registrations").get_data(as_text=True)
    assert "3 registrations." in page
    assert f'href="/admin/events/{training.id}/participants">Fortbildung Lagebilder</a>' in page
    assert names(english) == ["Cem Çelik", "Ben", "Anna Ahrens"]  # the newest first
    assert names(english, "?q=lageb") == ["Ben", "Anna Ahrens"]  # by the event's title
    assert names(english, "?q=%C3%87ELIK") == ["Cem Çelik"]  # by name, any case
    assert names(english, "?status=confirmed&sort=name&dir=asc") == ["Anna Ahrens", "Cem Çelik"]
    assert names(english, "?status=pending") == ["Ben"]
    page = english.get("/admin/events/registrations?sort=event&dir=desc").get_data(as_text=True)
    assert 'aria-sort="descending"' in page
    assert names(english, "?sort=event&dir=desc")[0] == "Cem Çelik"  # the later event first

    monkeypatch.setattr(registration_table, "PAGE_SIZE", 2)
    page = english.get("/admin/events/registrations?sort=name&dir=asc").get_data(as_text=True)
    assert 'rel="next" href="/admin/events/registrations?page=2&amp;sort=name&amp;dir=asc"' in page
    assert names(english, "?sort=name&dir=asc&page=2") == ["Cem Çelik"]
    # nonsense in the address is ignored, never an error
    assert len(names(english, "?sort=x&dir=y&status=z&page=-3")) == 2
    assert "No registration matches." in english.get("/admin/events/registrations?q=zzz").get_data(
        as_text=True
    )


def test_the_side_bar_leads_there(english):
    page = english.get("/admin/events/registrations").get_data(as_text=True)
    assert "Nobody has registered for an event yet." in page
    assert 'href="/admin/events/registrations" aria-current="page">Registrations</a>' in page
