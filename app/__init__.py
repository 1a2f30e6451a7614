"""Flask application factory."""
import logging

from flask import Flask

from .config import Config
from .db import Database
from .extensions import babel, csrf, login_manager, select_locale


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    app = Flask(__name__)
    app.config.from_mapping(config.as_dict())
    app.extensions["db"] = Database(config.DATABASE_URL)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    babel.init_app(app, locale_selector=select_locale)
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

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def get_db(app: Flask | None = None) -> Database:
    from flask import current_app
    return (app or current_app).extensions["db"]
