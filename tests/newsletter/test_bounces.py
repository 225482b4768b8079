"""What returned mails change: the suppression policy, `kkp bounce`, the send report,
and the editors' page of bounces."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import sqlalchemy.exc

from kkp.auth.models import AuditEntry
from kkp.db import utcnow
from kkp.extensions import db
from kkp.mail.models import Delivery, DeliveryStatus
from kkp.mail.verp import return_path
from newsletter import issues
from newsletter.models import Issue, IssueStatus
from newsletter.sending.report import send_report
from people.addresses import is_suppressed
from people.bounces import Outcome, process_bounce
from people.models import Bounce, Suppression, SuppressionReason
from tests.helpers import post_form
from tests.newsletter.conftest import add_confirmed, send_now

SAMPLES = Path(__file__).parents[1] / "kkp" / "data" / "bounces"
HARD, SOFT = "postfix_511_unknown_user.eml", "postfix_422_mailbox_full_delayed.eml"
ADDRESS = "person0@example.org"
DE = {"Accept-Language": "de"}


@pytest.fixture
def verp(app, ctx):
    saved = app.config.get("KKP_RETURN_PATH")
    app.config["KKP_RETURN_PATH"] = "bounces+{token}@kkp.example.org"
    yield
    app.config["KKP_RETURN_PATH"] = saved


@pytest.fixture
def delivery(verp, lists) -> int:
    """A sent mail to person0@example.org, a confirmed subscriber."""
    subscriber_id = add_confirmed([lists["kkp-kompakt"]], 1)[0]
    row = Delivery(
        kind="subscription_confirmation",
        recipient=ADDRESS,
        subscriber_id=subscriber_id,
        status=DeliveryStatus.SENT,
    )
    db.session.add(row)
    db.session.commit()
    return row.id


def returned(name: str, delivery_id: int, n: int = 0) -> bytes:
    """The sample come back to `delivery_id`'s return path, its Message-ID made the n-th."""
    raw = (SAMPLES / name).read_bytes().replace(b"{VERP}", return_path(delivery_id).encode())
    return raw.replace(b"Message-Id: <", f"Message-Id: <{n}.".encode()).replace(
        b"Message-ID: <", f"Message-ID: <{n}.".encode()
    )


def test_a_hard_bounce_suppresses_the_address_at_once(delivery):
    result = process_bounce(returned(HARD, delivery))
    db.session.commit()
    assert result.outcome == Outcome.SUPPRESSED
    assert is_suppressed(ADDRESS)
    assert db.session.scalar(sa.select(Suppression.reason)) == SuppressionReason.BOUNCED
    bounce = db.session.scalars(sa.select(Bounce)).one()
    assert (bounce.kind, bounce.status, bounce.delivery_id) == ("hard", "5.1.1", delivery)
    assert "User unknown" in bounce.diagnostic


def test_soft_bounces_suppress_after_three_within_the_window(delivery):
    start = utcnow()
    outcomes = [
        process_bounce(returned(SOFT, delivery, n), now=start + timedelta(days=10 * n)).outcome
        for n in range(3)
    ]
    assert outcomes == [Outcome.RECORDED, Outcome.RECORDED, Outcome.SUPPRESSED]
    assert is_suppressed(ADDRESS)


def test_soft_bounces_spread_over_more_than_the_window_do_not(delivery):
    start = utcnow()
    for n in range(3):
        result = process_bounce(returned(SOFT, delivery, n), now=start + timedelta(days=20 * n))
        assert result.outcome == Outcome.RECORDED
    assert not is_suppressed(ADDRESS)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) == 3


def test_a_complaint_suppresses_at_once(delivery):
    assert process_bounce(returned("arf_complaint.eml", delivery)).outcome == Outcome.SUPPRESSED
    assert db.session.scalar(sa.select(Suppression.reason)) == SuppressionReason.COMPLAINED


def test_the_same_bounce_twice_is_recorded_once(delivery):
    raw = returned(SOFT, delivery)
    assert process_bounce(raw).outcome == Outcome.RECORDED
    assert process_bounce(raw).outcome == Outcome.DUPLICATE
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) == 1


def test_what_is_no_bounce_of_ours_changes_nothing_and_logs_no_address(delivery, caplog):
    forged = return_path(delivery).replace(f"+{delivery}-", f"+{delivery + 1}-")
    hard = (SAMPLES / HARD).read_bytes()
    with caplog.at_level(logging.INFO, logger="people.bounces"):
        for raw in (
            returned("out_of_office.eml", delivery),
            hard.replace(b"{VERP}", forged.encode()),
            hard.replace(b"{VERP}", return_path(delivery + 50).encode()),  # never sent
            b"\xff\xfe junk",
        ):
            assert process_bounce(raw).outcome == Outcome.IGNORED
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Bounce)) == 0
    assert not is_suppressed(ADDRESS)
    assert "ignored" in caplog.text and "@" not in caplog.text


def test_kkp_bounce_reads_standard_input(app, delivery):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["bounce"], input=returned(HARD, delivery))
    assert result.exit_code == 0 and "hard: suppressed" in result.output
    again = runner.invoke(args=["bounce"], input=returned(HARD, delivery))
    assert again.exit_code == 0 and "duplicate" in again.output
    ignored = runner.invoke(args=["bounce"], input=returned("out_of_office.eml", delivery))
    assert ignored.exit_code == 0 and "ignored" in ignored.output


def test_kkp_bounce_asks_for_a_retry_when_the_database_fails(app, delivery, monkeypatch):
    def failing(*args, **kwargs):
        raise sqlalchemy.exc.OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("service.commands.process_bounce", failing)
    result = app.test_cli_runner().invoke(args=["bounce"], input=returned(HARD, delivery))
    assert result.exit_code == 75


def test_the_send_report_counts_the_bounce(verp, lists):
    subscriber_id = add_confirmed([lists["kkp-kompakt"]], 1)[0]
    issue = issues.create_issue(
        number="4/2026", title="Bounces", intro="Hallo", list_ids=[lists["kkp-kompakt"]]
    )
    db.session.flush()
    issue = db.session.get(Issue, issue.id)
    issue.status, issue.started_at, issue.to_send = IssueStatus.SENT, utcnow(), 1
    row = Delivery(
        kind="issue",
        recipient=ADDRESS,
        subscriber_id=subscriber_id,
        issue_id=issue.id,
        status=DeliveryStatus.SENT,
    )
    db.session.add(row)
    db.session.commit()
    assert send_report(issue).bounced == 0
    process_bounce(returned("exim_failed_recipients.eml", row.id))
    db.session.commit()
    assert send_report(issue).bounced == 1


def test_the_editors_see_the_bounces_and_the_subscribers_history(logged_in, delivery):
    process_bounce(returned(HARD, delivery))
    db.session.commit()
    page = logged_in.get("/admin/bounces", headers=DE).get_data(as_text=True)
    table = page.split('id="bounce-table"', 1)[1].split("</table>", 1)[0]
    for seen in (
        ADDRESS,
        "5.1.1",
        "User unknown",
        "Unzustellbar",
        "Nach Unzustellbarkeit gesperrt",
    ):
        assert seen in table, seen
    english = logged_in.get("/admin/bounces?lang=en")
    assert "Blocked after bounces" in english.get_data(as_text=True)
    subscriber_id = db.session.get(Delivery, delivery).subscriber_id
    person = logged_in.get(f"/admin/subscribers/{subscriber_id}", headers=DE)
    assert "User unknown" in person.get_data(as_text=True).split("<h2>Rückläufer</h2>", 1)[-1]


def test_releasing_an_address_needs_a_note_and_is_audited(logged_in, delivery):
    process_bounce(returned(HARD, delivery))
    db.session.commit()
    bounce_id = db.session.scalar(sa.select(Bounce.id))
    url = f"/admin/bounces/{bounce_id}/release"
    refused = post_form(logged_in, url, {"note": "  "}, headers=DE)
    assert refused.status_code == 400 and is_suppressed(ADDRESS)
    done = post_form(logged_in, url, {"note": "Postfach wieder eingerichtet (Anruf)"})
    assert done.status_code == 303 and not is_suppressed(ADDRESS)
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "suppression.release")
    ).one()
    assert entry.details["note"] == "Postfach wieder eingerichtet (Anruf)"
    assert entry.details["reason"] == SuppressionReason.BOUNCED
    assert "nicht gesperrt" in logged_in.get(url, headers=DE).get_data(as_text=True)


def test_an_issue_skips_the_blocked_address(delivery, lists, compose, mail, worker, drain):
    add_confirmed([lists["kkp-kompakt"]], 1, start=1)
    process_bounce(returned(HARD, delivery))
    db.session.commit()
    send_now(compose())
    mail.wait_for(1)
    drain()
    assert [m["to"][0] for m in mail.messages] == ["person1@example.org"]
    statuses = db.session.execute(
        sa.select(Delivery.recipient, Delivery.status).where(Delivery.issue_id.is_not(None))
    ).all()
    assert sorted(statuses) == [(ADDRESS, "cancelled"), ("person1@example.org", "sent")]
