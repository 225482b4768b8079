"""The audit log as editors read it: every action, channel, object and detail in words
of the interface's language, never a dotted code or JSON.

`ACTIONS` (in :mod:`kkp.auth.audit_words`, with the other words) names every action
that `kkp.auth.operations.audit` records (a test reads the code for them). Ids in the
details and the entry's object become names and links through the namers the domains
register with :func:`register_names`, since the foundation does not know the domains'
tables.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_number
from flask_babel import gettext as _
from markupsafe import Markup, escape

from kkp.auth.audit_sentences import NOBODY, SENTENCES, SYSTEM
from kkp.auth.audit_words import (  # noqa: F401  (the tables' home; imported from here too)
    ACTIONS,
    CHANNELS,
    DETAILS,
    ID_KEYS,
    OBJECT_TYPES,
    VALUES,
)
from kkp.auth.models import ApiToken, Editor
from kkp.extensions import db
from kkp.i18n import berlin

#: object type -> function(ids) -> {id: (name, url or None)}
Namer = Callable[[set[int]], dict[int, tuple[str, str | None]]]
_namers: dict[str, Namer] = {}


def register_names(object_type: str, namer: Namer) -> None:
    """Let the audit log show objects of `object_type` by name (and link) instead of id."""
    _namers[object_type] = namer


@dataclass(frozen=True)
class Named:
    text: str
    url: str | None = None


@dataclass(frozen=True)
class Line:
    """One entry as the page shows it."""

    at: datetime
    who: str | None
    channel: str
    action: str
    #: who did what to which object, in a sentence with the object linked
    sentence: Markup
    #: what kind of object (e.g. "Issue"), and the object by name
    object_label: str | None
    object: Named | None
    details: list[tuple[str, list[Named]]]


def action_label(action: str) -> str:
    return str(ACTIONS.get(action, action))


def describe(entries: Iterable) -> list[Line]:
    """The audit entries in words; names for ids looked up once per type for all."""
    entries = list(entries)
    wanted: dict[str, set[int]] = {}
    for entry in entries:
        if entry.object_type and entry.object_id is not None:
            wanted.setdefault(entry.object_type, set()).add(entry.object_id)
        for key, kind in ID_KEYS.items():
            value = (entry.details or {}).get(key)
            ids = value if isinstance(value, list) else [value]
            wanted.setdefault(kind, set()).update(i for i in ids if isinstance(i, int))
    names = {
        kind: _namers[kind](ids) if kind in _namers and ids else {} for kind, ids in wanted.items()
    }

    def named(kind: str, object_id: int) -> Named:
        name, url = names.get(kind, {}).get(object_id, (None, None))
        return Named(name, url) if name else Named(_("no. %(id)s", id=object_id))

    lines = []
    for entry in entries:
        label = obj = None
        if entry.object_type:
            label = str(OBJECT_TYPES.get(entry.object_type, entry.object_type))
            if entry.object_id is not None:
                obj = named(entry.object_type, entry.object_id)
                if obj.url is None:  # deleted since: the name it had, where recorded
                    gone = (entry.details or {}).get("title") or (entry.details or {}).get("number")
                    obj = Named(str(gone)) if gone else obj
        who = (entry.editor.name or entry.editor.email) if entry.editor else None
        lines.append(
            Line(
                at=entry.at,
                who=who,
                channel=str(CHANNELS.get(entry.channel, entry.channel)),
                action=action_label(entry.action),
                sentence=sentence(entry.action, entry.channel, who, obj),
                object_label=label,
                object=obj,
                details=_details(entry.details or {}, named),
            )
        )
    return lines


def sentence(action: str, channel: str, who: str | None, obj: Named | None) -> Markup:
    """Who did what to which object, the object a link where it has a page."""
    if who is None:
        who = str(NOBODY.get(channel, SYSTEM))
    shown: Markup | str = _("(unknown)")
    if obj is not None:
        shown = Markup('<a href="%s">%s</a>') % (obj.url, obj.text) if obj.url else obj.text
    template = SENTENCES.get(action)
    if template is None:
        return Markup("%s: %s") % (who, action_label(action))
    return escape(str(template)) % {"who": who, "object": shown}


def _details(details: dict, named: Callable[[str, int], Named]) -> list[tuple[str, list[Named]]]:
    out = []
    for key, value in details.items():
        if value is None or value == [] or value == "":
            continue
        shown = _value(key, value, named)
        if shown:
            out.append((str(DETAILS.get(key, key)), shown))
    return out


def _value(key: str, value, named: Callable[[str, int], Named]) -> list[Named]:
    if key in ID_KEYS:
        ids = value if isinstance(value, list) else [value]
        return [named(ID_KEYS[key], i) for i in ids if isinstance(i, int)]
    if isinstance(value, bool):
        return [Named(_("yes") if value else _("no"))]
    if key.endswith("_id"):
        return [Named(str(value))]
    if isinstance(value, int):
        return [Named(format_number(value))]
    if key == "at" and isinstance(value, str):
        try:
            return [Named(berlin(datetime.fromisoformat(value)))]
        except ValueError:
            return [Named(value)]
    words = VALUES.get(key, {})
    values = value if isinstance(value, list) else [value]
    return [Named(str(words.get(v, v))) for v in values]


def _editors(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(Editor.id, Editor.email).where(Editor.id.in_(ids)))
    return {i: (email, url_for("auth.editors")) for i, email in rows}


def _tokens(ids: set[int]) -> dict[int, tuple[str, str | None]]:
    rows = db.session.execute(sa.select(ApiToken.id, ApiToken.name).where(ApiToken.id.in_(ids)))
    return {i: (name, url_for("auth.tokens")) for i, name in rows}


register_names("Editor", _editors)
register_names("ApiToken", _tokens)
