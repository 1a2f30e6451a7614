"""Sign in and out of the pages (Flask-Login session), failed sign-ins rate-limited, language choice
kept on the user."""
from functools import cache

from flask import (Blueprint, current_app, redirect, render_template, request,
                   session as http_session, url_for)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import UserMixin, current_user, login_required, login_user, logout_user

from .. import get_db
from ..i18n import _
from ..models import User
from ..services.organisation import org

bp = Blueprint("auth", __name__)
# failed attempts per client address; in-memory unless RATELIMIT_STORAGE_URI names a shared store
limiter = Limiter(key_func=get_remote_address)


class LoginUser(UserMixin):
from .safe_redirect import local_path, same_site
    def __init__(self, user):
        self.user = user
        self.id = user.username
        self.locale = user.locale


def load_user(username: str):
    with get_db().session() as session:
        try:
            user = org.get_user(session, username)
        except Exception:
            return None
    return LoginUser(user) if user.is_active else None


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per 5 minutes")


@cache  # once per view: every decoration adds its own count to the limiter
def limit_failed_sign_ins(view):
    """Count refused sign-ins (401) per client address; past LOGIN_RATE_LIMIT every attempt gets 429."""
    return limiter.limit(_login_limit, methods=["POST"], deduct_when=lambda response: response.status_code == 401)(view)


@bp.route("/login", methods=["GET", "POST"])
@limit_failed_sign_ins
def login():
    error = None
    if request.method == "POST":
        with get_db().session() as session:
            user = org.authenticate(session, request.form.get("username", ""), request.form.get("password", ""))
            chosen = http_session.get("locale")
            if user is not None and chosen in ("zh", "en") and user.locale != chosen:
                user.locale = chosen  # a language picked on the sign-in page becomes the user's setting
        if user is None:
            error = _("Wrong username or password.")
        else:
            http_session.permanent = True
            login_user(LoginUser(user))
            target = local_path(request.args.get("next", ""), url_for("home.index"))
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("home.index"))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    chosen = http_session.get("locale")
    http_session.clear()
    if chosen:
        http_session["locale"] = chosen
    return redirect(url_for("auth.login"))


@bp.post("/locale/<code>")
def set_locale(code):
    if code in ("zh", "en"):
        http_session["locale"] = code
        if current_user.is_authenticated:
            with get_db().session() as session:
                user = session.get(User, current_user.user.id)
                user.locale = code
    target = same_site(request.referrer, request.host, url_for("home.index"))
    return redirect(target)
