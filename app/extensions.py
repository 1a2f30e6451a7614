"""Flask extensions, created once and bound in the app factory."""
from flask import g, request, session as http_session
from flask_babel import Babel
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect

babel = Babel()
login_manager = LoginManager()
csrf = CSRFProtect()


def select_locale():
    """Explicit choice in the session, then the user's setting, then the browser, then Chinese."""
    supported = ("zh", "en")
    if request and request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        # the JSON API: the client's Accept-Language, then the user's setting
        best = request.accept_languages.best_match(supported)
        if best:
            return best
    choice = http_session.get("locale")
    if choice in supported:
        return choice
    user = getattr(g, "api_user", None) or (current_user if current_user and current_user.is_authenticated else None)
    if user is not None and getattr(user, "locale", None) in supported:
        return user.locale
    best = request.accept_languages.best_match(supported) if request else None
    return best or "zh"
