"""Flask application factory."""
import logging

from flask import Flask
from werkzeug.routing import IntegerConverter

from .config import Config
from .db import Database
from .extensions import babel, csrf, login_manager, select_locale

# scripts only from the product's own files (no inline scripts, no CDN); the diagram and chart libraries set
# inline styles and use data: images and fonts; no framing by other sites
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


class DatabaseId(IntegerConverter):
    """<int:...> in URLs: only numbers an id column holds (a larger one is no such page, not a crash)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(map, fixed_digits, min, max, signed)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    app = Flask(__name__)
    app.url_map.converters["int"] = DatabaseId
    app.config.from_mapping(config.as_dict())
    app.extensions["db"] = Database(config.DATABASE_URL)
    app.teardown_appcontext(Database.end_request)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # the engine logs every task state change at INFO

    from .services.zones import display_zone
    babel.init_app(app, locale_selector=select_locale, timezone_selector=display_zone)  # the user's zone
    csrf.init_app(app)
    login_manager.init_app(app)

    from .web.auth import bp as auth_bp, load_user
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"

    from .api import bp as api_bp, register_app_handlers
    register_app_handlers(app)
    csrf.exempt(api_bp)  # the JSON API authenticates with bearer tokens, not cookies
    app.register_blueprint(api_bp)
    app.register_blueprint(auth_bp)
    from .web import register as register_pages
    register_pages(app)
    from .web.audit import bp as audit_bp
    app.register_blueprint(audit_bp)
    from .web.console import bp as console_bp
    app.register_blueprint(console_bp)

    from .cli import register
    register(app)
    from .web import transport
    transport.install(app)  # X-Forwarded-* from trusted proxies; HSTS over HTTPS

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def get_db(app: Flask | None = None) -> Database:
    from flask import current_app
    return (app or current_app).extensions["db"]
