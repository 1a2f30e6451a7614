"""Sign in and out of the pages. The session cookie names a sign-in session kept on the server
(services/organisation/signin.py): signing out, changing the password or being deactivated ends it, and
the old cookie stops working. Language choice kept on the user.

Failed sign-ins are limited three ways (OWASP "device cookie" scheme): from a browser where the person
signed in before (a signed known-device cookie naming them), attempts count only against that device;
from anywhere else they count per address and per user name. So someone guessing a password from
elsewhere locks out neither the person's own browser nor the other people at the person's address."""
import secrets
from functools import cache

from flask import (Blueprint, current_app, redirect, render_template, request,
                   session as http_session, url_for)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import UserMixin, current_user, login_required, login_user, logout_user
from itsdangerous import BadSignature, URLSafeSerializer

from .. import get_db
from ..i18n import _
from ..models import User
from .safe_redirect import local_path, same_site
from ..services.cases import staff
from ..services.organisation import login as sign_in, signin

bp = Blueprint("auth", __name__)
_SIGN_IN_VIEWS: set = set()  # the views limit_failed_sign_ins made: the only ones with limits


class SignInLimiter(Limiter):
    """Flask-Limiter whose check before every request stops at once for a view without limits (all but the
    sign-ins, whose own decorators count and refuse)."""

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if in_middleware and current_app.view_functions.get(request.endpoint) not in _SIGN_IN_VIEWS:
            return None
        return super()._check_request_limit(callable_name, in_middleware)


# in-memory unless RATELIMIT_STORAGE_URI names a shared store (redis://...)
limiter = SignInLimiter(key_func=get_remote_address)
DEVICE_COOKIE = "known_device"
DEVICE_DAYS = 180
SESSION_KEY = "sid"


class LoginUser(UserMixin):
    def __init__(self, user):
        self.user = user
        self.id = user.username
        self.locale = user.locale


def load_user(username: str):
    """The user of a live server-side sign-in session (None: ended, expired, deactivated)."""
    db = get_db()
    with db.reads() as connection:
        user = signin.session_user(db, connection, http_session.get(SESSION_KEY))
    return LoginUser(user) if user is not None and user.username == username else None


# --- limits on failed sign-ins ----------------------------------------------------------------------------

def _attempted_username() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        name = body.get("username") if isinstance(body, dict) else ""
    else:
        name = request.form.get("username", "")
    return str(name or "").strip().lower()[:80]


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="known-device")


def _known_devices() -> dict[str, str]:
    """{username: device id} of the people who signed in from this browser before."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return {}
    try:
        value = _devices().loads(raw)
    except BadSignature:
        return {}
    return value if isinstance(value, dict) else {}


def _device_id() -> str | None:
    return _known_devices().get(_attempted_username())


def _untrusted() -> bool:
    return _device_id() is None


def _login_limit() -> str:
    return current_app.config.get("LOGIN_RATE_LIMIT", "10 per 5 minutes")


def _user_limit() -> str:
    return current_app.config.get("LOGIN_USER_RATE_LIMIT", "10 per 15 minutes")


def _refused(response) -> bool:
    return response.status_code == 401


@cache  # once per view: every decoration adds its own count to the limiter
def limit_failed_sign_ins(view):
    """Count refused sign-ins (401); past a limit every attempt of that kind gets 429. Page and API
    sign-ins share the counts."""
    limited = _limit_failed_sign_ins(view)
    _SIGN_IN_VIEWS.add(limited)
    return limited


def _limit_failed_sign_ins(view):
    view = limiter.shared_limit(_login_limit, "sign-in-address", methods=["POST"], deduct_when=_refused,
                                exempt_when=lambda: not _untrusted())(view)
    view = limiter.shared_limit(_user_limit, "sign-in-user", key_func=lambda: "user:" + _attempted_username(),
                                methods=["POST"], deduct_when=_refused, exempt_when=lambda: not _untrusted())(view)
    return limiter.shared_limit(_login_limit, "sign-in-device", key_func=lambda: "device:" + (_device_id() or ""),
                                methods=["POST"], deduct_when=_refused, exempt_when=_untrusted)(view)


def _remember_device(response, username: str):
    known = _known_devices()
    known.pop(username.lower(), None)
    known[username.lower()] = known.get(username.lower()) or secrets.token_urlsafe(12)
    known = dict(list(known.items())[-5:])  # the last five people of a shared computer
    response.set_cookie(DEVICE_COOKIE, _devices().dumps(known), max_age=DEVICE_DAYS * 86400, httponly=True,
                        samesite="Lax", secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


@bp.route("/login", methods=["GET", "POST"])
@limit_failed_sign_ins
def login():
    error = None
    if request.method == "POST":
        with get_db().session() as session:
            user = sign_in.authenticate(session, request.form.get("username", ""), request.form.get("password", ""))
            chosen = http_session.get("locale")
            if user is not None:
                if chosen in ("zh", "en") and user.locale != chosen:
                    user.locale = chosen  # a language picked on the sign-in page becomes the user's setting
                key = signin.start_session(session, user, request.remote_addr)
                staff.after_sign_in(session, user)
        if user is None:
            error = _("Wrong username or password.")
        else:
            http_session.clear()
            if chosen:
                http_session["locale"] = chosen
            http_session[SESSION_KEY] = key
            http_session.permanent = True
            login_user(LoginUser(user))
            target = local_path(request.args.get("next", ""), url_for("home.index"))
            if user.must_change_password:
                target = url_for("account.password")
            elif not (target.startswith("/") and not target.startswith("//")):
                target = url_for("home.index")
            return _remember_device(redirect(target), user.username)
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    with get_db().session() as session:
        signin.end_session(session, http_session.get(SESSION_KEY), "signed_out")
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



def current_session_key() -> str | None:
    return http_session.get(SESSION_KEY)
