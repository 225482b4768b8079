"""What URLs may hold: whole numbers (ids, paging cursors) within what the database's
integer columns hold, and path parts without control characters. Anything else is a
clear 4xx, never an error in the database driver (a 500)."""

from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter, UnicodeConverter

#: the largest id a path, a query or a field may name (ids are 32-bit in the database)
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<int:…>` in every route: at most ten digits and at most :data:`MAX_ID`; a
    larger number matches no route (404)."""

    regex = r"\d{1,10}"

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class TextConverter(UnicodeConverter):
    """`<slug>` and `<string:…>` in every route: no control characters (PostgreSQL
    refuses a NUL in any text it is asked to compare; such a path matches no route)."""

    def __init__(self, map, minlength=1, maxlength=None, length=None):  # noqa: A002
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]", 1)


#: the converters every route uses: name -> class (see service.app.create_app)
CONVERTERS = {"int": IdConverter, "default": TextConverter, "string": TextConverter}


def query_number(name: str) -> int | None:
    """The query parameter `name` as a whole number from 0 to :data:`MAX_ID`.

    None when it is missing or no number at all (links with nonsense in them show the
    first page, as they always did); a number larger than the database holds is a 400
    that names the parameter.
    """
    raw = request.args.get(name, "").strip()
    if not (raw.isascii() and raw.isdigit()):
        return None
    if len(raw) > 10 or int(raw) > MAX_ID:
        error = BadRequest(
            _(
                "The address of this page contains an invalid number (“%(name)s”). "
                "Please open the page again from the menu.",
                name=name,
            )
        )
        error.kkp_message = True
        raise error
    return int(raw)
