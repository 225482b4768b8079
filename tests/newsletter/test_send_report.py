"""The report of a sent issue: the figures the editor sees, the failed addresses as CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.newsletter.reports import make_sent_issue

DE = {"Accept-Language": "de"}


@pytest.fixture
def sent_issue(ctx, lists):
    return make_sent_issue(lists)


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
