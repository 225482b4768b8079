"""A request id: taken from the proxy's `X-Request-ID` when it is a sane token (else
made here), returned in the answer's header, on every log line of the request, and
carried in every Dramatiq message enqueued during it, so the actor's log lines (and the
messages it enqueues in turn) carry it too.

The id, and in an actor its name and the message's id, live in context variables that
:mod:`kkp.logs` puts on each log line.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from dramatiq.middleware import Middleware
from flask import Flask, request

HEADER = "X-Request-ID"
#: what a proxy's id may look like: a UUID, a hex or base64url token; nothing that could
#: hold an address or break a log line
SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,99}")
#: the message option that carries the id
OPTION = "kkp_request_id"

request_id: ContextVar[str | None] = ContextVar("kkp_request_id", default=None)
#: (actor name, message id) of the message this thread runs
current_message: ContextVar[tuple[str, str] | None] = ContextVar("kkp_message", default=None)


def new_id() -> str:
    return uuid.uuid4().hex


def from_header(value: str | None) -> str:
    """The proxy's id when it is sane, else a new one."""
    if value and SANE.fullmatch(value):
        return value
    return new_id()


def init_app(app: Flask) -> None:
    @app.before_request
    def _take_request_id():
        request.environ["kkp.request_id_token"] = request_id.set(
            from_header(request.headers.get(HEADER))
        )

    @app.after_request
    def _return_request_id(response):
        rid = request_id.get()
        if rid:
            response.headers[HEADER] = rid
        return response

    @app.teardown_request
    def _forget_request_id(_exc=None):
        token = request.environ.pop("kkp.request_id_token", None)
        if token is not None:
            try:
                request_id.reset(token)
            except ValueError:  # set in another context (a test client's nested call)
                request_id.set(None)


class RequestIds(Middleware):
    """Every message enqueued while a request (or an actor that carries an id) runs
    gets its id; the actor that runs the message has it in its context."""

    def before_enqueue(self, broker, message, delay):
        rid = request_id.get()
        if rid and OPTION not in message.options:
            message.options[OPTION] = rid

    def before_process_message(self, broker, message):
        request_id.set(message.options.get(OPTION))
        current_message.set((message.actor_name, message.message_id))

    def after_process_message(self, broker, message, *, result=None, exception=None):
        request_id.set(None)
        current_message.set(None)

    after_skip_message = after_process_message
