"""The editors' start page answers "what needs me today": each section says what is
there, in German, with a link to where the editor acts, and an empty one says so."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest

from kkp.extensions import db


def _main(page: str) -> str:
    """The page's main content as text."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _section(page: str, heading_id: str) -> str:
    """One card's text, found by its heading's id."""
    part = page.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<" + part)))


def _event(title: str, *, days: int, capacity: int | None = None):
    from events.operations import (
        EventInput,
        create_event,
        ensure_default_kinds,
        kinds,
        publish_event,
    )
    from kkp.db import utcnow
    from kkp.i18n import BERLIN

    ensure_default_kinds()
    kind = next(k for k in kinds() if k.slug == "netzwerktreffen")
    event = create_event(
        EventInput(
            kind_id=kind.id,
            title=title,
            venue="Rathaus",
            capacity=capacity,
            start_day=(utcnow().astimezone(BERLIN) + timedelta(days=days)).date(),
            start_time=time(10),
            end_time=time(12),
        )
    )
    publish_event(event)
    return event


def _registrations(event, *statuses: str) -> None:
    from events.models import Registration
    from kkp.db import utcnow

    for i, status in enumerate(statuses):
        db.session.add(
            Registration(
                event_id=event.id,
                email=f"person{i}@kkp.test",
                name=f"Person {i}",
                status=status,
                key=f"k{event.id}x{i}",
                waiting_since=utcnow() if status == "waiting" else None,
            )
        )


@pytest.fixture
def busy_office(ctx, lists):
    return make_busy_office()


def make_busy_office() -> dict[str, int]:
    """A send under way (1,234 of 5,000), one planned, one failed delivery, an event
    with a waiting list, one beyond 30 days, and no Impressum; their ids."""
    from kkp.db import utcnow
    from kkp.mail.models import Delivery
    from newsletter import issues
    from newsletter.sending import tally

    now = utcnow()
    running = issues.create_issue(number="3/2026", title="Prävention im Quartier")
    running.status, running.to_send, running.started_at = "sending", 5000, now
    planned = issues.create_issue(number="4/2026", title="Fortbildungen im Frühjahr")
    planned.status = "scheduled"
    planned.scheduled_at = datetime(now.year + 1, 1, 15, 8, 30, tzinfo=UTC)
    db.session.flush()
    db.session.execute(
        Delivery.__table__.insert(),
        [
            {
                "kind": "issue",
                "recipient": f"r{i}@kkp.test",
                "issue_id": running.id,
                "params": {},
                "status": "sent",
                "attempts": 1,
                "created_at": now,
                "updated_at": now,
                "sent_at": now,
            }
            for i in range(1234)
        ],
    )
    # what its chunks tallied as they sent them (newsletter.sending.tally)
    tally.add_sent(running.id, 1, 1234)
    db.session.add(
        Delivery(
            kind="issue",
            recipient="kaputt@kkp.test",
            issue_id=running.id,
            status="failed",
            last_error="550 no such user",
        )
    )
    full = _event("Netzwerktreffen Nord", days=5, capacity=2)
    _registrations(full, "confirmed", "confirmed", "waiting", "waiting", "waiting")
    _event("Lenkungsgruppe im Sommer", days=45)
    db.session.commit()
    return {"running": running.id, "planned": planned.id, "event": full.id}


def test_the_dashboard_shows_what_needs_the_editor(logged_in, busy_office):
    page = logged_in.get("/admin/", headers={"Accept-Language": "de"}).get_data(as_text=True)

    running = _section(page, "dash-running")
    assert "3/2026: Prävention im Quartier" in running
    assert "1.234 von 5.000 versandt" in running
    assert "1 fehlgeschlagen" in running
    progress_id = f"dash-progress-{busy_office['running']}"
    assert f'<progress id="{progress_id}" max="5000" value="1234"' in page
    assert f'href="/admin/issues/{busy_office["running"]}/progress"' in page

    scheduled = _section(page, "dash-scheduled")
    assert "4/2026: Fortbildungen im Frühjahr" in scheduled
    assert re.search(r"am 15\.01\.\d\d, 09:30", scheduled), scheduled  # 08:30 UTC in Berlin
    assert f'href="/admin/issues/{busy_office["planned"]}/send"' in page

    events = _section(page, "dash-events")
    assert "Netzwerktreffen Nord" in events
    assert "2 von 2 Plätzen belegt, 3 auf der Warteliste" in events
    assert "Lenkungsgruppe im Sommer" not in events  # beyond 30 days
    assert f'href="/admin/events/{busy_office["event"]}/participants"' in page

    failures = _section(page, "dash-failures")
    assert "1 Zustellung ist in den letzten 7 Tagen fehlgeschlagen." in failures
    assert "3/2026: Prävention im Quartier : 1 fehlgeschlagene Zustellung" in failures

    setup = _section(page, "dash-setup")
    assert "Kein Impressum hinterlegt." in setup
    assert "Keine Datenschutzerklärung hinterlegt." in setup
    assert 'href="/admin/settings#legal"' in page


def test_an_empty_office_says_so_in_words(logged_in, lists):
    text = _main(logged_in.get("/admin/").get_data(as_text=True))
    assert "Zurzeit wird keine Ausgabe versendet." in text
    assert "Keine geplanten Versände." in text
    assert "Keine Veranstaltungen in den nächsten 30 Tagen." in text
    assert "Keine fehlgeschlagenen Zustellungen in den letzten 7 Tagen." in text


def test_the_last_week_in_numbers(logged_in, lists):
    from kkp.db import utcnow
    from people.models import Subscriber, Suppression

    for i in range(3):
        db.session.add(Subscriber(email=f"neu{i}@kkp.test"))
    old = Subscriber(email="alt@kkp.test", created_at=utcnow() - timedelta(days=30))
    db.session.add(old)
    db.session.add(Suppression(email_hash="a" * 64, reason="unsubscribed"))
    db.session.add(Suppression(email_hash="b" * 64, reason="bounced"))
    db.session.add(Suppression(email_hash="d" * 64, reason="complained"))
    db.session.add(Suppression(email_hash="e" * 64, reason="complained"))
    db.session.add(
        Suppression(email_hash="c" * 64, reason="unsubscribed", created_at=utcnow() - timedelta(9))
    )
    db.session.commit()
    page = logged_in.get("/admin/").get_data(as_text=True)
    audience = _section(page, "dash-audience")
    assert "Neue Abonnements 3" in audience
    assert "Abgemeldet 1" in audience
    failures = _section(page, "dash-failures")
    assert "1 Adresse wurde nach Unzustellbarkeit gesperrt." in failures
    assert "2 Adressen wurden nach Beschwerden (als Spam markiert) gesperrt." in failures


def test_mail_set_up_warnings(app, logged_in, lists, monkeypatch):
    page = logged_in.get("/admin/").get_data(as_text=True)
    setup = _section(page, "dash-setup")
    assert "Kein Mailserver" not in setup  # the tests send over SMTP
    assert "Kein DKIM-Schlüssel eingerichtet" in setup

    monkeypatch.setitem(app.config, "KKP_SMTP_URL", None)
    monkeypatch.setitem(app.config, "KKP_DKIM_SELECTOR", "kkp")
    monkeypatch.setitem(app.config, "KKP_DKIM_DOMAIN", "kkp.test")
    monkeypatch.setitem(app.config, "KKP_DKIM_KEY_FILE", "/etc/kkp/dkim.pem")
    setup = _section(logged_in.get("/admin/").get_data(as_text=True), "dash-setup")
    assert "Kein Mailserver (SMTP) eingerichtet" in setup
    assert "Postausgang" in setup
    assert "DKIM" not in setup


def test_once_everything_is_set_the_set_up_card_says_so(app, logged_in, lists, monkeypatch):
    for key, value in (
        ("KKP_DKIM_SELECTOR", "kkp"),
        ("KKP_DKIM_DOMAIN", "kkp.test"),
        ("KKP_DKIM_KEY_FILE", "/etc/kkp/dkim.pem"),
        ("KKP_IMPRESSUM_URL", "https://kkp.example/impressum"),
        ("KKP_PRIVACY_URL", "https://kkp.example/datenschutz"),
    ):
        monkeypatch.setitem(app.config, key, value)
    page = logged_in.get("/admin/").get_data(as_text=True)
    assert "Alles ist eingerichtet." in _section(page, "dash-setup")
    assert 'id="legal-warning"' not in page


def test_english(logged_in, busy_office):
    page = logged_in.get("/admin/?lang=en").get_data(as_text=True)
    assert "1,234 of 5,000 sent" in _section(page, "dash-running")
    assert "2 of 2 seats taken, 3 on the waiting list" in _section(page, "dash-events")


def test_a_large_lists_counts_are_kept_a_minute_and_the_page_says_so(
    app, logged_in, lists, monkeypatch
):
    """From `kkp.kept.LARGE` subscribers on, each process counts them once a minute (a
    million cost several hundred milliseconds per view during a send); smaller lists are
    counted for every view."""
    from kkp import kept as kept_module
    from newsletter import dashboard
    from people.models import Subscriber

    for i in range(3):
        db.session.add(Subscriber(email=f"gross{i}@kkp.test"))
    db.session.commit()
    text = _section(logged_in.get("/admin/").get_data(as_text=True), "dash-audience")
    assert "Warten auf Bestätigung: 3" in text and "gezählt um" not in text

    monkeypatch.setattr(kept_module, "LARGE", 3)
    now = [1000.0]
    with app.test_request_context():
        assert dashboard.figures(clock=lambda: now[0]).pending == 3
        db.session.add(Subscriber(email="gross3@kkp.test"))
        db.session.commit()
        now[0] += kept_module.LARGE_SECONDS - 1
        kept = dashboard.figures(clock=lambda: now[0])
        assert kept.pending == 3 and kept.counted_at is not None
        now[0] += 2  # the last count once more, while a thread counts again
        assert dashboard.figures(clock=lambda: now[0]).pending == 3
        kept_module.settle()
        assert dashboard.figures(clock=lambda: now[0]).pending == 4
    text = _section(logged_in.get("/admin/").get_data(as_text=True), "dash-audience")
    assert "Warten auf Bestätigung: 4" in text
    assert "Abonnenten gezählt um" in text and "einmal pro Minute" in text
