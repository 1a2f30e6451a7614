"""Bearer tokens: POST /api/v1/auth/token with username and password."""
from functools import wraps

from flask import current_app, g, request
from flask_babel import refresh as refresh_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import get_db
from ..extensions import csrf
from ..i18n import _
from ..services.integration import service_accounts
from ..services.cases import staff
from ..services.organisation import login, signin
from ..services.errors import Forbidden, Unauthorized
from . import bp
from .util import json_body


AUTH_SCHEME = "Bearer"  # the Authorization header scheme of the tokens


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(session, user, name: str = "") -> str:
    """A new bearer token: a server-side row (listed, revocable) named by a signed text."""
    row = signin.new_token(session, user, max_age=current_app.config["API_TOKEN_MAX_AGE"], name=name,
                           address=request.remote_addr)
    g.api_token_id = row.id
    return _serializer().dumps({"u": user.username, "t": row.id})


@bp.post("/auth/token")
def token():
    body = json_body()
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    with get_db().session() as session:
        user = login.authenticate(session, username, password)
        if user is None:
            raise Unauthorized(_("Wrong username or password."))
        text = issue_token(session, user, str(body.get("name") or "")[:200])
        staff.after_sign_in(session, user)
    max_age = current_app.config["API_TOKEN_MAX_AGE"]
    return {"token": text, "token_type": AUTH_SCHEME, "expires_in": max_age, "username": user.username,
            "id": g.api_token_id, "must_change_password": user.must_change_password}


def _user_from_token(header: str):
    raw = header.split(" ", 1)[1].strip()
    try:
        data = _serializer().loads(raw, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise Unauthorized(_("Your session has expired; please sign in again."))
    except BadSignature:
        raise Unauthorized(_("Invalid token."))
    if not isinstance(data, dict):
        raise Unauthorized(_("Invalid token."))
    db = get_db()
    with db.reads() as connection:  # one statement: the token row joined with its user
        user = signin.token_user(db, connection, data.get("t"), str(data.get("u")))
    if user is None:  # revoked, expired, unknown, or the account was deactivated
        raise Unauthorized(_("The token is no longer valid; please sign in again."), code="token_revoked")
    g.api_token_id = data["t"]
    return user


def _service_account(route_serves_them: bool):
    with get_db().session() as session:
        found = service_accounts.authenticate(session, request.headers["Authorization"][7:].strip())
        if found is None:
            raise Unauthorized(_("Invalid token."))
        user, account = found
        g.api_scopes = dict(account.scopes)
    if not route_serves_them:
        raise Forbidden(_("Service accounts may not use this route."), code="scope_missing")
    return user


def require_user(view=None, *, role: str | None = None, service: bool = False):
    """Authenticate with a bearer token, or with the page session (then CSRF applies to writes).
    service: the route also serves service accounts (their scopes are in g.api_scopes, checked by the view);
    every other route refuses them."""
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            g.api_scopes = None
            if header.lower().startswith("bearer ") and service_accounts.is_service_token(header[7:].strip()):
                user = _service_account(service)
            elif header.lower().startswith("bearer "):
                user = _user_from_token(header)
            elif current_user.is_authenticated:
                if request.method not in ("GET", "HEAD", "OPTIONS"):
                    try:
                        csrf.protect()
                    except CSRFError as exc:
                        raise Forbidden(str(exc.description))
                user = current_user._get_current_object().user
            else:
                raise Unauthorized(_("Sign in first: send a bearer token from POST /api/v1/auth/token."))
            if user.must_change_password and request.endpoint != "api.change_my_password":
                raise Forbidden(_("Change your temporary password first (POST /api/v1/me/password)."),
                                code="password_change_required")
            if role and not user.has_role(role):
                raise Forbidden(_("This needs the %(role)s role.", role=role))
            g.api_user = user
            refresh_locale()  # the user's language setting applies from here on
            return fn(user, *args, **kwargs)
        return wrapper
    return decorate(view) if view is not None else decorate
