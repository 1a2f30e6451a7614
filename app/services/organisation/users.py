"""Managing people: list, create, change, deactivate and reactivate users. Every change is recorded in the
administrative audit trail with the values before and after. The last active administrator can neither
lose the role nor be deactivated (the product would have nobody left to run it)."""
import re
from datetime import timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import Group, Membership, PRODUCT_ROLES, User, UserRole
from ..audit import admin_audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..paging import Page, PageRequest, paginate
from . import passwords, signin

LOCALES = ("zh", "en")
USERNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,79}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIELDS = ("display_name", "email", "locale", "timezone", "groups", "head_of", "roles", "active")


def snapshot(user: User) -> dict:
    """A user's administrable state, as the audit trail and the API show it."""
    return {"username": user.username, "display_name": user.display_name, "email": user.email,
            "locale": user.locale, "timezone": user.timezone, "groups": sorted(user.group_codes),
            "head_of": sorted(user.head_of), "roles": sorted(user.role_names), "active": user.is_active,
            "auth_source": user.auth_source}


def as_dict(user: User) -> dict:
    data = snapshot(user)

    def stamp(value):
        return None if value is None else value.replace(tzinfo=timezone.utc).isoformat()
    data.update(created_at=stamp(user.created_at), deactivated_at=stamp(user.deactivated_at),
                must_change_password=user.must_change_password)
    return data


def get(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(_("No such user: %(name)s", name=username))
    return user


SORTS = {"username": User.username, "name": User.display_name, "created": User.created_at}


def query(*, q: str = "", group: str = "", role: str = "", active: bool | None = None):
    """Users matching a text (user name, name, e-mail), a department, a product role and active state."""
    found = select(User)
    if q:
        pattern = f"%{q.strip().lower()}%"
        found = found.where(or_(func.lower(User.username).like(pattern), func.lower(User.display_name).like(pattern),
                                func.lower(User.email).like(pattern)))
    if group:
        found = found.where(User.id.in_(select(Membership.user_id).where(Membership.group_code == group)))
    if role:
        found = found.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        found = found.where(User.is_active == active)
    return found.order_by(User.username)


def search(session: Session, request: PageRequest, **filters) -> Page:
    return paginate(session, query(**filters), request, SORTS, tiebreak=User.id)


def count(session: Session, found) -> int:
    return session.scalar(select(func.count()).select_from(found.order_by(None).subquery()))


# --- validation ----------------------------------------------------------------------------------------

def _codes(value, field: str, known: set[str], errors: dict) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[,;，；\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[field] = [_("Give a list of department codes.")]
        return []
    unknown = [v for v in value if v not in known]
    if unknown:
        errors[field] = [_("Unknown department: %(code)s", code=", ".join(unknown))]
    return list(dict.fromkeys(value))


def clean(session: Session, data: dict, *, creating: bool, known_groups: set[str] | None = None) -> dict:
    """Check submitted user fields; raises ValidationFailed naming every bad field (nothing is changed)."""
    errors: dict[str, list[str]] = {}
    out: dict = {}
    unknown = set(data) - set(FIELDS) - {"username", "password"}
    if unknown:
        errors["_"] = [_("Unknown field(s): %(names)s", names=", ".join(sorted(unknown)))]
    if creating:
        username = str(data.get("username") or "").strip()
        if not USERNAME.match(username):
            errors["username"] = [_("A user name is 1-80 letters, digits or . _ @ - and starts with a letter or digit.")]
        elif session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
            errors["username"] = [_("User %(name)s already exists", name=username)]
        out["username"] = username
    if "display_name" in data:
        name = str(data["display_name"] or "").strip()
        if not name or len(name) > 200:
            errors["display_name"] = [_("Give a name of at most 200 characters.")]
        out["display_name"] = name
    if "email" in data:
        email = str(data["email"] or "").strip() or None
        if email and (len(email) > 200 or not EMAIL.match(email)):
            errors["email"] = [_("This is not an e-mail address.")]
        out["email"] = email
    if "locale" in data:
        if data["locale"] not in LOCALES:
            errors["locale"] = [_("Choose Chinese (zh) or English (en).")]
        out["locale"] = data["locale"]
    if "timezone" in data:
        zone = str(data["timezone"] or "").strip() or None
        if zone:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                errors["timezone"] = [_("Unknown time zone: %(zone)s", zone=zone)]
        out["timezone"] = zone
    known = known_groups if known_groups is not None else set(session.scalars(select(Group.code)))
    for field in ("groups", "head_of"):
        if field in data:
            out[field] = _codes(data[field], field, known, errors)
    if "roles" in data:
        roles = data["roles"]
        if isinstance(roles, str):
            roles = [r for r in re.split(r"[,;，；\s]+", roles) if r]
        if not isinstance(roles, list) or any(r not in PRODUCT_ROLES for r in roles):
            errors["roles"] = [_("Roles are: %(roles)s", roles=", ".join(PRODUCT_ROLES))]
        else:
            out["roles"] = list(dict.fromkeys(roles))
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = [_("Give true or false.")]
        out["active"] = data["active"]
    if data.get("password"):
        password = str(data["password"])
        found = passwords.problems(password, username=out.get("username", ""))
        if found:
            errors["password"] = found
        out["password"] = password
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, errors)
    return out


# --- changes -------------------------------------------------------------------------------------------

def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).join(UserRole, UserRole.user_id == User.id)
                          .where(UserRole.role == "admin", User.is_active))


def guard_last_admin(session: Session, user: User, changes: dict) -> None:
    if not (user.is_active and user.has_role("admin")):
        return
    loses = changes.get("active") is False or ("roles" in changes and "admin" not in changes["roles"])
    if loses:
        session.flush()  # count with every change made so far in this transaction
    if loses and _active_admins(session) <= 1:
        raise Conflict(_("%(name)s is the last active administrator: give another user the admin role first.",
                         name=user.username), code="last_admin")


def _apply(session: Session, user: User, changes: dict, actor: str) -> None:
    for field in ("display_name", "email", "locale", "timezone"):
        if field in changes:
            setattr(user, field, changes[field])
    if "groups" in changes or "head_of" in changes:
        # groups: every department the user belongs to; head_of: those they head (always members too)
        groups = changes.get("groups", sorted(user.group_codes))
        heads = changes.get("head_of", [code for code in sorted(user.head_of) if code in groups])
        wanted = {code: code in heads for code in [*groups, *heads]}
        for membership in list(user.memberships):
            if membership.group_code not in wanted:
                user.memberships.remove(membership)
            else:
                membership.is_head = wanted.pop(membership.group_code)
        for code, is_head in wanted.items():
            user.memberships.append(Membership(group_code=code, is_head=is_head))
    if "roles" in changes:
        wanted_roles = set(changes["roles"])
        for role in list(user.roles):
            if role.role not in wanted_roles:
                user.roles.remove(role)
        for role in sorted(wanted_roles - user.role_names):
            user.roles.append(UserRole(role=role))
    if "active" in changes and changes["active"] != user.is_active:
        user.is_active = changes["active"]
        if user.is_active:
            user.deactivated_at = None
        else:
            user.deactivated_at = clock.now()
            signin.end_sessions(session, user, "deactivated")
            signin.revoke_tokens(session, user, actor)


def _diff(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after[k] for k in keys}


def create(session: Session, actor: str, data: dict, *, auth_source: str = "local", initial_password: bool = True,
           reason: str | None = None, known_groups: set[str] | None = None) -> tuple[User, str | None]:
    """Create a user. Without a password a temporary one is generated (unless initial_password is False:
    then the user needs a reset link or the directory), returned once, and must be changed at the first
    sign-in."""
    fields = clean(session, data, creating=True, known_groups=known_groups)
    temporary = None
    password = fields.pop("password", None)
    if password is None and auth_source == "local" and initial_password:
        password = temporary = passwords.temporary()
    user = User(username=fields["username"], display_name=fields.get("display_name") or fields["username"],
                password_hash=passwords.hash_password(password) if password else "!",
                locale=fields.get("locale", "zh"), created_at=clock.now(), auth_source=auth_source,
                must_change_password=temporary is not None, is_active=fields.get("active", True),
                deactivated_at=None if fields.get("active", True) else clock.now())
    session.add(user)
    _apply(session, user, {k: v for k, v in fields.items() if k not in ("username", "active")}, actor)
    admin_audit.record(session, actor=actor, action="user.created", object_type="user", object_id=user.username,
                       after=snapshot(user), reason=reason)
    return user, temporary


def update(session: Session, actor: str, username: str, data: dict, *, reason: str | None = None,
           known_groups: set[str] | None = None) -> User:
    """Change a user's fields; only what differs is recorded. Returns the user."""
    user = get(session, username)
    changes = clean(session, data, creating=False, known_groups=known_groups)
    changes.pop("password", None)
    guard_last_admin(session, user, changes)
    before = snapshot(user)
    _apply(session, user, changes, actor)
    old, new = _diff(before, snapshot(user))
    if old or new:
        action = ("user.deactivated" if new.get("active") is False else
                  "user.reactivated" if new.get("active") is True else "user.changed")
        admin_audit.record(session, actor=actor, action=action, object_type="user", object_id=user.username,
                           before=old, after=new, reason=reason)
    return user
