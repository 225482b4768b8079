"""Conditional GET for what readers poll: feeds and subscribed calendars.

A strong ETag from the bytes and a Last-Modified from the data (never the clock), so
the same data always gives the same answer. Werkzeug checks If-None-Match before
If-Modified-Since, as RFC 9110 asks, and ignores an If-Modified-Since it cannot parse
(the full answer, 200).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime

from flask import Response, request
from werkzeug.http import is_resource_modified

#: how long a reader or proxy may reuse an answer without asking again, in seconds
MAX_AGE = 300


def etag_of(body: bytes) -> str:
    """The strong ETag of `body` (without quotes): its SHA-256, shortened."""
    return hashlib.sha256(body).hexdigest()[:32]


def conditional_response(
    body: bytes,
    mimetype: str,
    last_modified: datetime,
    headers: Mapping[str, str] | None = None,
    *,
    etag: str | None = None,
    max_age: int = MAX_AGE,
) -> Response:
    """`body` as `mimetype; charset=utf-8` with a strong ETag from its bytes; 304 to a
    matching If-None-Match or, without one, to an If-Modified-Since not older than
    `last_modified`.

    etag(str): the body's ETag when the caller has it already (`etag_of(body)`).
    """
    response = Response(body, content_type=f"{mimetype}; charset=utf-8")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.set_etag(etag or etag_of(body))
    response.last_modified = last_modified.replace(microsecond=0)
    response.cache_control.public = True
    response.cache_control.max_age = max_age
    return response.make_conditional(request)


def conditional_build(
    build: Callable[[], bytes],
    mimetype: str,
    last_modified: datetime,
    *,
    etag: str,
    max_age: int = MAX_AGE,
) -> Response:
    """As :func:`conditional_response`, for a caller that knows the ETag before the
    body (from the data the body is built of): a request that has this version already
    gets its 304 without `build` being called.
    """
    last_modified = last_modified.replace(microsecond=0)
    if not is_resource_modified(request.environ, etag=etag, last_modified=last_modified):
        response = Response(status=304)
        response.set_etag(etag)
        response.last_modified = last_modified
        response.cache_control.public = True
        response.cache_control.max_age = max_age
        return response
    return conditional_response(build(), mimetype, last_modified, etag=etag, max_age=max_age)
