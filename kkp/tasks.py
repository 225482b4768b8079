"""Background work: the Dramatiq broker, actors declared by the domains and bound to
it, and enqueueing after commit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import Middleware, default_middleware
from sqlalchemy import event
from sqlalchemy.orm import Session

from kkp.extensions import db
from kkp.request_id import RequestIds

log = logging.getLogger(__name__)

_PENDING = "kkp_pending_messages"
_TASKS: dict[str, Task] = {}


class Task:
    """An actor: declared by name with Dramatiq's options in its domain's `tasks`
    module, run by the function that names it with :meth:`runs`, and bound to the
    app's broker when the app is created.

    Call :meth:`send` to enqueue it after the current database transaction commits.
    Declaring apart from the function lets the code that enqueues an actor import
    its declaration without importing the code it runs (and that code may enqueue
    actors in turn) without import cycles.
    """

    def __init__(self, name: str, **options: Any):
        self.name = name
        self.options = options
        self.fn: Callable | None = None
        self.actor: dramatiq.Actor | None = None

    def runs(self, fn: Callable) -> Callable:
        """Decorator: `fn` is what this actor runs."""
        if self.fn is not None and self.fn is not fn:
            raise RuntimeError(f"actor {self.name} runs {self.fn.__qualname__} already")
        self.fn = fn
        return fn

    def bind(self, broker: dramatiq.Broker) -> None:
        if self.fn is None:
            raise RuntimeError(
                f"no function runs actor {self.name}: create_app imports the modules that "
                "name one with @runs"
            )
        if self.name in broker.actors:  # the same broker bound again (a second app)
            self.actor = broker.get_actor(self.name)
            return
        self.actor = dramatiq.actor(
            _discarding(self.fn), broker=broker, actor_name=self.name, **self.options
        )

    def message(self, *args: Any, **kwargs: Any) -> dramatiq.Message:
        if self.actor is None:
            raise RuntimeError(f"actor {self.name} is not bound: create the app first")
        return self.actor.message(*args, **kwargs)

    def send(self, *args: Any, **kwargs: Any) -> None:
        """Enqueue after the surrounding transaction commits; dropped on rollback."""
        enqueue_after_commit(self.message(*args, **kwargs))

    def send_with_options(self, *, args: tuple = (), **options: Any) -> None:
        """:meth:`send` with Dramatiq options; a Task as `on_failure`/`on_success` is
        named by its actor."""
        for key in ("on_failure", "on_success"):
            if isinstance(options.get(key), Task):
                options[key] = options[key].name
        if self.actor is None:
            raise RuntimeError(f"actor {self.name} is not bound: create the app first")
        enqueue_after_commit(self.actor.message_with_options(args=args, **options))

    def send_now(self, *args: Any, delay: int | None = None, **kwargs: Any) -> None:
        """Enqueue at once (for actors re-enqueueing themselves, and the clock)."""
        self.actor.broker.enqueue(self.message(*args, **kwargs), delay=delay)  # type: ignore[union-attr]

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)


def _discarding(fn: Callable) -> Callable:
    """`fn` as an actor runs it: its result (what tests and callers read) is dropped, so
    Dramatiq does not warn of a result nobody stores, once per message."""

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> None:
        fn(*args, **kwargs)

    return run


def task(name: str, **options: Any) -> Task:
    """Declare an actor; `options` are Dramatiq's (queue_name, max_retries, ...)."""
    if name in _TASKS:
        raise RuntimeError(f"actor {name} is declared twice")
    t = _TASKS[name] = Task(name, **options)
    return t


def enqueue_after_commit(message: dramatiq.Message) -> None:
    session = db.session()
    session.info.setdefault(_PENDING, []).append((_depth(session), message))


def _depth(session: Session) -> int:
    """How many SAVEPOINTs deep the session is."""
    depth, transaction = 0, session.get_nested_transaction()
    while transaction is not None and transaction.nested:
        depth += 1
        transaction = transaction.parent
    return depth


@event.listens_for(Session, "after_commit")
def _send_pending(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if session.in_nested_transaction():
        # A SAVEPOINT released: its messages now belong to the level around it.
        depth = _depth(session)
        session.info[_PENDING] = [(min(d, depth - 1), m) for d, m in pending]
        return
    session.info.pop(_PENDING, None)
    broker = dramatiq.get_broker()
    for _depth_at_send, message in pending:
        broker.enqueue(message)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if session.in_nested_transaction():
        # A SAVEPOINT rolled back: only what was enqueued inside it goes.
        depth = _depth(session)
        session.info[_PENDING] = [(d, m) for d, m in pending if d < depth]
        return
    session.info.pop(_PENDING, None)


class AppContext(Middleware):
    """Run every message inside a Flask app context and clean up the session after."""

    def __init__(self, app):
        self.app = app
        self._contexts: dict[str, Any] = {}

    def before_process_message(self, broker, message):
        ctx = self.app.app_context()
        ctx.push()
        self._contexts[message.message_id] = ctx

    def _pop(self, message):
        ctx = self._contexts.pop(message.message_id, None)
        if ctx is None:
            return
        try:
            db.session.remove()
        finally:
            ctx.pop()

    def after_process_message(self, broker, message, *, result=None, exception=None):
        self._pop(message)

    def after_skip_message(self, broker, message):
        self._pop(message)


def build_broker(url: str, *, namespace: str = "kkp") -> dramatiq.Broker:
    """A RedisBroker for redis:// and unix:// URLs, a RabbitmqBroker for amqp://."""
    # Not Prometheus here: its metrics server binds 0.0.0.0:9191, which clashes between
    # instances on one host and exposes a port nobody asked for; the worker entry point
    # adds it when KKP_WORKER_METRICS_BIND is set (kkp.worker_metrics).
    middleware = [m() for m in default_middleware if m.__name__ != "Prometheus"]
    if url.startswith(("amqp://", "amqps://")):
        return RabbitmqBroker(url=url, middleware=middleware)
    return RedisBroker(url=url, namespace=namespace, middleware=middleware)


def init_broker(app, broker: dramatiq.Broker | None = None) -> dramatiq.Broker:
    """Build the broker from the app's config, bind every declared actor to it, make it
    global. The modules that run the actors must be imported before (create_app does)."""
    if broker is None:
        broker = build_broker(
            app.config["KKP_BROKER_URL"], namespace=app.config.get("KKP_BROKER_NAMESPACE", "kkp")
        )
    existing = next((m for m in broker.middleware if isinstance(m, AppContext)), None)
    if existing is None:
        broker.add_middleware(AppContext(app))
    else:
        existing.app = app  # the same broker handed to a new app (tests)
    if not any(isinstance(m, RequestIds) for m in broker.middleware):
        broker.add_middleware(RequestIds())  # the request id into the actors' messages
    dramatiq.set_broker(broker)
    for t in _TASKS.values():
        t.bind(broker)
    app.extensions["dramatiq"] = broker
    return broker


def ping(broker: dramatiq.Broker) -> None:
    """Raise if the broker cannot be reached."""
    client = getattr(broker, "client", None)
    if client is not None:
        client.ping()
        return
    connection = getattr(broker, "connection", None)
    if connection is None or not connection.is_open:
        raise ConnectionError("broker connection is closed")
