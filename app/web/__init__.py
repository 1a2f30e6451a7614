"""The pages: sign-in, inbox, task, case and start pages (server-rendered, Jinja2)."""
from flask import Flask


def register(app: Flask) -> None:
    from . import common
    from .auth import limit_failed_sign_ins, limiter
    from .account import bp as account_bp
    from .admin import bp as admin_bp
    from .cases import bp as cases_bp
    from .home import bp as home_bp
    from .taskpage import bp as task_bp

    limiter.init_app(app)
    # the API's token endpoint is a sign-in too: the same limit on failed attempts
    app.view_functions["api.token"] = limit_failed_sign_ins(app.view_functions["api.token"])
    common.register(app)
    from . import labels
    labels.register(app)
    for blueprint in (home_bp, task_bp, cases_bp, admin_bp, account_bp):
        app.register_blueprint(blueprint)
    from .admin_calendar import bp as admin_calendar_bp
    app.register_blueprint(admin_calendar_bp)
    from .operations import bp as ops_bp
    app.register_blueprint(ops_bp)
    from .integration import bp as integration_bp
    from .search import bp as search_bp
    app.register_blueprint(search_bp)
    app.register_blueprint(integration_bp)
    from .customers import bp as customers_bp
    app.register_blueprint(customers_bp)
