"""The signed-in user's groups and roles, kept in memory per server process.

Every request still reads the sign-in row joined with the user row (one statement, its columns read without
the ORM's object loading: user_from_row builds the user), so sign-out, expiry and deactivation take effect at
once. The user's memberships and roles are taken from this process's memory as
long as the user row's access_version is the one they were read under; every change of a membership or role,
through any service, raises access_version in the same transaction (the flush hook below), so an
administrator's change is seen by every process on its next request."""
import threading

from sqlalchemy import Connection, bindparam, event, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import PASSIVE_NO_INITIALIZE, get_history, set_committed_value

from ...models import Membership, User, UserRole

LIMIT = 20_000  # users kept per process; past it the memory starts again
_lock = threading.Lock()
_spare: dict = {}  # for a session not made by app.db.Database


def _entries(session: Session) -> dict[int, tuple[int, tuple, tuple]]:
    """This process's memory for the session's database (user ids are only unique within one)."""
    return _memory(session.info.get("db"))


def _memory(db) -> dict[int, tuple[int, tuple, tuple]]:
    return db.caches.setdefault("access", {}) if db is not None else _spare

USER_COLUMNS = tuple(User.__table__.c)  # select them (after the sign-in row's own) for user_from_row
_USER_KEYS = tuple(User.__mapper__.get_property_by_column(column).key for column in USER_COLUMNS)
_new_user = User.__mapper__.class_manager.new_instance
_MEMBERS = select(Membership.id, Membership.group_code, Membership.is_head).where(
    Membership.user_id == bindparam("user_id"))
_ROLES = select(UserRole.id, UserRole.role).where(UserRole.user_id == bindparam("user_id"))


def user_from_row(db, connection: Connection, values) -> User:
    """The user (detached, as after its session ended) from the values of USER_COLUMNS, with its
    memberships and roles from db's memory while the row's access_version is the one they were read under
    (else read on connection)."""
    user = _new_user()  # filled as the ORM fills a loaded row (no attribute events, nothing marked changed)
    user.__dict__.update(zip(_USER_KEYS, values))
    _detached(user)
    members, roles = _access(_memory(db), connection, user)
    set_committed_value(user, "memberships", list(members))
    set_committed_value(user, "roles", list(roles))
    return user


def _access(entries: dict, connection: Connection, user: User) -> tuple[tuple, tuple]:
    """The user's (detached) memberships and roles as of user.access_version: read once per version."""
    entry = entries.get(user.id)
    if entry is None or entry[0] != user.access_version:
        members = tuple(_detached(Membership(id=i, user_id=user.id, group_code=code, is_head=head))
                        for i, code, head in connection.execute(_MEMBERS, {"user_id": user.id}))
        roles = tuple(_detached(UserRole(id=i, user_id=user.id, role=role))
                      for i, role in connection.execute(_ROLES, {"user_id": user.id}))
        entry = (user.access_version, members, roles)
        with _lock:
            if len(entries) >= LIMIT:
                entries.clear()
            entries[user.id] = entry
    return entry[1], entry[2]


def _detached(obj):
    make_transient_to_detached(obj)
    return obj


@event.listens_for(Session, "before_flush")
def _raise_access_version(session: Session, _context, _instances) -> None:
    changed: set[int] = set()
    touched: list[User] = []
    for obj in list(session.new) + list(session.dirty) + list(session.deleted):
        if isinstance(obj, (Membership, UserRole)):
            if obj.user_id is not None:
                changed.add(obj.user_id)
            elif obj.user is not None:
                touched.append(obj.user)
        elif isinstance(obj, User) and obj not in session.new and any(
                get_history(obj, name, passive=PASSIVE_NO_INITIALIZE).has_changes()
            for name in ("memberships", "roles")):  # an unloaded collection has not changed: no load
            touched.append(obj)
    with session.no_autoflush:
        for user_id in changed:
            user = session.get(User, user_id)
            if user is not None and user not in touched:
                touched.append(user)
    for user in {id(u): u for u in touched}.values():
        user.access_version = (user.access_version or 0) + 1
