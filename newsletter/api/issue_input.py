"""What the issue API's bodies and queries may hold: the schemas, and how lists, images
and times in them are checked (simple fields by :mod:`kkp.api_fields`)."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import marshmallow as ma
from flask_babel import gettext as _

from kkp.api_docs import DATE_IN_RANGE, Setting
from kkp.api_fields import (
    ApiSchema,
    Ids,
    Markdown,
    Number,
    Structured,
    Text,
    check_text,
    paging,
)
from kkp.i18n import NonexistentTime, berlin_to_utc, year_problem
from kkp.markup import is_web_url
from kkp.text import SINGLE_LINE_PATTERN
from newsletter import issues, sending
from newsletter.models import ISSUE_STATUSES

_LINK_LABEL, _URL, _ALT, _ADDRESS = 200, 2000, 300, 254


def _checked(value, max_length: int) -> str:
    """A single-line string of at most `max_length` characters."""
    return check_text(value, max_length)


def _links(value) -> list[dict[str, str]]:
    if not isinstance(value, list) or not all(isinstance(link, dict) for link in value):
        raise ma.ValidationError(_('Must be a list of links, each {"label": …, "url": …}.'))
    if len(value) > issues.MAX_LINKS:
        raise ma.ValidationError(_("At most %(n)d links per article, please.", n=issues.MAX_LINKS))
    links = []
    for n, link in enumerate(value, start=1):
        if set(link) - {"label", "url"} or "url" not in link:
            raise ma.ValidationError(_("Link %(n)d: give a url and, if you like, a label.", n=n))
        try:
            label = _checked(link.get("label", ""), _LINK_LABEL)
            url = _checked(link["url"], _URL).strip()
        except ma.ValidationError as exc:
            problem = exc.messages[0]
            raise ma.ValidationError(_("Link %(n)d: %(problem)s", n=n, problem=problem)) from exc
        if not is_web_url(url):
            raise ma.ValidationError(
                _("Link %(n)d: the address must start with http:// or https://.", n=n)
            )
        links.append({"label": label, "url": url})
    return links


def _image(value) -> dict | None:
    """`{"content_base64", "alt"}` → `{"data": bytes | None, "alt": str}`; null removes."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"content_base64", "alt"}:
        raise ma.ValidationError(_("Must be an object with content_base64 and alt."))
    alt = _checked(value.get("alt", ""), _ALT)
    content = value.get("content_base64")
    if content is None:
        return {"data": None, "alt": alt}
    if not isinstance(content, str):
        raise ma.ValidationError(_("content_base64 must be a string."))
    try:
        # line breaks, as some encoders add them every 76 characters, are ignored
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ma.ValidationError(_("content_base64 is not valid Base64.")) from exc
    return {"data": data, "alt": alt}


def _addresses(value) -> list[str]:
    if not isinstance(value, list) or not value:
        raise ma.ValidationError(_("Must be a list of e-mail addresses."))
    if len(value) > sending.MAX_TEST_ADDRESSES:
        raise ma.ValidationError(
            _("At most %(n)d addresses for a test, please.", n=sending.MAX_TEST_ADDRESSES)
        )
    return [_checked(address, _ADDRESS) for address in value]


def _send_time(value) -> datetime:
    """ISO 8601; with an offset as given, without one in Europe/Berlin. Returns UTC."""
    wrong = _("Please give a date and time in ISO 8601, e.g. 2026-05-04T09:00.")
    if not isinstance(value, str) or not ("T" in value.upper() or " " in value.strip()):
        raise ma.ValidationError(wrong)
    try:
        when = datetime.fromisoformat(value.strip())
    except (ValueError, OverflowError) as exc:
        raise ma.ValidationError(wrong) from exc
    if year_problem(when):
        raise ma.ValidationError(year_problem(when))
    if when.tzinfo is not None:
        try:
            return when.astimezone(UTC)
        except (ValueError, OverflowError) as exc:
            raise ma.ValidationError(wrong) from exc
    try:
        return berlin_to_utc(when.date(), when.time())[0]  # a repeated hour: the first
    except NonexistentTime as exc:
        raise ma.ValidationError(
            _("This time does not exist in Germany: the clocks go forward then.")
        ) from exc
    except (ValueError, OverflowError) as exc:
        raise ma.ValidationError(wrong) from exc


# -- the schemas ---------------------------------------------------------------------------

_MARKDOWN = {
    "description": (
        "Markdown; several lines. Rendered and sanitised for mail and archive. At most "
        "`KKP_ARTICLE_MAX_LENGTH` characters (20,000 unless configured)."
    )
}


def _markdown() -> Markdown:
    """Intro and article text: their length is `KKP_ARTICLE_MAX_LENGTH`, which
    :mod:`newsletter.issues` checks."""
    return Markdown(max_length_setting=Setting("KKP_ARTICLE_MAX_LENGTH"), metadata=_MARKDOWN)


def _issue_fields(required: bool) -> dict:
    return {
        "number": Text(
            issues.MAX_NUMBER,
            min_length=1,
            required=required,
            metadata={"description": 'e.g. "3/2026".'},
        ),
        "title": Text(issues.MAX_TITLE, min_length=1, required=required),
        "intro": _markdown(),
        "list_ids": Ids(metadata={"description": "Ids of the lists the issue goes to."}),
    }


IssueCreateSchema = ApiSchema.from_dict(_issue_fields(True), name="IssueCreateSchema")
IssueCreateSchema.EXAMPLES = [
    {
        "number": "3/2026",
        "title": "Prävention vor Ort",
        "intro": "Liebe Netzwerkpartnerinnen und -partner,\n\nhier die neue Ausgabe.",
        "list_ids": [1],
    }
]
IssueUpdateSchema = ApiSchema.from_dict(_issue_fields(False), name="IssueUpdateSchema")
IssueUpdateSchema.EXAMPLES = [{"title": "Prävention vor Ort und im Netz", "list_ids": [1, 2]}]


class IssueQuerySchema(ApiSchema):
    status = Text(
        20, choices=ISSUE_STATUSES, metadata={"description": "Only issues with this status."}
    )
    after, limit = paging("Issues")


_LINK = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url"],
    "properties": {
        "label": {
            "type": "string",
            "maxLength": _LINK_LABEL,
            "pattern": SINGLE_LINE_PATTERN,
            "description": "Shown instead of the address.",
        },
        "url": {
            "type": "string",
            "maxLength": _URL,
            "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://",
            "description": "http:// or https:// only.",
        },
    },
}
_CONTENT = {
    "type": "string",
    "contentEncoding": "base64",
    "contentMediaType": "image/*",
    "description": "PNG, JPEG, GIF or WebP, at most `KKP_IMAGE_MAX_BYTES` (2 MB) decoded.",
}
_ALT_TEXT = {
    "type": "string",
    "maxLength": _ALT,
    "pattern": SINGLE_LINE_PATTERN,
    "description": "Alternative text for people who cannot see the picture; required.",
}
_NEW_IMAGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["content_base64", "alt"],
    "properties": {"content_base64": _CONTENT, "alt": _ALT_TEXT},
}
_CHANGED_IMAGE = {
    "oneOf": [
        {
            "type": "object",
            "additionalProperties": False,
            "required": ["alt"],
            "properties": {"content_base64": _CONTENT, "alt": _ALT_TEXT},
        },
        {"type": "null"},
    ],
    "description": (
        "null removes the picture; without `content_base64` only the alternative text changes."
    ),
}


def _article_fields(required: bool) -> dict:
    return {
        "title": Text(issues.MAX_TITLE, min_length=1, required=required),
        "body": _markdown(),
        "links": Structured(
            _links,
            {
                "type": "array",
                "maxItems": issues.MAX_LINKS,
                "items": _LINK,
                "description": "Shown below the article. Sending the field replaces all links.",
            },
        ),
        "image": Structured(_image, _CHANGED_IMAGE if not required else _NEW_IMAGE),
        "event_id": Number(
            nullable=True,
            metadata={
                "description": (
                    "The event the article announces, shown below its text with date, place "
                    "and links to register and to add it to a calendar; null for none. Only a "
                    "published event can be linked; an article keeps its event if it is "
                    "cancelled later."
                )
            },
        ),
    }


ArticleCreateSchema = ApiSchema.from_dict(_article_fields(True), name="ArticleCreateSchema")
ArticleCreateSchema.EXAMPLES = [
    {
        "title": "Fachtag Einbruchschutz",
        "body": "Am **12. Mai** in der Stadthalle.",
        "links": [{"label": "Anmeldung", "url": "https://example.org/fachtag"}],
        "image": {"content_base64": "iVBORw0KGgo…", "alt": "Die Stadthalle"},
        "event_id": 12,
    }
]
ArticleUpdateSchema = ApiSchema.from_dict(_article_fields(False), name="ArticleUpdateSchema")
ArticleUpdateSchema.EXAMPLES = [
    {"title": "Fachtag Einbruchschutz: neuer Ort"},
    {"image": None},
    {"event_id": None},
]


class ArticleMoveSchema(ApiSchema):
    """Exactly one of `delta` and `position` (the route checks which)."""

    delta = Number(
        minimum=-1, maximum=1, metadata={"description": "-1 moves up one place, 1 down one."}
    )
    position = Number(
        minimum=0,
        maximum=10_000,
        metadata={"description": "The new place, 0 first; past the end means last."},
    )


class TestSendSchema(ApiSchema):
    EXAMPLES = [{"addresses": ["redaktion@kkp-beispiel.de"]}]

    addresses = Structured(
        _addresses,
        {
            "type": "array",
            "minItems": 1,
            "maxItems": sending.MAX_TEST_ADDRESSES,
            "items": {"type": "string", "format": "email", "maxLength": _ADDRESS},
        },
        required=True,
    )


class ScheduleSchema(ApiSchema):
    EXAMPLES = [{"at": "2026-05-04T09:00"}, {"at": "2026-05-04T07:00:00Z"}]

    at = Structured(
        _send_time,
        {
            "type": "string",
            "pattern": DATE_IN_RANGE,
            "description": (
                "ISO 8601 date and time in the future. With an offset (`+02:00`, `Z`) "
                "as given; without one, German time (Europe/Berlin): a time skipped "
                "when the clocks go forward is refused, a repeated one is the first. "
                "Years up to 2200."
            ),
        },
        required=True,
    )


class PauseSchema(ApiSchema):
    reason = Text(500, metadata={"description": "Shown to editors."})
