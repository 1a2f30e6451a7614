"""Sign-in state kept on the server: page sessions, API tokens and one-time password-reset links.

A page session cookie carries only a random key; its SHA-256 is the row here. Ending the row (sign-out,
password change or reset, deactivation) ends the session at once, even for a copied cookie. API tokens
name a row the same way; revoking it stops the token. Only hashes of keys are stored."""
import hashlib
import secrets
from datetime import timedelta, timezone

from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import ApiToken, PasswordReset, SignInSession, User
from ...settings import setting
from ..audit import admin_audit
from ..errors import Forbidden, NotFound, ServiceError
from . import access_cache, passwords

RESET_HOURS = 24
TOKEN_TOUCH = timedelta(minutes=5)  # last use is written at most this often (no write per API call)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _lifetime() -> timedelta:
    return timedelta(seconds=int(setting("PERMANENT_SESSION_LIFETIME", 8 * 3600)))


# --- page sessions -------------------------------------------------------------------------------------

def start_session(session: Session, user: User, address: str | None) -> str:
    key = secrets.token_urlsafe(32)
    session.add(SignInSession(key_hash=_digest(key), user_id=user.id, created_at=clock.now(),
                              address=(address or "")[:64]))
    session.flush()
    return key


# the sign-in checks of every request: built once, each one statement (the sign-in row joined with its user)
_SESSION_USER = select(SignInSession.ended_at, SignInSession.created_at, *access_cache.USER_COLUMNS).join(
    User, User.id == SignInSession.user_id).where(SignInSession.key_hash == bindparam("key_hash"))
_TOKEN_USER = select(ApiToken.revoked_at, ApiToken.expires_at, ApiToken.last_used_at, *access_cache.USER_COLUMNS).join(
    User, User.id == ApiToken.user_id).where(ApiToken.id == bindparam("token_id"))
_TOUCH_TOKEN = update(ApiToken).where(ApiToken.id == bindparam("token_id")).values(last_used_at=bindparam("now"))


def session_user(db, connection: Connection, key: str | None) -> User | None:
    """The active user of a live page session, or None (ended, expired, unknown key, inactive user).
    db: the Database (its memory of groups and roles); connection: one of its reading connections."""
    if not key:
        return None
    row = connection.execute(_SESSION_USER, {"key_hash": _digest(key)}).one_or_none()
    if row is None:
        return None
    ended_at, created_at = row[0], row[1]
    user = access_cache.user_from_row(db, connection, row[2:])
    if ended_at is not None or not user.is_active or created_at < clock.now() - _lifetime():
        return None
    return user


def end_session(session: Session, key: str | None, reason: str = "signed_out") -> None:
    if key:
        session.execute(update(SignInSession).where(SignInSession.key_hash == _digest(key),
                                                    SignInSession.ended_at.is_(None))
                        .values(ended_at=clock.now(), end_reason=reason))


def end_sessions(session: Session, user: User, reason: str, *, keep: str | None = None) -> int:
    """End every live page session of the user except the one with key `keep`."""
    query = update(SignInSession).where(SignInSession.user_id == user.id, SignInSession.ended_at.is_(None))
    if keep:
        query = query.where(SignInSession.key_hash != _digest(keep))
    return session.execute(query.values(ended_at=clock.now(), end_reason=reason)).rowcount


def live_sessions(session: Session, user: User) -> list[SignInSession]:
    return list(session.scalars(select(SignInSession).where(
        SignInSession.user_id == user.id, SignInSession.ended_at.is_(None),
        SignInSession.created_at >= clock.now() - _lifetime()).order_by(SignInSession.id.desc())))


# --- API tokens ----------------------------------------------------------------------------------------

def new_token(session: Session, user: User, *, max_age: int, name: str = "", address: str | None = None) -> ApiToken:
    now = clock.now()
    token = ApiToken(user_id=user.id, name=name[:200], created_at=now, expires_at=now + timedelta(seconds=max_age),
                     address=(address or "")[:64])
    session.add(token)
    session.flush()
    return token


def token_user(db, connection: Connection, token_id, username: str) -> User | None:
    """The user of a live token row (not revoked, not expired, user active), noting its use (committed by
    itself: connection is one of db's reading connections)."""
    if not isinstance(token_id, int) or isinstance(token_id, bool):
        return None
    row = connection.execute(_TOKEN_USER, {"token_id": token_id}).one_or_none()
    if row is None:
        return None
    revoked_at, expires_at, last_used_at = row[0], row[1], row[2]
    user = access_cache.user_from_row(db, connection, row[3:])
    now = clock.now()
    if user.username != username or revoked_at is not None or expires_at <= now or not user.is_active:
        return None
    if last_used_at is None or now - last_used_at > TOKEN_TOUCH:
        connection.execute(_TOUCH_TOKEN, {"token_id": token_id, "now": now})
    return user


def tokens(session: Session, user: User, *, include_ended: bool = False) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_ended:
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > clock.now())
    return list(session.scalars(query.order_by(ApiToken.id.desc())))


def token_dict(token: ApiToken) -> dict:
    def stamp(value):
        return None if value is None else value.replace(tzinfo=timezone.utc).isoformat()
    return {"id": token.id, "name": token.name, "created_at": stamp(token.created_at),
            "expires_at": stamp(token.expires_at), "last_used_at": stamp(token.last_used_at),
            "address": token.address, "revoked": token.revoked_at is not None}


def revoke_token(session: Session, actor: User, token_id: int) -> ApiToken:
    """The owner revokes their own token; an administrator revokes anyone's (recorded)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("No such token."))
    if token.user_id != actor.id and not actor.has_role("admin"):
        raise NotFound(_("No such token."))  # someone else's token: as if it did not exist
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = clock.now(), actor.username
        owner = session.get(User, token.user_id)
        admin_audit.record(session, actor=actor.username, action="token.revoked", object_type="user",
                           object_id=owner.username, before={"token": token.id, "name": token.name},
                           after={"token": token.id, "revoked": True})
    return token


def revoke_tokens(session: Session, user: User, by: str) -> int:
    return session.execute(update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=clock.now(), revoked_by=by)).rowcount


# --- passwords -----------------------------------------------------------------------------------------

def _set_password(session: Session, user: User, new_password: str, *, reason: str, by: str,
                  keep_session: str | None, must_change: bool) -> dict:
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = clock.now()
    user.must_change_password = must_change
    ended = end_sessions(session, user, reason, keep=keep_session)
    revoked = revoke_tokens(session, user, by)
    return {"sessions_ended": ended, "tokens_revoked": revoked}


def change_password(session: Session, user: User, current: str, new: str, *, keep_session: str | None = None) -> dict:
    """The user's own change: the current password is required; other sessions and all tokens end."""
    if user.auth_source != "local":
        raise ServiceError(_("Your password is kept in the company directory; change it there."),
                           code="directory_account")
    if not passwords.check_hash(user.password_hash, current):
        raise Forbidden(_("The current password is wrong."), code="wrong_password")
    if new == current:
        raise ServiceError(_("The new password must differ from the current one."), code="same_password",
                           field="new_password")
    passwords.check_new(new, username=user.username, display_name=user.display_name)
    result = _set_password(session, user, new, reason="password_changed", by=user.username,
                           keep_session=keep_session, must_change=False)
    admin_audit.record(session, actor=user.username, action="user.password_changed", object_type="user",
                       object_id=user.username, after=result)
    return result


def set_temporary_password(session: Session, actor: User, user: User) -> str:
    """An administrator's reset: a random temporary password, to be changed at the next sign-in."""
    _local_only(user)
    password = passwords.temporary()
    result = _set_password(session, user, password, reason="password_reset", by=actor.username,
                           keep_session=None, must_change=True)
    admin_audit.record(session, actor=actor.username, action="user.password_reset", object_type="user",
                       object_id=user.username, after={"method": "temporary_password", **result})
    return password


def issue_reset_link(session: Session, actor: User, user: User) -> str:
    """An administrator's reset by one-time link (valid RESET_HOURS): returns the key for the link."""
    _local_only(user)
    key = secrets.token_urlsafe(32)
    now = clock.now()
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
                    .values(used_at=now))  # one link at a time: an older one stops working
    session.add(PasswordReset(key_hash=_digest(key), user_id=user.id, created_by=actor.username, created_at=now,
                              expires_at=now + timedelta(hours=RESET_HOURS)))
    admin_audit.record(session, actor=actor.username, action="user.password_reset_link", object_type="user",
                       object_id=user.username, after={"method": "one_time_link", "valid_hours": RESET_HOURS})
    return key


def reset_link_user(session: Session, key: str) -> tuple[PasswordReset, User]:
    row = session.execute(select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
                          .where(PasswordReset.key_hash == _digest(key or ""))).one_or_none()
    if row is None or row[0].used_at is not None or row[0].expires_at <= clock.now() or not row[1].is_active:
        raise NotFound(_("This password link is not valid any more; ask the administrator for a new one."),
                       code="reset_link_invalid")
    return row[0], row[1]


def use_reset_link(session: Session, key: str, new_password: str) -> User:
    reset, user = reset_link_user(session, key)
    passwords.check_new(new_password, username=user.username, display_name=user.display_name)
    reset.used_at = clock.now()
    result = _set_password(session, user, new_password, reason="password_reset", by=user.username,
                           keep_session=None, must_change=False)
    admin_audit.record(session, actor=user.username, action="user.password_set_by_link", object_type="user",
                       object_id=user.username, after=result)
    return user


def _local_only(user: User) -> None:
    if user.auth_source != "local":
        raise ServiceError(_("%(name)s signs in with the company directory; reset the password there.",
                             name=user.username), code="directory_account")
