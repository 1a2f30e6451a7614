"""Bearer tokens: POST /api/v1/auth/token with username and password."""
from functools import wraps

from flask import current_app, g, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import get_db
from ..extensions import csrf
from ..i18n import _
from ..services.organisation import org
from ..services.errors import Forbidden, Unauthorized
from . import bp
from .util import json_body


AUTH_SCHEME = "Bearer"  # the Authorization header scheme of the tokens


def _serializer():
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="api-token")


def issue_token(username: str) -> str:
    return _serializer().dumps({"u": username})


@bp.post("/auth/token")
def token():
    body = json_body()
    username, password = str(body.get("username", "")), str(body.get("password", ""))
    with get_db().session() as session:
        user = org.authenticate(session, username, password)
    if user is None:
        raise Unauthorized(_("Wrong username or password."))
    max_age = current_app.config["API_TOKEN_MAX_AGE"]
    return {"token": issue_token(user.username), "token_type": AUTH_SCHEME, "expires_in": max_age,
            "username": user.username}


def _user_from_token(header: str):
    raw = header.split(" ", 1)[1].strip()
    try:
        data = _serializer().loads(raw, max_age=current_app.config["API_TOKEN_MAX_AGE"])
    except SignatureExpired:
        raise Unauthorized(_("Your session has expired; please sign in again."))
    except BadSignature:
        raise Unauthorized(_("Invalid token."))
    with get_db().session() as session:
        try:
            user = org.get_user(session, data["u"])
        except Exception:
            raise Unauthorized(_("Invalid token."))
    if not user.is_active:
        raise Unauthorized(_("The account is disabled."))
    return user


def require_user(view=None, *, role: str | None = None):
    """Authenticate with a bearer token, or with the page session (then CSRF applies to writes)."""
    def decorate(fn):
        @wraps(fn)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            if header.lower().startswith("bearer "):
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
            if role and not user.has_role(role):
                raise Forbidden(_("This needs the %(role)s role.", role=role))
            g.api_user = user
            return fn(user, *args, **kwargs)
        return wrapper
    return decorate(view) if view is not None else decorate
