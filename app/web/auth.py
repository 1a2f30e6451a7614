"""Sign in and out of the pages (Flask-Login session)."""
from flask import Blueprint, redirect, render_template, request, session as http_session, url_for
from flask_login import UserMixin, login_required, login_user, logout_user

from .. import get_db
from ..i18n import _
from ..services import org

bp = Blueprint("auth", __name__)


class LoginUser(UserMixin):
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


@bp.route("/login", methods=["GET", "POST"])
def login():
    error = None
    if request.method == "POST":
        with get_db().session() as session:
            user = org.authenticate(session, request.form.get("username", ""), request.form.get("password", ""))
        if user is None:
            error = _("Wrong username or password.")
        else:
            http_session.permanent = True
            login_user(LoginUser(user))
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("home.index"))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.post("/locale/<code>")
def set_locale(code):
    if code in ("zh", "en"):
        http_session["locale"] = code
    target = request.referrer or url_for("home.index")
    return redirect(target)
