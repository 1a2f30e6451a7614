"""Departments (groups): create, rename (Chinese and English), aliases, heads and members, delete.

Lanes of the diagrams resolve to a department by its code, either name or an alias. A change that would
leave a lane of a published diagram without its department (deleting it, or dropping the name the lane
uses) is refused, naming the processes that use it. Every change is in the administrative audit trail."""
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update as sql_update
from sqlalchemy.orm import Session

from ...i18n import _
from ...models import Group, HumanTask, Membership, OPEN_STATES, ProcessVersion, SavedSearch, User
from ..audit import admin_audit
from ..errors import Conflict, NotFound, ValidationFailed
from .org import group_index, resolve_lane

CODE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")


@dataclass
class Use:
    process_id: str
    name: str
    lanes: set[str] = field(default_factory=set)


def snapshot(group: Group) -> dict:
    return {"code": group.code, "name_zh": group.name_zh, "name_en": group.name_en,
            "aliases": list(group.aliases or [])}


def get(session: Session, code: str) -> Group:
    group = session.get(Group, code)
    if group is None:
        raise NotFound(_("No such department: %(code)s", code=code))
    return group


def lane_uses(session: Session, index: dict[str, str] | None = None) -> dict[str, dict[str, Use]]:
    """{group code: {process id: Use}} for every lane of every published version."""
    index = index if index is not None else group_index(session)
    uses: dict[str, dict[str, Use]] = {}
    for process_id, name, catalog in session.execute(
            select(ProcessVersion.process_id, ProcessVersion.name, ProcessVersion.task_catalog)
            .order_by(ProcessVersion.process_id, ProcessVersion.version)):
        for task in (catalog or {}).values():
            lane = task.get("lane") if isinstance(task, dict) else None
            code = resolve_lane(index, lane)
            if code:
                use = uses.setdefault(code, {}).setdefault(process_id, Use(process_id, name or process_id))
                use.name = name or process_id  # the newest version's name
                use.lanes.add(lane)
    return uses


def overview(session: Session) -> list[dict]:
    uses = lane_uses(session)
    counts = dict(session.execute(select(Membership.group_code, func.count()).group_by(Membership.group_code)).all())
    heads: dict[str, list[str]] = {}
    for code, username in session.execute(select(Membership.group_code, User.username)
                                          .join(User, User.id == Membership.user_id)
                                          .where(Membership.is_head).order_by(User.username)):
        heads.setdefault(code, []).append(username)
    return [{**snapshot(g), "members": counts.get(g.code, 0), "heads": heads.get(g.code, []),
             "used_by": sorted(uses.get(g.code, {}).values(), key=lambda u: u.process_id)}
            for g in session.scalars(select(Group).order_by(Group.code))]


def members(session: Session, code: str) -> list[tuple[User, bool]]:
    return list(session.execute(select(User, Membership.is_head).join(Membership, Membership.user_id == User.id)
                                .where(Membership.group_code == code).order_by(User.username)).all())


def _names(data: dict, errors: dict, current: Group | None) -> dict:
    out = {}
    for key in ("name_zh", "name_en"):
        if key in data or current is None:
            value = str(data.get(key) or "").strip()
            if not value or len(value) > 200:
                errors[key] = [_("Give a name of at most 200 characters.")]
            out[key] = value
    if "aliases" in data:
        aliases = data["aliases"]
        if isinstance(aliases, str):
            aliases = re.split(r"[,;，；\n]+", aliases)
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            errors["aliases"] = [_("Give the other names as a list.")]
            aliases = []
        out["aliases"] = list(dict.fromkeys(a.strip() for a in aliases if a.strip()))
    return out


def _check_names_free(session: Session, code: str, fields: dict, errors: dict) -> None:
    """No name or alias may already mean another department (a lane must resolve to exactly one)."""
    taken = {name: owner for name, owner in group_index(session).items() if owner != code}
    for key in ("name_zh", "name_en", "aliases"):
        values = fields.get(key)
        for value in ([values] if isinstance(values, str) else values or []):
            owner = taken.get(value.strip().lower())
            if owner:
                errors.setdefault(key, []).append(_("%(name)s already names the department %(code)s.",
                                                    name=value, code=owner))


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors)


def create(session: Session, actor: str, data: dict) -> Group:
    errors: dict = {}
    code = str(data.get("code") or "").strip()
    if not CODE.match(code):
        errors["code"] = [_("A department code is 2-64 lower-case letters, digits or _ and starts with a letter.")]
    elif session.get(Group, code) is not None or code in group_index(session):
        errors["code"] = [_("The department %(code)s already exists.", code=code)]
    fields = _names(data, errors, None)
    fields.setdefault("aliases", [])
    _check_names_free(session, code, fields, errors)
    _raise(errors)
    group = Group(code=code, **fields)
    session.add(group)
    session.flush()
    admin_audit.record(session, actor=actor, action="group.created", object_type="group", object_id=code,
                       after=snapshot(group))
    return group


def _lost_lanes(session: Session, code: str, index_after: dict[str, str]) -> list[Use]:
    """Published processes whose lanes name this department now but would not after the change."""
    lost = []
    for use in lane_uses(session).get(code, {}).values():
        gone = {lane for lane in use.lanes if resolve_lane(index_after, lane) != code}
        if gone:
            lost.append(Use(use.process_id, use.name, gone))
    return lost


def _refuse_lost(lost: list[Use], message: str) -> None:
    if lost:
        names = "; ".join(f"{u.name} ({', '.join(sorted(u.lanes))})" for u in lost)
        raise Conflict(message % {"processes": names}, code="department_in_use",
                       processes=[{"process_id": u.process_id, "name": u.name, "lanes": sorted(u.lanes)}
                                  for u in lost])


def update(session: Session, actor: str, code: str, data: dict) -> Group:
    group = get(session, code)
    errors: dict = {}
    unknown = set(data) - {"name_zh", "name_en", "aliases"}
    if unknown:
        errors["_"] = [_("Unknown field(s): %(names)s", names=", ".join(sorted(unknown)))]
    fields = _names(data, errors, group)
    _check_names_free(session, code, fields, errors)
    _raise(errors)
    before = snapshot(group)
    after = {**before, **fields}
    index_after = {k: v for k, v in group_index(session).items() if v != code}
    for name in [code, after["name_zh"], after["name_en"], *after["aliases"]]:
        index_after[name.strip().lower()] = code
    _refuse_lost(_lost_lanes(session, code, index_after),
                 _("Published processes use a name you would remove: %(processes)s. Keep it as an alias."))
    for key, value in fields.items():
        setattr(group, key, value)
    if before != after:
        admin_audit.record(session, actor=actor, action="group.changed", object_type="group", object_id=code,
                           before={k: v for k, v in before.items() if after[k] != v},
                           after={k: v for k, v in after.items() if before[k] != v})
    return group


def delete(session: Session, actor: str, code: str) -> None:
    group = get(session, code)
    index_after = {k: v for k, v in group_index(session).items() if v != code}
    _refuse_lost(_lost_lanes(session, code, index_after),
                 _("Published processes have lanes for this department: %(processes)s. It cannot be deleted."))
    open_tasks = session.scalar(select(func.count()).select_from(HumanTask)
                                .where(HumanTask.group_code == code, HumanTask.state.in_(OPEN_STATES)))
    if open_tasks:
        raise Conflict(_("%(n)s open task(s) wait in this department; it cannot be deleted.", n=open_tasks),
                       code="department_has_tasks")
    people = [(u.username, head) for u, head in members(session, code)]
    session.execute(sql_update(SavedSearch).where(SavedSearch.shared_group == code).values(shared_group=None))
    for membership in session.scalars(select(Membership).where(Membership.group_code == code)):
        session.delete(membership)
    session.flush()
    session.delete(group)
    admin_audit.record(session, actor=actor, action="group.deleted", object_type="group", object_id=code,
                       before={**snapshot(group), "members": [u for u, _h in people],
                               "heads": [u for u, head in people if head]})
