"""An editor sets up events in Chromium: a training with three dates ("Add another
date" twice) and an online network meeting, publishes them and finds them on the
public events page; then adds participants. Every editor's page passes axe-core."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from events.models import Event, EventSeries
from kkp.extensions import db
from tests.browser.conftest import assert_accessible
from tests.events.conftest import day_in


@pytest.fixture
def kinds(ctx):
    """The four kinds every office starts with (the tables are emptied after each test)."""
    from events.operations import ensure_default_kinds, kinds

    ensure_default_kinds()
    db.session.commit()
    return {k.slug: k.id for k in kinds()}


def log_in(page, editor) -> None:
    page.goto("/admin/login")
    page.get_by_label("E-Mail-Adresse").fill(editor["email"])
    page.get_by_label("Passwort").fill(editor["password"])
    page.get_by_role("button", name="Anmelden").click()


EDIT = re.compile(r"/admin/events/(\d+)/edit(#\w+)?$")


def event_id(page) -> int:
    return int(EDIT.search(page.url).group(1))


def publish(page) -> None:
    page.locator("#publish").click()
    page.wait_for_url(EDIT)
    expect(page.locator("#publish")).to_have_count(0)


def test_an_editor_sets_up_a_training_and_a_meeting(page, editor, kinds, mail, worker, drain):
    log_in(page, editor)
    page.goto("/admin/events/")
    assert_accessible(page)
    page.locator('main a[href="/admin/events/new"]').click()
    assert page.url.endswith("/admin/events/new")
    assert_accessible(page)

    # A mistake first: the end before the start is shown at its field, input kept.
    page.locator("#kind_id").select_option(str(kinds["fortbildung"]))
    page.locator("#title").fill("Fortbildung Gesprächsführung")
    page.locator("#summary").fill("Drei Termine, jeweils ganztägig mit Übungen.")
    page.locator("#venue").fill("Volkshochschule, Raum 2")
    page.locator("#address").fill("Schillerplatz 1, 01309 Dresden")
    page.locator("#start_day").fill(day_in(20).isoformat())
    page.locator("#start_time").fill("16:00")
    page.locator("#end_time").fill("09:00")
    page.locator("#capacity").fill("12")
    page.locator("#save").click()
    expect(page.locator("#end_time-error")).to_be_visible()
    expect(page.locator("#problems a[href='#end_time']")).to_be_visible()
    assert page.locator("#title").input_value() == "Fortbildung Gesprächsführung"
    assert_accessible(page)

    page.locator("#start_time").fill("09:00")
    page.locator("#end_time").fill("16:00")
    page.locator("#save").click()
    page.wait_for_url(EDIT)
    first = event_id(page)
    assert_accessible(page)
    publish(page)

    # Two more dates, each a draft of its own, published in turn.
    for days in (27, 34):
        page.locator("#copy_day").fill(day_in(days).isoformat())
        page.locator("#add-date").click()
        page.wait_for_url(EDIT)
        assert event_id(page) != first
        assert page.locator("#start_day").input_value() == day_in(days).isoformat()
        assert page.locator("#start_time").input_value() == "09:00"
        publish(page)

    # The network meeting: online, no registration.
    page.goto("/admin/events/new")
    page.locator("#kind_id").select_option(str(kinds["netzwerktreffen"]))
    page.locator("#title").fill("Netzwerktreffen Ost")
    page.locator("#format-1").check()  # online
    page.locator("#join_url").fill("https://meet.example.org/netzwerk-ost")
    page.locator("#registration_mode-2").check()  # no registration
    page.locator("#start_day").fill(day_in(10).isoformat())
    page.locator("#start_time").fill("14:00")
    page.locator("#end_time").fill("15:30")
    page.locator("#save").click()
    page.wait_for_url(EDIT)
    publish(page)

    db.session.expire_all()
    series = db.session.scalars(sa.select(EventSeries)).one()
    dates = db.session.scalars(
        sa.select(Event).where(Event.series_id == series.id).order_by(Event.starts_at)
    ).all()
    assert [d.first_day for d in dates] == [day_in(20), day_in(27), day_in(34)]
    assert {d.status for d in dates} == {"published"}

    page.goto("/admin/events/")
    expect(page.locator("#events tbody tr")).to_have_count(4)
    assert_accessible(page)
    page.goto("/admin/events/series")
    assert_accessible(page)
    page.goto("/admin/events/kinds")
    assert_accessible(page)

    page.goto("/events/")
    main = page.locator("main")
    expect(main.get_by_text("Netzwerktreffen Ost").first).to_be_visible()
    expect(main.get_by_text("Fortbildung Gesprächsführung").first).to_be_visible()
    assert main.get_by_text("Fortbildung Gesprächsführung").count() >= 3

    # Participants of the first date: two fill the seats … one waits.
    page.goto(f"/admin/events/{first}/participants")
    assert_accessible(page)
    for name in ("Anna Berger", "Ben Krüger"):
        page.locator("#name").fill(name)
        page.locator("#email").fill(name.split()[0].lower() + "@example.org")
        page.locator("#organisation").fill("Stadt Dresden")
        page.locator("#add-participant").click()
        expect(
            page.locator("#confirmed-table").get_by_role("cell", name=name, exact=True)
        ).to_be_visible()
    db.session.execute(sa.update(Event).where(Event.id == first).values(capacity=2))
    db.session.commit()
    page.locator("#name").fill("Cem Yilmaz")
    page.locator("#email").fill("cem@example.org")
    page.locator("#add-participant").click()
    expect(
        page.locator("#waiting-table").get_by_role("cell", name="Cem Yilmaz", exact=True)
    ).to_be_visible()
    assert_accessible(page)

    # A refused participant: the error at its field, still accessible.
    page.locator("#name").fill("Ohne Adresse")
    page.locator("#email").fill("kein-at-zeichen")
    page.locator("#add-participant").click()
    expect(page.locator("#email-error")).to_be_visible()
    assert_accessible(page)

    # Removing asks first; the waiting person gets the seat.
    page.goto(f"/admin/events/{first}/participants")
    page.locator("#confirmed-table a", has_text="Anna Berger").click()
    assert_accessible(page)
    page.locator("main form button[type=submit]").click()
    expect(
        page.locator("#confirmed-table").get_by_role("cell", name="Cem Yilmaz", exact=True)
    ).to_be_visible()
    expect(
        page.locator("#cancelled").get_by_role("cell", name="Anna Berger", exact=True)
    ).to_be_visible()

    page.goto(f"/admin/events/{first}/cancel")
    assert_accessible(page)
    page.goto(f"/admin/events/{first}/preview")
    assert_accessible(page)
    drain()
