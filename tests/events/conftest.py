"""Factories for events: kinds, an event with sensible defaults, registrations."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from kkp.db import utcnow
from kkp.i18n import BERLIN


@pytest.fixture
def kinds(ctx):
    from events.operations import ensure_default_kinds, kinds
    from kkp.extensions import db

    ensure_default_kinds()
    db.session.commit()
    return {k.slug: k.id for k in kinds()}


@pytest.fixture
def api(client, editor, kinds):
    """The API as an editor's token sees it; answers checked against the OpenAPI document."""
    from tests.api_client import Api, api_token

    return Api(client, api_token(editor["id"]))


@pytest.fixture
def make_event(ctx, kinds):
    """An event starting in `days` days at 10:00 (Berlin), two hours long; published
    unless `status="draft"`."""
    from events.operations import EventInput, create_event, publish_event
    from kkp.extensions import db

    def make(
        title: str = "Netzwerktreffen Nord",
        *,
        kind: str = "netzwerktreffen",
        days: int = 14,
        status: str = "published",
        **fields,
    ):
        day = (utcnow().astimezone(BERLIN) + timedelta(days=days)).date()
        data = EventInput(
            kind_id=kinds[kind],
            title=title,
            summary="Austausch der Netzwerkpartner",
            format=fields.pop("format", "in_person"),
            venue=fields.pop("venue", "Rathaus, Sitzungssaal"),
            address=fields.pop("address", "Markt 1, 01067 Dresden"),
            start_day=fields.pop("start_day", day),
            start_time=fields.pop("start_time", time(10, 0)),
            end_day=fields.pop("end_day", None),
            end_time=fields.pop("end_time", time(12, 0)),
            organizer_name="Koordinierungsstelle",
            organizer_email="kkp@example.org",
            **fields,
        )
        event = create_event(data)
        if status == "published":
            publish_event(event)
        db.session.commit()
        return event

    return make


def day_in(days: int) -> date:
    return (utcnow().astimezone(BERLIN) + timedelta(days=days)).date()


def register_confirmed(event_id: int, **kwargs):
    """A registration through the public form whose owner then clicked the link in the
    mail (in one transaction, so the mail asking to confirm is never sent). Returns the
    registration and its status: "confirmed" or "waiting"."""
    from events.registrations import confirm, register

    registration, _ = register(event_id, consent=True, **kwargs)
    return registration, confirm(registration)
