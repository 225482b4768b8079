"""The audit log's page: each entry a German sentence with its details as a definition
list, a filter by editor, kind of object, action and days that keeps its values, and
pages of 50 with the total."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from kkp.extensions import db


def _main(page: str) -> str:
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _entries(page: str) -> str:
    """The entries' text only (not the filter's options)."""
    if '<ol class="dash-entries">' not in page:
        return ""
    part = page.split('<ol class="dash-entries">', 1)[1].split("</ol>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", part)))


def _anna():
    from kkp.auth.operations import create_editor

    anna = create_editor(
        "anna@kkp.test", role="editor", password="auch-sehr-geheim-1", name="Anna Schmidt"
    )
    db.session.flush()
    return anna


def _issue(number="3/2026", title="Prävention im Quartier"):
    from newsletter import issues

    issue = issues.create_issue(number=number, title=title)
    db.session.flush()
    return issue


def test_entries_read_as_german_sentences(logged_in, lists, editor):
    from kkp.auth.models import AuditEntry

    anna = _anna()
    issue = _issue()
    db.session.add_all(
        [
            AuditEntry(
                editor_id=anna.id,
                action="issue.send",
                object_type="Issue",
                object_id=issue.id,
                details={"recipients": 5000},
            ),
            AuditEntry(
                editor_id=None,
                channel="worker",
                action="import.fail",
                object_type="ImportJob",
                object_id=999,
            ),
            AuditEntry(
                editor_id=None,
                channel="public",
                action="subscriber.delete",
                details={"subscriber_id": 7, "reason": "deleted"},
            ),
        ]
    )
    db.session.commit()
    page = logged_in.get("/admin/audit", headers={"Accept-Language": "de"}).get_data(as_text=True)
    text = _entries(page)
    assert "Anna Schmidt hat die Ausgabe 3/2026: Prävention im Quartier versendet" in text
    assert "Empfängerinnen und Empfänger: 5.000" in text
    assert "Der CSV-Import Nr. 999 ist fehlgeschlagen" in text
    assert "Jemand über die öffentlichen Seiten hat eine/n Abonnent/in gelöscht" in text
    # the object links to its page, inside the sentence
    assert f'<a href="/admin/issues/{issue.id}">3/2026: Prävention im Quartier</a>' in page
    # details as a definition list, never JSON
    assert "<dl" in page and "<dt>" in page
    assert "{" not in text and "issue.send" not in text

    english = _entries(logged_in.get("/admin/audit?lang=en").get_data(as_text=True))
    assert "Anna Schmidt sent the issue 3/2026: Prävention im Quartier" in english


def test_every_action_has_a_sentence():
    from kkp.auth.audit_log import ACTIONS
    from kkp.auth.audit_sentences import SENTENCES

    assert set(SENTENCES) == set(ACTIONS)


def test_a_deleted_issue_is_named_by_what_was_recorded(logged_in, lists):
    from kkp.auth.operations import audit

    audit("issue.delete", None, number="2/2026")
    from kkp.auth.models import AuditEntry

    entry = db.session.query(AuditEntry).filter_by(action="issue.delete").one()
    entry.object_type, entry.object_id = "Issue", 424242
    db.session.commit()
    text = _entries(logged_in.get("/admin/audit").get_data(as_text=True))
    assert "Das System hat die Ausgabe 2/2026 gelöscht" in text


def test_filters_narrow_the_entries_and_keep_their_values(logged_in, lists, editor):
    from kkp.auth.models import AuditEntry
    from kkp.db import utcnow
    from kkp.i18n import BERLIN

    anna = _anna()
    issue = _issue()
    old = utcnow() - timedelta(days=40)
    db.session.add_all(
        [
            AuditEntry(
                editor_id=anna.id, action="issue.send", object_type="Issue", object_id=issue.id
            ),
            AuditEntry(
                editor_id=anna.id,
                action="issue.pause",
                object_type="Issue",
                object_id=issue.id,
                at=old,
            ),
            AuditEntry(
                editor_id=None,
                channel="worker",
                action="import.finish",
                object_type="ImportJob",
                object_id=1,
            ),
        ]
    )
    db.session.commit()

    page = logged_in.get(f"/admin/audit?editor={anna.id}&action=issue.send").get_data(as_text=True)
    text = _entries(page)
    assert "versendet" in text and "angehalten" not in text and "CSV" not in text
    assert f'<option value="{anna.id}" selected>Anna Schmidt</option>' in page
    assert '<option value="issue.send" selected>' in page
    assert "1 Eintrag." in _main(page)

    text = _entries(logged_in.get("/admin/audit?editor=system").get_data(as_text=True))
    assert "Der CSV-Import" in text and "Anna" not in text

    text = _entries(logged_in.get("/admin/audit?type=Issue").get_data(as_text=True))
    assert "versendet" in text and "angehalten" in text and "CSV" not in text

    day = old.astimezone(BERLIN).date().isoformat()  # the filter's days are Berlin's
    page = logged_in.get(f"/admin/audit?from={day}&to={day}").get_data(as_text=True)
    text = _entries(page)
    assert "angehalten" in text and "versendet" not in text
    assert f'name="from" value="{day}"' in page and f'name="to" value="{day}"' in page


def test_bad_filter_values_say_so_and_keep_the_input(logged_in, lists):
    response = logged_in.get("/admin/audit?from=31.02.2026&action=nonsense&editor=x%00")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Bitte geben Sie ein Datum wie 31.03.2026 ein." in page
    assert "Bitte wählen Sie eine Aktion aus der Liste." in page
    assert "Bitte wählen Sie eine Person aus der Liste." in page
    assert 'value="31.02.2026"' in page


def test_pages_of_fifty_with_the_total(logged_in, lists):
    from kkp.auth.models import AuditEntry

    # the fixtures' entries (lists, consent text, the editor) and 120 more: 3 pages
    before = db.session.query(AuditEntry).count()
    assert 0 < before < 30
    db.session.add_all(
        AuditEntry(action="settings.change", details={"keys": ["sender_name"]}) for _ in range(120)
    )
    db.session.commit()
    page = logged_in.get("/admin/audit").get_data(as_text=True)
    text = _main(page)
    assert f"{120 + before} Einträge." in text
    assert "Seite 1 von 3." in text
    assert page.count('class="dash-card"') == 50
    assert 'rel="next" href="/admin/audit?page=2"' in page and 'rel="prev"' not in page

    page = logged_in.get("/admin/audit?page=3&type=").get_data(as_text=True)
    assert page.count('class="dash-card"') == 20 + before
    assert "Seite 3 von 3." in _main(page)
    assert 'rel="prev" href="/admin/audit?page=2"' in page and 'rel="next"' not in page

    page = logged_in.get("/admin/audit?page=2&action=settings.change").get_data(as_text=True)
    assert "120 Einträge." in _main(page)
    assert 'href="/admin/audit?page=3&amp;action=settings.change"' in page
