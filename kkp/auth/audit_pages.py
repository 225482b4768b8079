"""The audit log's page: the filter (editor, kind of object, action, days) read from
the query string, and one page of 50 entries with the total count."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _

from kkp.auth.audit_log import ACTIONS, OBJECT_TYPES, Line, describe
from kkp.auth.models import AuditEntry, Editor
from kkp.db import numbered_page
from kkp.extensions import db
from kkp.i18n import berlin_to_utc, year_problem
from kkp.params import MAX_ID, query_number

#: entries on one page
PAGE = 50
#: the editor filter's value for what nobody with an account did
SYSTEM = "system"


@dataclass
class AuditFilter:
    """What the editor asked for; every value as typed, for the form to show again."""

    editor: str = ""
    object_type: str = ""
    action: str = ""
    since: str = ""
    until: str = ""
    #: messages by field name, for values that could not be used (they are ignored)
    errors: dict[str, str] = field(default_factory=dict)

    def as_args(self) -> dict[str, str]:
        values = {
            "editor": self.editor,
            "type": self.object_type,
            "action": self.action,
            "from": self.since,
            "to": self.until,
        }
        return {k: v for k, v in values.items() if v}


@dataclass
class AuditPage:
    lines: list[Line]
    total: int
    number: int
    pages: int


def read_filter() -> AuditFilter:
    args = request.args
    flt = AuditFilter(
        editor=args.get("editor", "").strip()[:20],
        object_type=args.get("type", "").strip()[:40],
        action=args.get("action", "").strip()[:80],
        since=args.get("from", "").strip()[:20],
        until=args.get("to", "").strip()[:20],
    )
    if flt.editor and flt.editor != SYSTEM and not _editor_id(flt.editor):
        flt.errors["editor"] = _("Choose an editor from the list.")
    if flt.object_type and flt.object_type not in OBJECT_TYPES:
        flt.errors["type"] = _("Choose a kind of object from the list.")
    if flt.action and flt.action not in ACTIONS:
        flt.errors["action"] = _("Choose an action from the list.")
    return flt


def _editor_id(value: str) -> int | None:
    if value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID:
        return int(value)
    return None


def _day(flt: AuditFilter, name: str, value: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        flt.errors[name] = _("Enter a date such as 2026-03-31.")
        return None
    problem = year_problem(day)
    if problem:
        flt.errors[name] = problem
        return None
    return day


def _where(flt: AuditFilter) -> list:
    conditions = []
    if "editor" not in flt.errors and flt.editor == SYSTEM:
        conditions.append(AuditEntry.editor_id.is_(None))
    elif "editor" not in flt.errors and flt.editor:
        conditions.append(AuditEntry.editor_id == _editor_id(flt.editor))
    if "type" not in flt.errors and flt.object_type:
        conditions.append(AuditEntry.object_type == flt.object_type)
    if "action" not in flt.errors and flt.action:
        conditions.append(AuditEntry.action == flt.action)
    since = _day(flt, "from", flt.since)
    if since:
        conditions.append(AuditEntry.at >= berlin_to_utc(since, time(0))[0])
    until = _day(flt, "to", flt.until)
    if until:
        conditions.append(AuditEntry.at < berlin_to_utc(until + timedelta(days=1), time(0))[0])
    if since and until and until < since:
        flt.errors["to"] = _("The last day lies before the first.")
    return conditions


def audit_page(flt: AuditFilter) -> AuditPage:
    """The entries that match, newest first, on the page the query string asks for."""
    page = numbered_page(AuditEntry, _where(flt), size=PAGE, asked=query_number("page"))
    return AuditPage(
        lines=describe(page.rows), total=page.total, number=page.number, pages=page.pages
    )


def choices() -> dict[str, list[tuple[str, str]]]:
    """The filter's options: editors by name, kinds of object and actions in words."""
    editors = db.session.execute(sa.select(Editor.id, Editor.name, Editor.email)).all()
    return {
        "editors": sorted(
            ((str(i), name or email) for i, name, email in editors), key=lambda c: c[1].lower()
        ),
        "types": sorted(((k, str(v)) for k, v in OBJECT_TYPES.items()), key=lambda c: c[1]),
        "actions": sorted(((k, str(v)) for k, v in ACTIONS.items()), key=lambda c: c[1]),
    }
