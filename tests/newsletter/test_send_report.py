"""The report of a sent issue: the figures the editor sees, the failed addresses as CSV."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from tests.newsletter.conftest import add_confirmed

DE = {"Accept-Language": "de"}


@pytest.fixture
def sent_issue(ctx, lists, compose):
    """An issue sent an hour ago to 1,203 people: 1,200 delivered, one failed because
    the server refused, two given up; one of the delivered bounced since, one left a
    list and one left the newsletter through their links."""
    import sqlalchemy as sa

    from kkp.db import utcnow
    from kkp.extensions import db
    from kkp.mail import reasons
    from kkp.mail.models import Delivery, DeliveryStatus
    from newsletter import operations
    from newsletter.models import Issue, IssueStatus, Subscriber
    from people.addresses import email_hash, suppress
    from people.models import Suppression, SuppressionReason

    kompakt, fortbildungen = lists["kkp-kompakt"], lists["fortbildungen"]
    ids = add_confirmed([kompakt, fortbildungen], 1203)
    issue = db.session.get(Issue, compose())
    now = utcnow()
    started = now - timedelta(hours=1)
    issue.status, issue.started_at, issue.finished_at = IssueStatus.SENT, started, now
    issue.to_send = len(ids)
    failed = {ids[0]: "550 5.1.1 Unbekannter Empfänger", ids[1]: reasons.reason(reasons.GAVE_UP)}
    failed[ids[2]] = reasons.reason(reasons.GAVE_UP, "421 try later")
    rows = []
    for n, subscriber_id in enumerate(ids):
        error = failed.get(subscriber_id)
        rows.append(
            {
                "kind": "issue",
                "recipient": f"person{n}@example.org",
                "subscriber_id": subscriber_id,
                "issue_id": issue.id,
                "params": {},
                "status": DeliveryStatus.FAILED if error else DeliveryStatus.SENT,
                "attempts": 5 if error else 1,
                "last_error": error,
                "created_at": started,
                "updated_at": started,
                "sent_at": None if error else started,
            }
        )
    db.session.execute(sa.insert(Delivery), rows)
    db.session.commit()
    # after the send: a bounce, a list left, the newsletter left
    suppress("person10@example.org", SuppressionReason.BOUNCED)
    operations.unsubscribe(db.session.get(Subscriber, ids[11]), list_id=fortbildungen)
    operations.unsubscribe(db.session.get(Subscriber, ids[12]))
    # a bounce before the send started does not count
    db.session.add(
        Suppression(
            email_hash=email_hash("person20@example.org"),
            reason=SuppressionReason.BOUNCED,
            created_at=started - timedelta(days=1),
        )
    )
    db.session.commit()
    return issue.id


def _main(html: str) -> str:
    return html.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_report_in_figures_and_words(logged_in, sent_issue):
    response = logged_in.get(f"/admin/issues/{sent_issue}/report", headers=DE)
    assert response.status_code == 200
    page = _main(response.get_data(as_text=True))
    assert "Bericht über den Versand" in page
    assert '<dd id="r-recipients">1.203</dd>' in page
    assert '<dd id="r-delivered">1.200</dd>' in page
    assert '<dd id="r-failed">3</dd>' in page
    assert '<dd id="r-bounced">1</dd>' in page
    assert '<dd id="r-unsubscribed">2</dd>' in page
    assert "r-interrupted" not in page  # nothing in doubt, no figure for it
    assert "in den 14 Tagen nach dem Versand" in page
    assert "keine Zählpixel" in page
    # the reasons in words, grouped and counted, the most frequent first
    table = page.split('id="failure-reasons"', 1)[1].split("</table>", 1)[0]
    assert table.index("Nach wiederholten Versuchen aufgegeben.") < table.index("550 5.1.1")
    assert '<td>Nach wiederholten Versuchen aufgegeben.</td><td class="number">2</td>' in table
    assert '<td>550 5.1.1 Unbekannter Empfänger</td><td class="number">1</td>' in table


def test_the_issue_page_links_to_the_report(logged_in, sent_issue):
    page = logged_in.get(f"/admin/issues/{sent_issue}", headers=DE).get_data(as_text=True)
    assert f'href="/admin/issues/{sent_issue}/report"' in page
    assert "Bericht" in page


def test_the_failed_addresses_as_csv(logged_in, sent_issue):
    response = logged_in.get(f"/admin/issues/{sent_issue}/failed.csv", headers=DE)
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["E-Mail", "Grund", "Versuche", "Zuletzt versucht"]
    by_email = {r[0]: r for r in rows[1:]}
    assert set(by_email) == {"person0@example.org", "person1@example.org", "person2@example.org"}
    assert by_email["person0@example.org"][1] == "550 5.1.1 Unbekannter Empfänger"
    assert by_email["person1@example.org"][1] == "Nach wiederholten Versuchen aufgegeben."
    assert by_email["person2@example.org"][1] == (
        "Nach wiederholten Versuchen aufgegeben. (421 try later)"
    )
    assert by_email["person0@example.org"][2] == "5"


def test_the_english_report(logged_in, sent_issue):
    page = logged_in.get(f"/admin/issues/{sent_issue}/report?lang=en").get_data(as_text=True)
    assert '<dd id="r-recipients">1,203</dd>' in page
    assert "in the 14 days after the sending" in page


def test_a_draft_has_no_report(logged_in, lists, compose):
    draft = compose()
    response = logged_in.get(f"/admin/issues/{draft}/report", headers=DE)
    assert response.status_code == 200
    page = _main(response.get_data(as_text=True))
    assert "noch nicht versandt" in page
    assert "r-recipients" not in page
    assert logged_in.get(f"/admin/issues/{draft}/failed.csv").status_code == 404
    assert logged_in.get("/admin/issues/999999/report").status_code == 404
    # no tab to a report that does not exist
    edit = logged_in.get(f"/admin/issues/{draft}", headers=DE).get_data(as_text=True)
    assert f"/admin/issues/{draft}/report" not in edit
