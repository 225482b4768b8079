"""The issue API's input: what each body may hold, and how lists, objects, images and
times in it are checked (the simple fields by :mod:`kkp.api`'s rules)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _

from kkp.api import (
    Field,
    # kkp.api has no public way to check a body that mixes simple fields with lists
    # and objects; these three keep its rules and its error shape in one place.
    _Invalid,
    _parse_json_value,
    _read,
    json_body,
)
from kkp.i18n import NonexistentTime, berlin_to_utc, year_problem
from kkp.text import text_problem
from newsletter import issues, openapi, sending
from newsletter.markup import is_web_url
from newsletter.models import ISSUE_STATUSES


@dataclass(frozen=True)
class Structured:
    """A field whose value is a list or an object; `parse` raises `_Invalid` if it is wrong."""

    parse: Callable[[Any], Any]
    required: bool = False


def _parse(value, field):
    if isinstance(field, Structured):
        return field.parse(value)
    return _parse_json_value(value, field)


def read_json(spec: dict[str, Field | Structured]) -> dict:
    """Like :func:`kkp.api.read_body`, with :class:`Structured` fields besides."""
    return _read(json_body(), spec, _parse)


# -- structured input ----------------------------------------------------------------------

_LABEL = Field("string", max_length=200)
_URL = Field("string", max_length=2000)
_ALT = Field("string", max_length=300)
_ADDRESS = Field("string", max_length=254)


def text_field(limit: int | None):
    """A parser for Markdown or plain text over several lines, at most `limit`
    characters (None: the operation checks the length); other control characters and
    broken Unicode are refused."""

    def parse(value) -> str:
        if not isinstance(value, str):
            raise _Invalid(_("Must be a string."))
        problem = text_problem(value, multi_line=True)
        if problem:
            raise _Invalid(problem)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _Invalid(_("This text contains invalid characters.")) from exc
        if limit is not None and len(value) > limit:
            raise _Invalid(_("At most %(n)d characters, please.", n=limit))
        return value

    return parse


#: intro and article text: their length is `KKP_ARTICLE_MAX_LENGTH`, which
#: :mod:`newsletter.issues` checks
_text = text_field(None)


def _links(value) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(isinstance(link, dict) for link in value):
        raise _Invalid(_('Must be a list of links, each {"label": …, "url": …}.'))
    if len(value) > issues.MAX_LINKS:
        raise _Invalid(_("At most %(n)d links per article, please.", n=issues.MAX_LINKS))
    links = []
    for n, link in enumerate(value, start=1):
        if set(link) - {"label", "url"} or "url" not in link:
            raise _Invalid(_("Link %(n)d: give a url and, if you like, a label.", n=n))
        try:
            label = _parse_json_value(link.get("label", ""), _LABEL)
            url = _parse_json_value(link["url"], _URL).strip()
        except _Invalid as exc:
            raise _Invalid(_("Link %(n)d: %(problem)s", n=n, problem=str(exc))) from exc
        if not is_web_url(url):
            raise _Invalid(_("Link %(n)d: the address must start with http:// or https://.", n=n))
        links.append({"label": label, "url": url})
    return links


def _image(value) -> dict | None:
    """`{"content_base64", "alt"}` → `{"data": bytes | None, "alt": str}`; null removes."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"content_base64", "alt"}:
        raise _Invalid(_("Must be an object with content_base64 and alt."))
    alt = _parse_json_value(value.get("alt", ""), _ALT)
    content = value.get("content_base64")
    if content is None:
        return {"data": None, "alt": alt}
    if not isinstance(content, str):
        raise _Invalid(_("content_base64 must be a string."))
    try:
        # line breaks, as some encoders add them every 76 characters, are ignored
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Invalid(_("content_base64 is not valid Base64.")) from exc
    return {"data": data, "alt": alt}


def _addresses(value) -> list[str]:
    if not isinstance(value, list) or not value:
        raise _Invalid(_("Must be a list of e-mail addresses."))
    if len(value) > sending.MAX_TEST_ADDRESSES:
        raise _Invalid(
            _("At most %(n)d addresses for a test, please.", n=sending.MAX_TEST_ADDRESSES)
        )
    return [_parse_json_value(address, _ADDRESS) for address in value]


def _send_time(value) -> datetime:
    """ISO 8601; with an offset as given, without one in Europe/Berlin. Returns UTC."""
    wrong = _("Please give a date and time in ISO 8601, e.g. 2026-05-04T09:00.")
    if not isinstance(value, str) or not ("T" in value.upper() or " " in value.strip()):
        raise _Invalid(wrong)
    try:
        when = datetime.fromisoformat(value.strip())
        if year_problem(when):
            raise _Invalid(year_problem(when))
        if when.tzinfo is not None:
            return when.astimezone(UTC)
        return berlin_to_utc(when.date(), when.time())[0]  # a repeated hour: the first
    except NonexistentTime as exc:
        raise _Invalid(
            _("This time does not exist in Germany: the clocks go forward then.")
        ) from exc
    except _Invalid:
        raise
    except (ValueError, OverflowError) as exc:
        raise _Invalid(wrong) from exc


# -- input specifications ------------------------------------------------------------------

ISSUE_FIELDS: dict[str, Field | Structured] = {
    "number": Field("string", required=True, max_length=issues.MAX_NUMBER),
    "title": Field("string", required=True, max_length=issues.MAX_TITLE),
    "intro": Structured(_text),
    "list_ids": Field("ids"),
}
ISSUE_CHANGES = {name: replace(field, required=False) for name, field in ISSUE_FIELDS.items()}
ISSUE_QUERY = {
    "status": Field("string", max_length=20, choices=ISSUE_STATUSES),
    "after": Field("integer", minimum=0),
    "limit": Field("integer", maximum=openapi.MAX_PAGE_SIZE),
}
ARTICLE_FIELDS: dict[str, Field | Structured] = {
    "title": Field("string", required=True, max_length=issues.MAX_TITLE),
    "body": Structured(_text),
    "links": Structured(_links),
    "image": Structured(_image),
    "event_id": Field("integer", nullable=True),
}
ARTICLE_CHANGES = {name: replace(field, required=False) for name, field in ARTICLE_FIELDS.items()}
MOVE_FIELDS = {
    "delta": Field("integer", minimum=-1, maximum=1),
    "position": Field("integer", minimum=0, maximum=10_000),
}
TEST_SEND_FIELDS = {"addresses": Structured(_addresses, required=True)}
SCHEDULE_FIELDS = {"at": Structured(_send_time, required=True)}
PAUSE_FIELDS = {"reason": Field("string", max_length=500)}

#: the operations' field names → the names in this API's bodies
FIELD_NAMES = {"lists": "list_ids", "image_alt": "image", "scheduled_at": "at"}
