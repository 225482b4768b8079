"""The API's input and output declared once: marshmallow fields that check a value as
the API always has (same rules, same German and English messages) and describe it for
the OpenAPI document; the base schemas of bodies, queries and answers.

Every field puts its JSON schema into `metadata`, which apispec copies into the
document, so what a field checks and what the document says come from one place.
"""

from __future__ import annotations

import marshmallow as ma
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.datastructures import FileStorage

from kkp.params import MAX_ID
from kkp.text import MULTI_LINE_PATTERN, SINGLE_LINE_PATTERN, text_problem

#: the most ids a list field takes
MAX_IDS = 100
#: items per page in keyset paging: the default and the most a client may ask for
PAGE_SIZE, MAX_PAGE_SIZE = 100, 500


class ApiSchema(ma.Schema):
    """A body or query: unknown fields are refused (`additionalProperties: false`).

    `EXAMPLES`, if set, go into the document as the schema's `examples`.
    """

    EXAMPLES: list[dict] = []

    class Meta:
        unknown = ma.RAISE

    error_messages = {"unknown": lazy_gettext("Unknown field.")}


class NoBodySchema(ApiSchema):
    """An action without input: an empty body or `{}`."""


class AnswerSchema(ma.Schema):
    """What a route answers: only documented, never loaded."""

    class Meta:
        unknown = ma.EXCLUDE


def _messages(message) -> dict:
    return {"required": lazy_gettext("This field is required."), "null": message}


def check_text(value, max_length: int | None, *, multi_line: bool = False) -> str:
    """A string without control characters (but line breaks when `multi_line`), valid
    UTF-8, at most `max_length` characters (None: no limit here)."""
    if not isinstance(value, str):
        raise ma.ValidationError(_("Must be a string."))
    problem = text_problem(value, multi_line=multi_line)
    if problem:
        raise ma.ValidationError(problem)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates, which JSON allows
        raise ma.ValidationError(_("This text contains invalid characters.")) from exc
    if max_length is not None and len(value) > max_length:
        raise ma.ValidationError(_("At most %(n)d characters, please.", n=max_length))
    return value


def check_number(value: int, minimum: int, maximum: int) -> int:
    if not minimum <= value <= maximum:
        raise ma.ValidationError(
            _("Must be a whole number from %(min)d to %(max)d.", min=minimum, max=maximum)
        )
    return value


def whole_number(value) -> int | None:
    """An int, or a float without fraction (JSON Schema counts 1.0 as an integer)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


class Text(ma.fields.Field):
    """A single-line string: control characters (CR, LF, NUL, …) are refused;
    `max_length` counts characters; `choices` limits the values."""

    def __init__(
        self,
        max_length: int = 200,
        *,
        choices: tuple[str, ...] = (),
        nullable: bool = False,
        min_length: int = 0,
        pattern: str = SINGLE_LINE_PATTERN,
        **kwargs,
    ):
        self.max_length, self.choices = max_length, choices
        schema: dict = {"type": "string"}
        if choices:
            schema["enum"] = list(choices)
        else:
            schema.update(maxLength=max_length, pattern=pattern)
            if min_length:
                schema["minLength"] = min_length
        metadata = {**schema, **kwargs.pop("metadata", {})}
        super().__init__(
            allow_none=nullable,
            metadata=metadata,
            error_messages=_messages(lazy_gettext("Must be a string.")),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        value = check_text(value, self.max_length)
        if self.choices and value not in self.choices:
            raise ma.ValidationError(
                _("Must be one of: %(choices)s.", choices=", ".join(self.choices))
            )
        return value


class Markdown(ma.fields.Field):
    """Text over several lines; `max_length` None: the operation checks the length
    (the document then gives `max_length_setting`, a :class:`kkp.api_docs.Setting`)."""

    def __init__(self, max_length: int | None = None, *, max_length_setting=None, **kwargs):
        self.max_length = max_length
        schema: dict = {"type": "string", "pattern": MULTI_LINE_PATTERN}
        if max_length is not None or max_length_setting is not None:
            schema["maxLength"] = max_length if max_length is not None else max_length_setting
        metadata = {**schema, **kwargs.pop("metadata", {})}
        super().__init__(
            metadata=metadata,
            error_messages=_messages(lazy_gettext("Must be a string.")),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        return check_text(value, self.max_length, multi_line=True)


class Flag(ma.fields.Field):
    """true or false, nothing else."""

    def __init__(self, **kwargs):
        metadata = {"type": "boolean", **kwargs.pop("metadata", {})}
        message = lazy_gettext("Must be true or false.")
        super().__init__(metadata=metadata, error_messages=_messages(message), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise ma.ValidationError(_("Must be true or false."))
        return value


class Upload(ma.fields.Field):
    """A file of a multipart/form-data body (its bytes are the route's to read)."""

    def __init__(self, **kwargs):
        metadata = {"type": "string", "format": "binary", **kwargs.pop("metadata", {})}
        message = lazy_gettext("Please send a file.")
        super().__init__(metadata=metadata, error_messages=_messages(message), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ma.ValidationError(_("Please send a file."))
        return value


class Number(ma.fields.Field):
    """A whole number within `minimum` … `maximum` (an id unless told otherwise)."""

    def __init__(self, *, minimum: int = 1, maximum: int = MAX_ID, nullable=False, **kwargs):
        self.minimum, self.maximum = minimum, maximum
        schema = {"type": "integer", "minimum": minimum, "maximum": maximum}
        metadata = {**schema, **kwargs.pop("metadata", {})}
        message = lazy_gettext("Must be a whole number.")
        super().__init__(
            allow_none=nullable, metadata=metadata, error_messages=_messages(message), **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        number = whole_number(value)
        if number is None:
            raise ma.ValidationError(_("Must be a whole number."))
        return check_number(number, self.minimum, self.maximum)


class Ids(ma.fields.Field):
    """A list of at most :data:`MAX_IDS` ids."""

    def __init__(self, **kwargs):
        metadata = {
            "type": "array",
            "maxItems": MAX_IDS,
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            **kwargs.pop("metadata", {}),
        }
        message = lazy_gettext("Must be a list of ids.")
        super().__init__(metadata=metadata, error_messages=_messages(message), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        numbers = [whole_number(i) for i in value] if isinstance(value, list) else [None]
        if None in numbers:
            raise ma.ValidationError(_("Must be a list of ids."))
        if len(numbers) > MAX_IDS:
            raise ma.ValidationError(_("At most %(n)d ids, please.", n=MAX_IDS))
        return [check_number(i, 1, MAX_ID) for i in numbers]


class QueryNumber(Number):
    """A whole number in the query string: digits only."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise ma.ValidationError(_("Must be a whole number."))
        return check_number(int(value), self.minimum, self.maximum)


class Structured(ma.fields.Field):
    """A field whose value is checked by `parse` (a list, an object, a time): `parse`
    raises :class:`marshmallow.ValidationError`; `schema` describes the value."""

    def __init__(self, parse, schema: dict, *, nullable: bool = False, **kwargs):
        self.parse = parse
        super().__init__(
            allow_none=nullable,
            metadata={**schema, **kwargs.pop("metadata", {})},
            error_messages=_messages(None),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        return self.parse(value)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        if value is None:  # the parser says what a null means
            return self.parse(value)
        return super().deserialize(value, attr, data, **kwargs)


def answer(field_class=ma.fields.String, *args, nullable: bool = False, **schema):
    """A field of an answer: always there (`required`), null only if `nullable`;
    `schema` adds to its description in the document (description, enum, format…)."""
    return field_class(*args, required=True, allow_none=nullable, metadata=schema)


#: what a page of keyset paging holds besides its items
NEXT_AFTER = "Pass as `after` for the next page; null on the last page."


def page_of(item_schema, name: str):
    """The answer schema of a page of `item_schema`: `items` and `next_after`."""
    return AnswerSchema.from_dict(
        {
            "items": answer(ma.fields.List, ma.fields.Nested(item_schema)),
            "next_after": answer(ma.fields.Integer, nullable=True, description=NEXT_AFTER),
        },
        name=name,
    )


def paging(items: str) -> tuple[QueryNumber, QueryNumber]:
    """`after` and `limit` of keyset paging; `items` names what a page holds."""
    after = QueryNumber(
        minimum=0,
        metadata={"description": "Start after this id: `next_after` of the page before."},
    )
    limit = QueryNumber(
        maximum=MAX_PAGE_SIZE,
        metadata={"default": PAGE_SIZE, "description": f"{items} per page."},
    )
    return after, limit
