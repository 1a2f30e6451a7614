"""The signed-in user's own account: change the password, see and revoke API tokens; and the page a
one-time password-reset link opens (no sign-in needed). A user with a temporary password is sent to the
password page until it is changed."""
from flask import Blueprint, flash, redirect, render_template, request, session as http_session, url_for
from flask_login import current_user, login_required

from .. import clock, get_db
from ..i18n import _
from ..services.errors import ServiceError, ValidationFailed
from ..services.zones import ZONES, company_zone, zone_choices
from ..services.organisation import passwords, signin, users
from .auth import current_session_key
from .common import me

bp = Blueprint("account", __name__)
# what a user with a temporary password may still open
OPEN_WHILE_CHANGING = {"account.password", "auth.logout", "auth.set_locale", "static", "vendor"}


@bp.before_app_request
def account_settings():
    """A temporary password is changed first. (The user's time zone applies to every time a page shows:
    app/services/zones.py display_zone() reads it from the signed-in user.)"""
    if request.path.startswith("/api/") or not current_user.is_authenticated:  # the API refuses by itself
        return None
    user = me()
    if user.must_change_password and request.endpoint not in OPEN_WHILE_CHANGING:
        return redirect(url_for("account.password"))
    return None


@bp.route("/account/settings", methods=["GET", "POST"])
@login_required
def settings():
    """The user's own language and time zone (recorded in the administrative trail as a change of the user)."""
    errors = {}
    chosen = {"locale": me().locale, "timezone": me().timezone or company_zone()}
    if request.method == "POST":
        form = request.form
        chosen = {"locale": form.get("locale", ""), "timezone": form.get("timezone", "")}
        with get_db().session() as session:
            try:
                if chosen["timezone"] not in ZONES:
                    raise ValidationFailed(_("Choose one of the listed time zones."),
                                           {"timezone": [_("Choose one of the listed time zones.")]})
                # the company's zone is stored as "no zone of my own": the person follows the company setting
                zone = None if chosen["timezone"] == company_zone() else chosen["timezone"]
                users.update(session, me().username, me().username, {"locale": chosen["locale"], "timezone": zone})
            except ValidationFailed as exc:
                session.rollback()
                errors = exc.field_errors
                flash(exc.message, "error")
            else:
                http_session["locale"] = chosen["locale"]
                flash(_("Your settings were saved."), "success")
                return redirect(url_for("account.settings"))
    return render_template("account/settings.html", errors=errors, chosen=chosen, zones=zone_choices(),
                           now=clock.now()), (422 if errors else 200)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    errors = {}
    if request.method == "POST":
        with get_db().session() as session:
            user = users.get(session, me().username)
            try:
                if request.form.get("new_password") != request.form.get("repeat_password"):
                    raise ServiceError(_("The two new passwords differ."), field="repeat_password")
                result = signin.change_password(session, user, request.form.get("current_password", ""),
                                                request.form.get("new_password", ""), keep_session=current_session_key())
            except ServiceError as exc:
                session.rollback()
                errors = getattr(exc, "field_errors", None) or {exc.details.get("field", "current_password"): [exc.message]}
                flash(exc.message, "error")
            else:
                flash(_("Your password was changed. Other sign-ins ended: %(s)s; API tokens revoked: %(t)s.",
                        s=result["sessions_ended"], t=result["tokens_revoked"]), "success")
                return redirect(url_for("home.index"))
    return render_template("account/password.html", errors=errors, min_length=passwords.min_length(),
                           forced=me().must_change_password), (422 if errors else 200)


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    with get_db().session() as session:
        user = users.get(session, me().username)
        if request.method == "POST":
            token_id = request.form.get("token_id", type=int)
            if token_id in {t.id for t in signin.tokens(session, user)}:
                signin.revoke_token(session, user, token_id)
                flash(_("The token was revoked."), "success")
            return redirect(url_for("account.tokens"))
        items = signin.tokens(session, user)
    return render_template("account/tokens.html", tokens=items)


@bp.route("/password/reset/<key>", methods=["GET", "POST"])
def reset(key):
    errors = {}
    with get_db().session() as session:
        try:
            _reset, user = signin.reset_link_user(session, key)
        except ServiceError as exc:
            return render_template("error.html", status=404, message=exc.message), 404
        if request.method == "POST":
            try:
                if request.form.get("new_password") != request.form.get("repeat_password"):
                    raise ServiceError(_("The two new passwords differ."), field="repeat_password")
                signin.use_reset_link(session, key, request.form.get("new_password", ""))
            except ServiceError as exc:
                session.rollback()
                errors = getattr(exc, "field_errors", None) or {exc.details.get("field", "new_password"): [exc.message]}
                flash(exc.message, "error")
            else:
                flash(_("Your password was set; please sign in."), "success")
                return redirect(url_for("auth.login"))
        return render_template("account/reset.html", target=user, errors=errors,
                               min_length=passwords.min_length()), (422 if errors else 200)
