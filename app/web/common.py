"""What every page shares: the signed-in user, HTML error pages, queue counts in the navigation,
idle-session expiry, and the front-end packages served from node_modules (no CDN)."""
from datetime import datetime, timedelta

from flask import (Flask, abort, current_app, flash, g, redirect, render_template, request,
                   send_from_directory, session as http_session, url_for)
from flask.sessions import SecureCookieSessionInterface
from flask_babel import get_locale
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError

from .. import clock, get_db
from ..config import PROJECT_ROOT
from ..i18n import _
from ..services.cases import inbox
from ..services.errors import ServiceError

# front-end packages served from node_modules (pinned in package.json; no CDN)
VENDOR = {"bootstrap": PROJECT_ROOT / "node_modules" / "bootstrap" / "dist",
          "bpmn-js": PROJECT_ROOT / "node_modules" / "bpmn-js" / "dist",
          "chart.js": PROJECT_ROOT / "node_modules" / "chart.js" / "dist",
          "dmn-js": PROJECT_ROOT / "node_modules" / "dmn-js" / "dist",
          "bpmn-js-i18n-zh": PROJECT_ROOT / "node_modules" / "bpmn-js-i18n-zh" / "lib"}


def me():
    return current_user._get_current_object().user


def locale() -> str:
    return str(get_locale() or "zh")


def wants_html() -> bool:
    return not request.path.startswith("/api/")


def _error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


class SessionCookie(SecureCookieSessionInterface):
    """Flask's signed session cookie, without the signing work for a request that neither brings one nor
    touches the session (the JSON API's, with a bearer token)."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if not (session or session.modified or session.accessed):
            return None
        return super().save_session(app, session, response)


def register(app: Flask) -> None:
    app.session_interface = SessionCookie()

    @app.errorhandler(ServiceError)
    def service_error(exc: ServiceError):
        return _error_page(exc.status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _error_page(400, _("The form has expired or was not sent from this site; please reload the "
                                  "page and try again."))

    def page_error(status: int, message: str):
        def handler(exc):
            if not wants_html():  # the JSON API answers in JSON
                from ..api import http_error
                return http_error(exc)
            return _error_page(status, message())
        return handler

    app.register_error_handler(403, page_error(403, lambda: _("You may not do this.")))
    app.register_error_handler(404, page_error(404, lambda: _("This page does not exist.")))
    app.register_error_handler(413, page_error(413, lambda: _("The upload is too large.")))
    app.register_error_handler(429, page_error(429, lambda: _(
        "Too many sign-in attempts; please wait a few minutes and try again.")))

    @app.context_processor
    def navigation():
        context = {"page_locale": locale()}
        if current_user.is_authenticated and wants_html():
            if "nav_counts" not in g:
                with get_db().session() as session:
                    g.nav_counts = inbox.counts(session, me())
            context["nav_counts"] = g.nav_counts
        return context

    @app.before_request
    def expire_idle_session():
        """Sign out a page session idle for longer than SESSION_IDLE_MINUTES (on the product clock)."""
        if request.path.startswith(("/api/", "/static/", "/vendor/")) or not current_user.is_authenticated:
            return None
        now = clock.now()
        seen = http_session.get("seen")
        limit = timedelta(minutes=int(current_app.config.get("SESSION_IDLE_MINUTES", 60)))
        if seen:
            try:
                idle = now - datetime.fromisoformat(seen)
            except ValueError:
                idle = limit + timedelta(seconds=1)
            if idle > limit:
                logout_user()
                http_session.pop("seen", None)
                flash(_("Your session has expired; please sign in again."))
                return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
        http_session["seen"] = now.isoformat()
        return None

    @app.get("/vendor/<package>/<path:filename>")
    def vendor(package, filename):
        folder = VENDOR.get(package)
        if folder is None:
            abort(404)
        return send_from_directory(folder, filename, max_age=86400)
