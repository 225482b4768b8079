"""The app assembled: `create_app` builds the Flask app, binds every actor to the broker
and registers the domains' pages and APIs (the top floor: docs/architecture.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, g
from flask_babel import refresh
from werkzeug.middleware.proxy_fix import ProxyFix

# Besides the blueprints and APIs: the modules that run actors bind their functions to
# the actors their domain declares in its tasks module, and the mails modules register
# their message builders; every table the models declare is known before the first query.
import events.certificate_mail  # noqa: F401
import events.course_mails  # noqa: F401
import events.course_models  # noqa: F401
import events.feedback_mail  # noqa: F401
import events.feedback_models  # noqa: F401
import events.follow_up  # noqa: F401
import events.mails  # noqa: F401
import events.material_models  # noqa: F401
import events.question_models  # noqa: F401
import kkp.mail.operations  # noqa: F401  (send_delivery)
import newsletter.importer  # noqa: F401  (the import's actors)
import newsletter.mails  # noqa: F401
import newsletter.sending  # noqa: F401  (the send pipeline's actors)
import people.bounce_mailbox  # noqa: F401  (poll_bounce_mailbox)
import service.schedule  # noqa: F401  (scheduler_tick)
from events.admin import bp as events_admin_bp
from events.api import register_api as register_event_api
from events.pages import bp as events_bp
from kkp import api, errors, headers, i18n, logs, request_id
from kkp import config as configuration
from kkp.api_docs import ApiDocs
from kkp.auth import sessions
from kkp.auth.blueprint import bp as auth_bp
from kkp.extensions import babel, csrf, db, limiter, login_manager, migrate
from kkp.mail.blueprint import bp as mail_bp
from kkp.params import CONVERTERS
from kkp.tasks import init_broker
from newsletter.admin import bp as newsletter_admin_bp
from newsletter.api import register_api as register_newsletter_api
from newsletter.pages import bp as newsletter_bp
from service import metrics, site
from service.commands import register_commands

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None, *, broker=None) -> Flask:
    """Build the app from the environment, then `config` on top (tests pass one)."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "kkp" / "static"),
        instance_path=str(configuration.instance_path()),
        instance_relative_config=False,
    )
    app.config.from_object(configuration.Defaults)
    if config is None or not config.get("KKP_SKIP_ENVIRONMENT"):
        app.config.update(configuration.from_environment())
    if config:
        app.config.update(config)

    # before any route is added: an id the database cannot hold, or a NUL in a path,
    # is a 404, not a 500
    app.url_map.converters.update(CONVERTERS)
    logs.configure(app.config["KKP_LOG_LEVEL"], app.config["KKP_LOG_FORMAT"])
    _trust_proxies(app)
    # before the extensions' hooks (the CSRF check): every answer has its id and is counted
    request_id.init_app(app)
    metrics.init_app(app)  # requests counted by route and status; /metrics
    _init_extensions(app)

    init_broker(app, broker)
    _register_blueprints(app)

    register_commands(app)
    return app


def _trust_proxies(app: Flask) -> None:
    """Behind N reverse proxies the client's address and scheme are the ones the
    proxies add; without any, such headers are a client's claim and ignored."""
    hops = app.config["KKP_TRUSTED_PROXIES"]
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]


def _init_extensions(app: Flask) -> None:
    i18n.compile_catalogs(ROOT / "kkp" / "translations")
    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(ROOT / "kkp" / "translations"),
    )
    app.config.setdefault("RATELIMIT_STORAGE_URI", _ratelimit_storage(app))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    sessions.init_app(app)
    i18n.init_app(app)


def _ratelimit_storage(app: Flask) -> str:
    """Rate limits are shared by all web processes through the broker's Redis."""
    url = app.config.get("KKP_RATELIMIT_STORAGE_URL")
    if url:
        return url
    broker_url: str = app.config["KKP_BROKER_URL"]
    if broker_url.startswith("unix://"):
        return "redis+unix://" + broker_url.removeprefix("unix://")
    if broker_url.startswith(("redis://", "rediss://")):
        return broker_url
    return "memory://"


def _register_blueprints(app: Flask) -> None:
    errors.init_app(app)
    headers.init_app(app)

    @app.before_request
    def _fresh_request_state():
        # An app context outlives a request when one was pushed before it (the CLI,
        # tests): nothing request-bound may carry over into the next request.
        for key in ("kkp_editor", "kkp_channel", "kkp_api_token", "csrf_token", "_login_user"):
            g.pop(key, None)
        refresh()

    app.register_blueprint(site.bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(newsletter_bp)
    app.register_blueprint(newsletter_admin_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(events_admin_bp)
    register_newsletter_api()
    register_event_api()
    ApiDocs(app).register_blueprint(api.bp)
