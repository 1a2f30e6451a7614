"""Who is signing in: local accounts (argon2id hash here) and directory accounts (the company's LDAP /
Active Directory), side by side. A directory person signing in for the first time gets a user here; at
every sign-in their name, e-mail, departments, heads-of and roles follow the directory's groups (each
change in the administrative audit trail, actor "directory"). A deactivated user stays out whatever the
directory says."""
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Group, User
from ..errors import ServiceError
from . import directory, passwords, users

log = logging.getLogger(__name__)
DIRECTORY_ACTOR = "directory"


def authenticate(session: Session, username: str, password: str) -> User | None:
    username = (username or "").strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is not None and user.auth_source == "local":
        ok = passwords.check_hash(user.password_hash, password)
        return user if ok and user.is_active else None
    person = directory.check(username, password) if directory.configured() else None
    if person is None:
        passwords.dummy_check(password)  # same cost whether or not the user exists
        return None
    if user is not None and not user.is_active:
        return None
    return _sync(session, user, person)


def _sync(session: Session, user: User | None, person: directory.Person) -> User | None:
    known = set(session.scalars(select(Group.code)))
    fields = {"display_name": person.display_name[:200], "email": person.email,
              "groups": [g for g in person.groups if g in known],
              "head_of": [g for g in person.head_of if g in known], "roles": person.roles}
    unknown = sorted(set(person.groups) - known)
    if unknown:
        log.warning("directory groups map to unknown departments %s (LDAP_GROUP_MAP / LDAP_HEAD_MAP)", unknown)
    try:
        if user is None:
            user, _temporary = users.create(session, DIRECTORY_ACTOR, {"username": person.username, **fields},
                                            auth_source="ldap")
            session.flush()  # the new user's id: its sign-in session or token refers to it
            return user
        return users.update(session, DIRECTORY_ACTOR, user.username, fields,
                            reason="directory groups at sign-in")
    except ServiceError as exc:
        log.error("directory sign-in of %s refused: %s", person.username, exc.message)
        return None
