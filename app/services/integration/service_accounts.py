"""Service accounts: a system (an ERP, a licensing gateway, a chat bot) gets its own bearer token with only
the scopes it needs, created and revoked by an administrator (both in the administrative audit trail).

Scopes: {"start": [process ids it may start], "read": [process ids whose cases it may read],
"messages": [message names it may post]}. "*" in a list means every one. A service account is backed by a
user row without password or groups, so what it does is recorded under its own name; it can use only the
API routes that accept its scopes (start a case, read cases, post messages)."""
import hashlib
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import ServiceAccount, User
from ..audit import admin_audit
from ..errors import Forbidden, NotFound, ServiceError, ValidationFailed
from ..organisation.org import hash_password

TOKEN_PREFIX = "wfsa_"  # nosec B105 # the visible prefix of generated tokens, not a secret
SCOPE_KINDS = ("start", "read", "messages")
USERNAME_PREFIX = "svc-"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{1,60}$")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def clean_scopes(raw) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        raise ValidationFailed(_("Some fields are not valid."), {"scopes": [_("Give the scopes as an object "
                                                                               "with start, read and messages.")]})
    errors = {}
    scopes: dict[str, list[str]] = {}
    for kind, values in raw.items():
        if kind not in SCOPE_KINDS:
            errors[f"scopes.{kind}"] = [_("Unknown scope: %(kind)s (start, read or messages)", kind=kind)]
        elif not isinstance(values, list) or not all(isinstance(v, str) and 0 < len(v) <= 120 for v in values):
            errors[f"scopes.{kind}"] = [_("A list of names is expected.")]
        else:
            scopes[kind] = sorted(set(values))
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), errors)
    if not any(scopes.values()):
        raise ValidationFailed(_("Some fields are not valid."),
                               {"scopes": [_("A service account needs at least one scope.")]})
    return scopes


def create(session: Session, actor: str, name: str, scopes, description: str = "") -> tuple[ServiceAccount, str]:
    """A new account and its token (shown once; only its hash is kept)."""
    name = str(name or "").strip().lower()
    errors = {} if NAME_PATTERN.match(name) else {"name": [
        _("Use 2 to 61 lower-case letters, digits, - or _ (starting with a letter or digit).")]}
    try:
        scopes = clean_scopes(scopes)
    except ValidationFailed as exc:
        errors.update(exc.field_errors)
    if errors:
        raise ValidationFailed(_("Some fields are not valid."), errors)
    username = USERNAME_PREFIX + name
    if session.scalar(select(ServiceAccount).where(ServiceAccount.name == name)) is not None \
            or session.scalar(select(User).where(User.username == username)) is not None:
        raise ServiceError(_("A service account named %(name)s already exists.", name=name), code="duplicate")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    user = User(username=username, display_name=_("Service account %(name)s", name=name),
                password_hash=hash_password(secrets.token_urlsafe(32)), created_at=now)
    session.add(user)
    account = ServiceAccount(name=name, username=username, description=str(description or "")[:300],
                             scopes=scopes, token_hash=_hash(token), token_hint=token[-4:], created_by=actor,
                             created_at=now)
    session.add(account)
    session.flush()
    admin_audit.record(session, actor=actor, action="service_account_created", object_type="service_account",
                       object_id=name, after={"scopes": scopes, "description": account.description})
    return account, token


def revoke(session: Session, actor: str, account_id: int) -> ServiceAccount:
    account = session.get(ServiceAccount, account_id)
    if account is None:
        raise NotFound(_("No such service account: %(id)s", id=account_id))
    if account.revoked_at is None:
        account.revoked_at, account.revoked_by = clock.now(), actor
        user = session.scalar(select(User).where(User.username == account.username))
        if user is not None:
            user.is_active = False
        admin_audit.record(session, actor=actor, action="service_account_revoked", object_type="service_account",
                           object_id=account.name, before={"scopes": account.scopes})
    return account


def list_accounts(session: Session) -> list[ServiceAccount]:
    return list(session.scalars(select(ServiceAccount).order_by(ServiceAccount.name)))


def is_service_token(token: str) -> bool:
    return token.startswith(TOKEN_PREFIX)


def authenticate(session: Session, token: str) -> tuple[User, ServiceAccount] | None:
    """The account of a token, or None (unknown or revoked)."""
    account = session.scalar(select(ServiceAccount).where(ServiceAccount.token_hash == _hash(token)))
    if account is None or account.revoked_at is not None:
        return None
    user = session.scalar(select(User).where(User.username == account.username))
    if user is None or not user.is_active:
        return None
    now = clock.now()
    if account.last_used_at is None or (now - account.last_used_at).total_seconds() > 60:
        account.last_used_at = now  # at most once a minute: no write per request
    return user, account


def allows(scopes: dict, kind: str, name: str) -> bool:
    values = (scopes or {}).get(kind) or []
    return "*" in values or name in values


def check(scopes: dict, kind: str, name: str) -> None:
    if not allows(scopes, kind, name):
        raise Forbidden(_("This service account may not do this (scope %(kind)s: %(name)s).", kind=kind,
                          name=name), code="scope_missing")


def read_processes(scopes: dict) -> set[str] | None:
    """The processes whose cases the account may read (None: every process)."""
    values = (scopes or {}).get("read") or []
    return None if "*" in values else set(values)


def as_dict(account: ServiceAccount) -> dict:
    return {"id": account.id, "name": account.name, "username": account.username,
            "description": account.description, "scopes": account.scopes, "token_hint": "…" + account.token_hint,
            "created_by": account.created_by, "created_at": clock.iso(account.created_at),
            "revoked_at": clock.iso(account.revoked_at), "revoked_by": account.revoked_by,
            "last_used_at": clock.iso(account.last_used_at), "active": account.revoked_at is None}
