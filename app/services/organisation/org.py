"""Users, groups and passwords; the demo organisation."""
import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ... import clock
from ...i18n import _
from ...models import Group, Membership, PRODUCT_ROLES, User, UserRole
from ..errors import NotFound, ServiceError
from . import login, passwords

GROUPS_FILE = Path(__file__).resolve().parents[2] / "data" / "groups.json"
DEMO_PASSWORD = "demo"  # nosec B105 # the documented password of the demo users (demo mode only)
hash_password = passwords.hash_password
authenticate = login.authenticate  # sign-in: local accounts and the company directory


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(_("No such user: %(name)s", name=username))
    return user


def ensure_groups(session: Session) -> int:
    """Create the organisation's groups from app/data/groups.json that do not exist yet. Existing ones are
    left as the administrator keeps them (names and aliases are edited on /admin/groups)."""
    created = 0
    for item in json.loads(GROUPS_FILE.read_text(encoding="utf-8")):
        if session.get(Group, item["code"]) is None:
            session.add(Group(**item))
            created += 1
    session.flush()
    return created


def lane_index(groups) -> dict[str, str]:
    """Every name a lane may use (code, Chinese name, English name, aliases) -> group code, for groups
    given as (code, name_zh, name_en, aliases)."""
    index = {}
    for code, name_zh, name_en, aliases in groups:
        for name in [code, name_zh, name_en, *(aliases or [])]:
            index[name.strip().lower()] = code
    return index


def group_index(session: Session) -> dict[str, str]:
    """The lane index of the organisation's groups (see lane_index)."""
    return lane_index((g.code, g.name_zh, g.name_en, g.aliases) for g in session.scalars(select(Group)))


def resolve_lane(index: dict[str, str], lane: str | None) -> str | None:
    if not lane:
        return None
    return index.get(lane.strip().lower())


def task_group(index: dict[str, str], info: dict, case_data: dict | None) -> str | None:
    """The group whose queue a new human task joins: the department held in the case field the task's
    `groupField` property names (e.g. the responsible department Quality chose, seed 000 S7), otherwise the
    group of the task's lane (also when the field is empty or names no group)."""
    field = info.get("group_field")
    value = (case_data or {}).get(field) if field else None
    return (resolve_lane(index, value) if isinstance(value, str) else None) or resolve_lane(index, info.get("lane"))


def create_user(session: Session, username: str, password: str, *, display_name: str = "",
                groups: list[str] = (), head_of: list[str] = (), roles: list[str] = (),
                email: str | None = None, locale: str = "zh") -> User:
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ServiceError(_("User %(name)s already exists", name=username))
    known = {g.code for g in session.scalars(select(Group))}
    for code in [*groups, *head_of]:
        if code not in known:
            raise ServiceError(_("Unknown group: %(code)s", code=code))
    for role in roles:
        if role not in PRODUCT_ROLES:
            raise ServiceError(_("Unknown role: %(role)s", role=role))
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=hash_password(password), locale=locale, created_at=clock.now())
    for code in dict.fromkeys([*groups, *head_of]):
        user.memberships.append(Membership(group_code=code, is_head=code in head_of))
    for role in roles:
        user.roles.append(UserRole(role=role))
    session.add(user)
    session.flush()
    return user


def seed_demo(session: Session) -> list[str]:
    """The demo organisation: per group a member `<code>` and a head `<code>_head`, plus the product roles.
    Existing users are left as they are."""
    ensure_groups(session)
    existing = set(session.scalars(select(User.username)))
    made = []
    password_hash = hash_password(DEMO_PASSWORD)

    def add(username, display, groups=(), head_of=(), roles=()):
        if username in existing:
            return
        user = User(username=username, display_name=display, password_hash=password_hash,
                    locale="zh", created_at=clock.now())
        for code in dict.fromkeys([*groups, *head_of]):
            user.memberships.append(Membership(group_code=code, is_head=code in head_of))
        for role in roles:
            user.roles.append(UserRole(role=role))
        session.add(user)
        made.append(username)

    for group in session.scalars(select(Group).order_by(Group.code)):
        add(group.code, f"{group.name_zh}员工", groups=[group.code])
        add(f"{group.code}_head", f"{group.name_zh}负责人", head_of=[group.code])
    add("process_owner", "流程负责人", roles=["process_owner"])
    add("auditor", "审计员", roles=["auditor"])
    add("admin", "系统管理员", roles=["admin"])
    session.flush()
    return made
