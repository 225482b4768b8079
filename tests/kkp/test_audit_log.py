"""The audit log in words: every action, channel, object and detail in the interface's
language; ids become names; no dotted codes, no JSON."""

from __future__ import annotations

import ast
import html
import re
from datetime import time, timedelta
from pathlib import Path

from kkp.extensions import db
from tests.helpers import post_form

ROOT = Path(__file__).resolve().parents[2]
SKIP = {".venv", "tests", "node_modules", "migrations", "bench"}


def _audit_calls():
    """(path:line, actions, detail keys) of every `audit(…)` call in the code."""
    for path in sorted(ROOT.glob("**/*.py")):
        if SKIP & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name != "audit" or not node.args:
                continue
            first = node.args[0]
            branches = [first.body, first.orelse] if isinstance(first, ast.IfExp) else [first]
            actions = [b.value for b in branches if isinstance(b, ast.Constant)]
            assert len(actions) == len(branches), f"{path}:{node.lineno}: action not a literal"
            keys = [k.arg for k in node.keywords if k.arg]
            yield f"{path.relative_to(ROOT)}:{node.lineno}", actions, keys


def test_every_audited_action_and_detail_has_words():
    from events.operations import SIGNIFICANT, VISIBLE
    from kkp.auth.audit_log import ACTIONS, DETAILS, VALUES
    from newsletter.models import CONSENT_PURPOSES
    from newsletter.settings import SETTINGS

    calls = list(_audit_calls())
    assert len(calls) > 30
    for where, actions, keys in calls:
        for action in actions:
            assert action in ACTIONS, f"{where}: no words for action {action!r}"
        for key in keys:
            assert key in DETAILS, f"{where}: no words for detail {key!r}"
    # the codes that details carry as values
    for field in (*SIGNIFICANT, *VISIBLE, "name", "slug", "description", "is_public"):
        assert field in VALUES["fields"], field
    for setting in SETTINGS:
        assert setting.key in VALUES["keys"], setting.key
    for purpose in CONSENT_PURPOSES:
        assert purpose in VALUES["purpose"], purpose


def _event():
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
            title="Netzwerktreffen Nord",
            venue="Rathaus",
            start_day=(utcnow().astimezone(BERLIN) + timedelta(days=14)).date(),
            start_time=time(10),
            end_time=time(12),
        )
    )
    publish_event(event)
    return event


def _cells(page: str) -> str:
    """The page's main content as text."""
    main = page.split('<main id="main"', 1)[1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def test_the_audit_log_speaks_german_and_english(logged_in, lists):
    from events.invitations import invite_list

    event = _event()
    invite_list(event.id, lists["kkp-kompakt"])
    db.session.commit()
    # an export without a list filter: the detail list_id is null
    assert logged_in.get("/admin/subscribers/export.csv").status_code == 200
    post_form(logged_in, "/admin/tokens", {"name": "Website"})

    page = logged_in.get("/admin/audit").get_data(as_text=True)
    text = _cells(page)
    for words in (
        "Liste zur Veranstaltung eingeladen",
        "Veranstaltung: Netzwerktreffen Nord",
        "Liste: KKP Kompakt",
        "Eingeladen: 0",
        "Veranstaltung veröffentlicht",
        "Abonnent/innen exportiert",
        "Mit einer Suche: nein",
        "API-Token erstellt",
        "API-Token: Website",
        "Liste angelegt",
        "Einwilligungstext veröffentlicht",
        "Fassung: 1",
        "Oberfläche der Redaktion",
    ):
        assert words in text, words
    for code in ("event.invite_list", "subscriber.export", "api_token.create", "list_id", "{"):
        assert code not in text, code
    assert "None" not in text and "null" not in text
    # names link to the object's page
    assert f'href="/admin/events/{event.id}/edit"' in page
    assert f'href="/admin/lists/{lists["kkp-kompakt"]}"' in page

    english = _cells(logged_in.get("/admin/audit?lang=en").get_data(as_text=True))
    for words in (
        "List invited to the event",
        "Event: Netzwerktreffen Nord",
        "List: KKP Kompakt",
        "Subscribers exported",
        "API token created",
        "Editors' interface",
    ):
        assert words in english, words
    assert "event.invite_list" not in english


def test_deleted_objects_and_codes_in_details(logged_in, lists, ctx):
    from kkp.auth.operations import audit

    audit("subscriber.delete", None, subscriber_id=4711, reason="unsubscribed")
    audit("registration.move_up", None, event_id=999_999, status="waiting")
    audit("list.update", None, fields=["name", "is_public"])
    db.session.commit()
    text = _cells(logged_in.get("/admin/audit").get_data(as_text=True))
    assert "Abonnent/in gelöscht" in text
    assert "Abonnent/in Nr.: 4711" in text and "Grund: Abgemeldet" in text
    assert "Veranstaltung: Nr. 999999" in text and "Status: Warteliste" in text
    assert "Geändert: Name, Im Anmeldeformular anzeigen" in text
    assert "unsubscribed" not in text and "is_public" not in text
